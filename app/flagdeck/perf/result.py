"""A comparison's result: every run's samples, per-metric statistics and tiers, the headline.

``CompareResult.to_json()`` is the one document the CLI prints with ``--json``, the runner saves
as ``<data>/perf/compare-*.json`` (``triggers.perf_trigger`` reads its top-level ``severity``,
``degradation_pct``, ``ci_low``, ``ci_high``, ``metric``), and ``charts`` draws from, so a saved
comparison can be charted again without re-running it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from flagdeck.perf.sequential import Look
from flagdeck.perf.stats import MetricStats, median
from flagdeck.perf.tiers import Verdict
from flagdeck.perf.workload import Workload

Side = Literal["on", "off"]


def unit_of(metric: str) -> str:
    if metric.endswith("_mb"):
        return "MB"
    if metric.endswith("percent"):
        return "%"
    if metric.endswith("dom_nodes"):
        return "nodes"
    return "ms"


@dataclass
class RunSample:
    """One page load with the flag on or off, and what was measured in it."""

    step: int  # 1-based position in the schedule
    pair: int  # 0: the warm-up pair (discarded); 1..N the measured ones
    side: Side
    values: dict[str, float]
    timing: dict[str, float]  # ms: switch, reload, ready, workload, collect, bookkeeping
    at: float  # seconds since the comparison started
    problems: list[str] = field(default_factory=list)  # errors the workload reported
    comparisons: Any = None  # raw performanceMonitor.getAllComparisons(), when exposed

    @property
    def warmup(self) -> bool:
        return self.pair == 0

    @property
    def overhead_ms(self) -> float:
        """flagdeck's own time in this run (everything but the app's reload and workload)."""
        t = self.timing
        return t.get("switch", 0.0) + t.get("collect", 0.0) + t.get("bookkeeping", 0.0)

    @property
    def target_ms(self) -> float:
        t = self.timing
        return t.get("reload", 0.0) + t.get("ready", 0.0) + t.get("workload", 0.0)

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "pair": self.pair, "side": self.side, "warmup": self.warmup,
                "at": round(self.at, 3), "values": {k: round(v, 4) for k, v in self.values.items()},
                "timing": {k: round(v, 2) for k, v in self.timing.items()}, "problems": self.problems,
                "comparisons": self.comparisons}


@dataclass(frozen=True)
class MetricResult:
    name: str
    stats: MetricStats
    verdict: Verdict
    on: tuple[float, ...]  # samples in pair order (aligned with ``off`` when paired)
    off: tuple[float, ...]

    @property
    def unit(self) -> str:
        return unit_of(self.name)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "unit": self.unit, **self.stats.to_json(), **self.verdict.to_json(),
                "samples": {"on": [round(v, 4) for v in self.on], "off": [round(v, 4) for v in self.off]}}


@dataclass
class Stopping:
    """How many runs a comparison made and why it stopped there."""

    mode: Literal["auto", "fixed"]
    reason: str = ""
    looks: list[Look] = field(default_factory=list)  # auto: the interval after each measured pair

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "reason": self.reason, "looks": [look.to_json() for look in self.looks]}


@dataclass
class CompareResult:
    target_name: str
    target_slug: str
    target: dict[str, Any]
    flag: str
    started: str
    workload: Workload
    headline: str
    runs_requested: int | str  # a number of pairs, or "auto" (``sequential.py``)
    seed: int
    samples: list[RunSample] = field(default_factory=list)
    metrics: dict[str, MetricResult] = field(default_factory=dict)  # headline first
    seconds: float = 0.0
    cancelled: bool = False
    baseline: dict[str, Any] | None = None  # {"name", "action": "saved"|"compared", "path"}
    restored: dict[str, Any] = field(default_factory=dict)
    backup_id: str | None = None
    page_comparisons: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    saved_path: str | None = None
    stopping: Stopping | None = None

    # --- the headline ------------------------------------------------------------------------

    @property
    def head(self) -> MetricResult | None:
        return self.metrics.get(self.headline)

    @property
    def severity(self) -> str:
        return self.head.verdict.severity if self.head else "none"

    @property
    def runs(self) -> int:
        """Measured runs per side (pairs; on-side runs against a baseline)."""
        return len({s.pair for s in self.samples if not s.warmup and s.side == "on"})

    def measured(self, side: Side | None = None) -> list[RunSample]:
        return [s for s in self.samples if not s.warmup and (side is None or s.side == side)]

    def overhead(self) -> dict[str, float | None]:
        """Median per run of flagdeck's own time vs the app's reload+workload time."""
        runs = self.samples
        if not runs:
            return {"overhead_ms": None, "target_ms": None, "ratio": None}
        own, app = median([s.overhead_ms for s in runs]), median([s.target_ms for s in runs])
        return {"overhead_ms": round(own, 2), "target_ms": round(app, 2), "ratio": round(own / app, 4) if app else None}

    def headline_json(self) -> dict[str, Any]:
        """The verdict in a few fields: tier, degradation and its interval, metric, runs."""
        stats = self.head.stats if self.head else None
        return {
            "severity": self.severity,
            "degradation_pct": _r(stats.degradation_pct if stats else None),
            "ci_low": _r(stats.ci_low if stats else None),
            "ci_high": _r(stats.ci_high if stats else None),
            "ci_level": stats.level if stats and stats.ci_ratio else None,
            "metric": self.headline,
            "runs": self.runs,
            "stopped": self.stopping.reason if self.stopping else None,
        }

    def to_json(self) -> dict[str, Any]:
        head = self.head
        return {
            **self.headline_json(),
            "target_slug": self.target_slug,
            "started": self.started,
            "summary": head.verdict.summary if head else "no headline metric measured",
            "runbook": head.verdict.runbook if head else None,
            "flag": self.flag,
            "target": self.target,
            "workload": self.workload.to_json(),
            "runs_requested": self.runs_requested,
            "stopping": self.stopping.to_json() if self.stopping else None,
            "seconds": round(self.seconds, 2),
            "cancelled": self.cancelled,
            "seed": self.seed,
            "baseline": self.baseline,
            "restored": self.restored,
            "backup": self.backup_id,
            "overhead": self.overhead(),
            "metrics": {name: m.to_json() for name, m in self.metrics.items()},
            "page_comparisons": self.page_comparisons,
            "samples": [s.to_json() for s in self.samples],
            "notes": self.notes,
            "saved": self.saved_path,
        }


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
