"""The early-stopping comparison (``compare --runs auto``): a look after every measured pair, and a
stop as soon as the interval decides the runbook's tier, without inflating false alarms.

The rule, and why it keeps the error rate of a fixed 95 % comparison:

- **What is estimated.** The headline metric's on/off ratio as the geometric mean of the per-pair
  ratios: the mean of ``log(on) - log(off)`` over the pairs (each pair runs on and off back to
  back, so load that hits both cancels). Against a saved baseline (the off side measured earlier,
  unpaired) it is the difference of the two sides' mean logs.
- **The interval at a look** is Student's t interval of that mean (Welch's, with its degrees of
  freedom, against a baseline). It widens by itself when the few pairs disagree: one disturbed
  pair lowers the lower bound rather than raising it (the mean moves by ``x/n``, the half-width by
  about ``t x/n``), so an outlier delays a verdict instead of making one.
- **Looks share the error (Bonferroni alpha spending).** A fixed comparison is wrong about a tier
  when its one 95 % interval misses the truth on that side: 2.5 %. Looking after every pair from
  ``MIN_PAIRS`` to ``MAX_PAIRS`` gives ``LOOKS`` chances to be wrong; each look's interval is at
  ``1 - 0.05 / LOOKS`` (99.72 % for 18 looks), so the chance that *any* look claims a tier above
  the truth (or clears one below it) is at most ``LOOKS x 0.05 / (2 LOOKS)`` = 2.5 %, whatever the
  dependence between looks. The price is a wider interval at each look: a clear effect stops
  early, a small one needs more pairs, and the cap gives the verdict of the last interval.
- **Decided** means the interval lies inside one tier's band (``tiers.decided``): above +50 %
  (critical), within +20..+50 % (major), within 0..+20 % (minor); or below +20 % while holding 0:
  no measurable change, and nothing the runbook acts on within the hour.

Checked on measured demo-target runs in benchmarks/bench_compare_auto.py (README, "compare").
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flagdeck.perf import student_t
from flagdeck.perf.stats import MetricStats, SideStats
from flagdeck.perf.tiers import CRITICAL_PCT, MAJOR_PCT, Severity, decided

MIN_PAIRS = 3
MAX_PAIRS = 20
ALPHA = 0.05  # two-sided, as the fixed comparison's 95 % interval
LOOKS = MAX_PAIRS - MIN_PAIRS + 1
LOOK_LEVEL = 1.0 - ALPHA / LOOKS
AUTO = "auto"


@dataclass(frozen=True)
class Look:
    """The interval after ``pairs`` measured pairs (on-side runs against a baseline)."""

    pairs: int
    ratio: float  # geometric mean of on/off
    ci_ratio: tuple[float, float]
    level: float
    df: float
    decided: Severity | None  # the tier the interval decides, None: keep measuring
    paired: bool = True  # False: on-side runs against a saved baseline

    @property
    def degradation_pct(self) -> float:
        return (self.ratio - 1.0) * 100.0

    @property
    def ci_low(self) -> float:
        return (self.ci_ratio[0] - 1.0) * 100.0

    @property
    def ci_high(self) -> float:
        return (self.ci_ratio[1] - 1.0) * 100.0

    def to_json(self) -> dict[str, Any]:
        return {"pairs": self.pairs, "ratio": round(self.ratio, 4), "degradation_pct": round(self.degradation_pct, 2),
                "ci_low": round(self.ci_low, 2), "ci_high": round(self.ci_high, 2), "level": round(self.level, 5),
                "df": round(self.df, 2), "decided": self.decided, "paired": self.paired}


def _logs(values: Sequence[float]) -> list[float] | None:
    if not values or min(values) <= 0 or not all(math.isfinite(v) for v in values):
        return None
    return [math.log(v) for v in values]


def look(on: Sequence[float], off: Sequence[float], *, paired: bool, level: float = LOOK_LEVEL) -> Look | None:
    """The interval of the on/off ratio at ``level``; None before ``MIN_PAIRS`` on-side values, or
    when a value is not positive (no logarithm: such a metric is never the headline of a workload)."""
    n = len(on)
    lon, loff = _logs(on), _logs(off)
    if n < MIN_PAIRS or lon is None or loff is None or len(loff) < 2:
        return None
    if paired:
        if len(loff) != n:
            raise ValueError("paired samples need the same number of values on both sides")
        d = [a - b for a, b in zip(lon, loff, strict=True)]
        mean, se, df = statistics.fmean(d), statistics.stdev(d) / math.sqrt(n), float(n - 1)
    else:
        m = len(loff)
        v_on, v_off = statistics.variance(lon) / n, statistics.variance(loff) / m
        mean, se = statistics.fmean(lon) - statistics.fmean(loff), math.sqrt(v_on + v_off)
        # Welch-Satterthwaite; both variances 0 (identical values) leave a zero-width interval
        df = (v_on + v_off) ** 2 / (v_on**2 / (n - 1) + v_off**2 / (m - 1)) if se > 0 else float(n + m - 2)
    half = student_t.quantile(1.0 - (1.0 - level) / 2.0, df) * se
    ratio, lo, hi = math.exp(mean), math.exp(mean - half), math.exp(mean + half)
    return Look(n, ratio, (lo, hi), level, df, decided((lo - 1.0) * 100.0, (hi - 1.0) * 100.0), paired)


def reason(last: Look | None, *, paired: bool = True, cancelled: bool = False) -> str:
    """Why an automatic comparison stopped where it did, for people."""
    unit = "pair" if paired else "on-side run"
    if cancelled:
        return "cancelled"
    if last is None:
        return f"stopped before {MIN_PAIRS} {unit}s: no interval"
    interval = f"{last.level * 100:.2f} % interval {last.ci_low:+.1f} to {last.ci_high:+.1f} %"
    if last.decided == "critical":
        why = f"critical decided: the whole {interval} is above +{CRITICAL_PCT:g} %"
    elif last.decided == "major":
        why = f"major decided: the {interval} lies within +{MAJOR_PCT:g} to +{CRITICAL_PCT:g} %"
    elif last.decided == "minor":
        why = f"minor decided: the {interval} lies within 0 to +{MAJOR_PCT:g} %"
    elif last.decided == "none":
        what = "an improvement" if last.ci_high < 0 else "no measurable change"
        why = f"{what}: the {interval} stays below +{MAJOR_PCT:g} % (no major or critical degradation)"
    else:
        return (f"cap of {MAX_PAIRS} {unit}s reached without a decided tier ({interval}); the tier is the "
                "one its lower bound clears")
    return f"{why}, after {last.pairs} {unit}{'s' if last.pairs != 1 else ''}"


def metric_stats(on: Sequence[float], off: Sequence[float], last: Look, *, paired: bool, seed: int) -> MetricStats:
    """The headline's statistics as the last look decided them (the tier is its interval's)."""
    on_s, off_s = SideStats.of(on), SideStats.of(off)
    difference = None if on_s.median is None or off_s.median is None else on_s.median - off_s.median
    return MetricStats(on_s, off_s, paired, last.ratio, last.ci_ratio, difference, 0, last.level, seed,
                       note=f"geometric mean ratio, t interval of the log ratios at {last.level * 100:.2f} % "
                       f"(the 5 % of a 95 % interval shared by up to {LOOKS} looks)", method="t-log")
