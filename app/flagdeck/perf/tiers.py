"""The runbook's performance tiers, decided from the confidence interval, not the point estimate.

Runbook: degradation > 50 % is critical (immediate rollback), 20-50 % major (within an hour),
< 20 % minor (consider it). A point estimate over a threshold can be noise; here a tier is only
claimed when the whole 95 % interval clears it, i.e. its lower bound exceeds the threshold. An
interval that reaches 0 says "no measurable change", together with how big a change it could
have seen (the half-width), so "none" is never mistaken for "proven harmless".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from flagdeck.perf.stats import MetricStats

Severity = Literal["critical", "major", "minor", "none"]
CRITICAL_PCT = 50.0
MAJOR_PCT = 20.0

RUNBOOK_LINE: dict[Severity, str | None] = {
    "critical": "Performance degradation > 50% (Critical: immediate Level 1 rollback)",
    "major": "Performance degradation 20-50% (Major: Level 1 rollback within 1 hour)",
    "minor": "Performance degradation < 20% (Minor: consider rollback)",
    "none": None,
}


@dataclass(frozen=True)
class Verdict:
    severity: Severity
    summary: str  # one line for people
    runbook: str | None
    improvement: bool = False
    min_detectable_pct: float | None = None  # half-width of the interval, when there is one

    def to_json(self) -> dict[str, Any]:
        return {"severity": self.severity, "summary": self.summary, "runbook": self.runbook,
                "improvement": self.improvement,
                "min_detectable_pct": None if self.min_detectable_pct is None else round(self.min_detectable_pct, 2)}


def severity_of(ci_low: float, ci_high: float) -> Severity:
    """The tier of a degradation interval in percent (thresholds are exclusive, as "exceeds")."""
    if ci_low > CRITICAL_PCT:
        return "critical"
    if ci_low > MAJOR_PCT:
        return "major"
    if ci_low > 0:
        return "minor"
    return "none"


def decided(ci_low: float, ci_high: float) -> Severity | None:
    """The tier an interval decides, or None while more runs could still change it: the interval
    lies within one tier's band (critical above 50 %, major 20-50 %, minor 0-20 %), or stays below
    the major threshold while holding 0 ("none": no measurable change, nothing the runbook acts on
    within the hour). Used to stop an automatic comparison early (``perf/sequential.py``)."""
    if ci_low > CRITICAL_PCT:
        return "critical"
    if ci_low > MAJOR_PCT and ci_high <= CRITICAL_PCT:
        return "major"
    if ci_high <= MAJOR_PCT:
        return "minor" if ci_low > 0 else "none"
    return None


def level_text(level: float) -> str:
    """0.95 → "95%", 0.997222 → "99.72%"."""
    return f"{round(level * 100, 2):g}%"


def classify(stats: MetricStats) -> Verdict:
    low, high, half = stats.ci_low, stats.ci_high, stats.half_width_pct
    if low is None or high is None:
        why = stats.note or "no interval"
        return Verdict("none", f"not classified: {why}", None)
    severity = severity_of(low, high)
    interval = f"{level_text(stats.level)} CI {low:+.1f} to {high:+.1f} %"
    if severity != "none":
        return Verdict(severity, f"{severity}: {stats.degradation_pct:+.1f} % ({interval}: at least "
                       f"{low:+.1f} %)", RUNBOOK_LINE[severity], min_detectable_pct=half)
    if high < 0:
        return Verdict("none", f"improvement: {stats.degradation_pct or 0:+.1f} % ({interval})", None,
                       improvement=True, min_detectable_pct=half)
    return Verdict("none", f"no measurable change ({interval}; the smallest change this comparison could "
                   f"have seen is about {half:.1f} %)", None, min_detectable_pct=half)
