"""Statistics of one metric, flag on vs off: medians, spread, outliers and a bootstrap interval.

Pure Python and deterministic given the seed, so a saved comparison can be re-analysed to the
same numbers and tests can pin them. Why these choices:

- Medians and Tukey fences, not means and standard deviations: timings of a desktop app have a
  long right tail (garbage collection, the scheduler, another process's burst), and one slow run
  must not decide a rollback.
- The interval is a percentile bootstrap of the ratio on/off. With **paired** samples (the runner
  measures on and off back to back, in random order) the statistic is the median of the per-pair
  ratios: load that hits both halves of a pair cancels out, which is what makes ten pairs enough
  on a busy machine. Unpaired samples (a saved baseline) use the ratio of the two medians, each
  side resampled on its own.
- A ratio needs positive values: an off side whose median is 0, or negative values, give no ratio
  (the difference of the medians is still reported), and fewer than ``MIN_FOR_INTERVAL`` samples
  per side give no interval.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

RESAMPLES = 2000
LEVEL = 0.95
MIN_FOR_INTERVAL = 3  # per side; below that a bootstrap only re-shuffles two values
MIN_FOR_FENCES = 4  # quartiles of fewer points flag nothing useful
TUKEY_K = 1.5


def quantile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile with linear interpolation between order statistics (numpy's default)."""
    if not values:
        raise ValueError("quantile of no values")
    xs = sorted(values)
    pos = (len(xs) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def median(values: Sequence[float]) -> float:
    return quantile(values, 0.5)


def tukey_outliers(values: Sequence[float], k: float = TUKEY_K) -> tuple[int, ...]:
    """Indices of values outside ``[Q1 - k*IQR, Q3 + k*IQR]`` (none for fewer than 4 values)."""
    if len(values) < MIN_FOR_FENCES:
        return ()
    q1, q3 = quantile(values, 0.25), quantile(values, 0.75)
    low, high = q1 - k * (q3 - q1), q3 + k * (q3 - q1)
    return tuple(i for i, v in enumerate(values) if v < low or v > high)


@dataclass(frozen=True)
class SideStats:
    """One side's samples, summarised."""

    n: int
    median: float | None
    q1: float | None
    q3: float | None
    min: float | None
    max: float | None
    outliers: tuple[int, ...] = ()  # indices into the samples (Tukey fences)

    @property
    def iqr(self) -> float | None:
        return None if self.q1 is None or self.q3 is None else self.q3 - self.q1

    @classmethod
    def of(cls, values: Sequence[float]) -> SideStats:
        if not values:
            return cls(0, None, None, None, None, None)
        return cls(len(values), median(values), quantile(values, 0.25), quantile(values, 0.75),
                   min(values), max(values), tukey_outliers(values))

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "median": _r(self.median), "q1": _r(self.q1), "q3": _r(self.q3),
                "iqr": _r(self.iqr), "min": _r(self.min), "max": _r(self.max), "outliers": list(self.outliers)}


@dataclass(frozen=True)
class MetricStats:
    """On vs off for one metric. Percentages are degradations: +30 means on is 30 % slower/bigger."""

    on: SideStats
    off: SideStats
    paired: bool
    ratio: float | None  # point estimate of on/off
    ci_ratio: tuple[float, float] | None
    difference: float | None  # median(on) - median(off), in the metric's unit
    resamples: int = RESAMPLES
    level: float = LEVEL
    seed: int = 0
    note: str | None = None  # why there is no ratio or no interval
    dropped: int = 0  # resamples without a usable ratio (an off median of 0)
    # "bootstrap": median of per-pair ratios, percentile bootstrap (a fixed number of runs);
    # "t-log": geometric mean ratio, t interval of the mean log ratio (``sequential.py``, --runs auto)
    method: str = "bootstrap"

    @property
    def degradation_pct(self) -> float | None:
        return None if self.ratio is None else (self.ratio - 1.0) * 100.0

    @property
    def ci_low(self) -> float | None:
        return None if self.ci_ratio is None else (self.ci_ratio[0] - 1.0) * 100.0

    @property
    def ci_high(self) -> float | None:
        return None if self.ci_ratio is None else (self.ci_ratio[1] - 1.0) * 100.0

    @property
    def half_width_pct(self) -> float | None:
        """Half the interval's width: the smallest change this comparison could have told from noise."""
        if self.ci_low is None or self.ci_high is None:
            return None
        return (self.ci_high - self.ci_low) / 2.0

    def to_json(self) -> dict[str, Any]:
        return {
            "on": self.on.to_json(), "off": self.off.to_json(), "paired": self.paired,
            "ratio": _r(self.ratio, 4), "ci_ratio": [_r(x, 4) for x in self.ci_ratio] if self.ci_ratio else None,
            "degradation_pct": _r(self.degradation_pct, 2), "ci_low": _r(self.ci_low, 2),
            "ci_high": _r(self.ci_high, 2), "half_width_pct": _r(self.half_width_pct, 2),
            "difference": _r(self.difference), "resamples": self.resamples, "level": self.level,
            "seed": self.seed, "dropped_resamples": self.dropped, "note": self.note, "method": self.method,
        }


def _r(value: float | None, digits: int = 3) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, digits)


def _bounds(estimates: list[float], level: float) -> tuple[float, float]:
    tail = (1.0 - level) / 2.0
    return quantile(estimates, tail), quantile(estimates, 1.0 - tail)


def summarize(on: Sequence[float], off: Sequence[float], seed: int = 0, *, paired: bool | None = None,
              resamples: int = RESAMPLES, level: float = LEVEL) -> MetricStats:
    """Summarise ``on`` vs ``off`` samples of one metric.

    ``paired``: None means "paired when both sides have the same length", which is what the
    runner's interleaved pairs produce; pass False for samples measured at different times.
    """
    on, off = [float(x) for x in on], [float(x) for x in off]
    if any(not math.isfinite(x) for x in (*on, *off)):
        raise ValueError("samples must be finite numbers")
    is_paired = (len(on) == len(off)) if paired is None else paired
    if is_paired and len(on) != len(off):
        raise ValueError("paired samples need the same number of values on both sides")
    on_s, off_s = SideStats.of(on), SideStats.of(off)
    difference = None if on_s.median is None or off_s.median is None else on_s.median - off_s.median

    def result(ratio: float | None, ci: tuple[float, float] | None = None, note: str | None = None,
               dropped: int = 0) -> MetricStats:
        return MetricStats(on_s, off_s, is_paired, ratio, ci, difference, resamples, level, seed, note, dropped)

    if not on or not off:
        return result(None, note="no samples on one side")
    if min(on + off) < 0:
        return result(None, note="negative values: compared as a difference only")
    ratios: list[float] = []
    if is_paired and min(off) > 0:
        ratios = [a / b for a, b in zip(on, off, strict=True)]
        ratio = median(ratios)
    elif off_s.median and on_s.median is not None:
        is_paired = False
        ratio = on_s.median / off_s.median
    else:
        is_paired = False
        return result(None, note="the off side's median is 0: no ratio")
    if min(len(on), len(off)) < MIN_FOR_INTERVAL:
        return result(ratio, note=f"fewer than {MIN_FOR_INTERVAL} samples per side: no interval")
    rng = random.Random(seed)
    estimates: list[float] = []
    dropped = 0
    if is_paired:
        estimates = [median(rng.choices(ratios, k=len(ratios))) for _ in range(resamples)]
    else:
        for _ in range(resamples):
            denominator = median(rng.choices(off, k=len(off)))
            if denominator <= 0:
                dropped += 1
                continue
            estimates.append(median(rng.choices(on, k=len(on))) / denominator)
    if dropped > resamples * (1.0 - level) / 2.0:
        return result(ratio, note=f"{dropped} of {resamples} resamples had an off median of 0: no interval",
                      dropped=dropped)
    return result(ratio, _bounds(estimates, level), dropped=dropped)
