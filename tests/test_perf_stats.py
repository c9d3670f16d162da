"""Statistics and tiers of the performance comparison on known samples (pure Python, fixed seeds)."""

from __future__ import annotations

import math
import random

import pytest

from flagdeck.perf.stats import MIN_FOR_INTERVAL, SideStats, median, quantile, summarize, tukey_outliers
from flagdeck.perf.tiers import classify, severity_of

OFF = [100.0, 103.0, 99.0, 104.0, 101.0, 98.0, 102.0, 100.0, 97.0, 105.0]


def noisy(factor: float, seed: int, n: int = 10, spread: float = 0.08) -> tuple[list[float], list[float]]:
    """Pairs sharing a per-pair load factor (what interleaving is for), plus independent noise."""
    rng = random.Random(seed)
    on, off = [], []
    for _ in range(n):
        load = math.exp(rng.gauss(0, 0.3))
        off.append(20 * load * math.exp(rng.gauss(0, spread)))
        on.append(20 * factor * load * math.exp(rng.gauss(0, spread)))
    return on, off


# --- order statistics -----------------------------------------------------------------------------


def test_quantiles_interpolate_like_numpy() -> None:
    xs = [1.0, 2.0, 3.0, 4.0]
    assert median(xs) == 2.5
    assert quantile(xs, 0.25) == 1.75 and quantile(xs, 0.75) == 3.25
    assert quantile([7.0], 0.9) == 7.0
    with pytest.raises(ValueError):
        quantile([], 0.5)


def test_side_stats() -> None:
    s = SideStats.of([5.0, 1.0, 3.0, 2.0, 4.0])
    assert (s.n, s.median, s.q1, s.q3, s.iqr, s.min, s.max) == (5, 3.0, 2.0, 4.0, 2.0, 1.0, 5.0)
    assert SideStats.of([]).median is None and SideStats.of([]).iqr is None


def test_tukey_fences_flag_both_tails_and_nothing_in_tiny_samples() -> None:
    assert tukey_outliers([10, 11, 12, 13, 14, 100]) == (5,)
    assert tukey_outliers([-50, 10, 11, 12, 13, 14]) == (0,)
    assert tukey_outliers([10, 11, 12, 13, 14]) == ()
    assert tukey_outliers([1, 1, 1000]) == ()  # fewer than 4 values: quartiles say nothing
    assert tukey_outliers([5, 5, 5, 5, 5]) == ()  # no spread, no outlier


# --- the ratio and its interval --------------------------------------------------------------------


def test_exact_ratio_has_a_zero_width_interval() -> None:
    s = summarize([x * 1.5 for x in OFF], OFF, seed=1)
    assert s.paired and s.ratio == pytest.approx(1.5)
    assert s.ci_ratio == pytest.approx((1.5, 1.5))
    assert s.degradation_pct == pytest.approx(50.0) and s.half_width_pct == pytest.approx(0.0)
    assert classify(s).severity == "major"  # exactly 50 % does not exceed 50 %


@pytest.mark.parametrize("factor", [0.8, 1.0, 1.1, 1.35, 1.8])
def test_interval_brackets_the_true_ratio(factor: float) -> None:
    hits = 0
    for seed in range(40):
        on, off = noisy(factor, seed)
        s = summarize(on, off, seed=seed)
        assert s.ci_ratio is not None and s.ci_ratio[0] <= s.ratio <= s.ci_ratio[1]  # type: ignore[operator]
        hits += s.ci_ratio[0] <= factor <= s.ci_ratio[1]
    assert hits >= 33  # a 95 % interval of a median from 10 pairs: about 90 % in practice


def test_pairing_cancels_shared_load() -> None:
    on, off = noisy(1.35, seed=3)
    paired = summarize(on, off, seed=0)
    unpaired = summarize(on, off, seed=0, paired=False)
    assert paired.half_width_pct < unpaired.half_width_pct / 2  # type: ignore[operator]
    assert not unpaired.paired and unpaired.ratio == pytest.approx(median(on) / median(off))


def test_same_seed_same_numbers_other_seed_other_resamples() -> None:
    on, off = noisy(1.2, seed=7)
    a, b = summarize(on, off, seed=5), summarize(on, off, seed=5)
    assert a.to_json() == b.to_json()
    # Unpaired, the statistic (a ratio of two medians) takes many values, so the seed shows.
    c, d = summarize(on, off, seed=5, paired=False), summarize(on, off, seed=6, paired=False)
    assert c.ratio == d.ratio and c.ci_ratio != d.ci_ratio


def test_to_json_is_plain_and_rounded() -> None:
    data = summarize(*noisy(1.3, seed=2), seed=0).to_json()
    assert set(data) >= {"on", "off", "ratio", "ci_low", "ci_high", "degradation_pct", "half_width_pct", "paired"}
    assert data["on"]["n"] == 10 and isinstance(data["on"]["outliers"], list)


# --- tiers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("low", "high", "severity"), [
    (50.01, 90, "critical"), (50.0, 90, "major"), (20.01, 40, "major"), (20.0, 40, "minor"),
    (0.01, 10, "minor"), (0.0, 10, "none"), (-5, 10, "none"), (-30, -2, "none"),
])
def test_tier_edges_are_exclusive(low: float, high: float, severity: str) -> None:
    assert severity_of(low, high) == severity


def test_factors_land_in_their_tiers() -> None:
    expected = {1.8: "critical", 1.35: "major", 1.0: "none"}
    for factor, severity in expected.items():
        on, off = noisy(factor, seed=11, spread=0.03)
        assert classify(summarize(on, off, seed=0)).severity == severity, factor


def test_interval_spanning_zero_is_no_measurable_change_with_its_resolution() -> None:
    on, off = noisy(1.0, seed=4)
    s = summarize(on, off, seed=0)
    verdict = classify(s)
    assert s.ci_low < 0 < s.ci_high  # type: ignore[operator]
    assert verdict.severity == "none" and not verdict.improvement
    assert "no measurable change" in verdict.summary
    assert verdict.min_detectable_pct == pytest.approx(s.half_width_pct) and verdict.min_detectable_pct > 0


def test_improvement_is_none_and_said_so() -> None:
    on, off = noisy(0.6, seed=5, spread=0.03)
    verdict = classify(summarize(on, off, seed=0))
    assert verdict.severity == "none" and verdict.improvement and verdict.summary.startswith("improvement")


# --- small, zero and negative samples ---------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2])
def test_tiny_samples_have_a_ratio_but_no_interval(n: int) -> None:
    s = summarize([12.0, 13.0][:n], [10.0, 10.0][:n], seed=0)
    assert s.ratio is not None and s.ci_ratio is None and n < MIN_FOR_INTERVAL
    assert "no interval" in (s.note or "")
    assert classify(s).severity == "none" and classify(s).summary.startswith("not classified")


def test_three_samples_are_enough_for_an_interval() -> None:
    s = summarize([13.0, 12.0, 14.0], [10.0, 10.5, 9.5], seed=0)
    assert s.ci_ratio is not None and s.ci_ratio[0] > 1


def test_no_samples_on_a_side() -> None:
    s = summarize([], [1.0, 2.0, 3.0], seed=0)
    assert s.ratio is None and s.on.n == 0 and s.note == "no samples on one side"
    assert classify(s).severity == "none"


def test_zero_off_median_gives_no_ratio_but_a_difference() -> None:
    s = summarize([0.0, 1.0, 2.0, 0.0], [0.0, 0.0, 0.0, 0.0], seed=0)
    assert s.ratio is None and s.difference == pytest.approx(0.5) and "median is 0" in (s.note or "")


def test_a_zero_in_a_pair_falls_back_to_the_ratio_of_medians() -> None:
    on = [12.0, 13.0, 11.0, 12.5, 12.0, 11.5, 12.5, 0.5]
    off = [10.0, 10.0, 9.0, 10.5, 10.0, 9.5, 10.5, 0.0]
    s = summarize(on, off, seed=0)
    assert not s.paired and s.ratio == pytest.approx(12.0 / 10.0)
    assert s.ci_ratio is not None and s.ci_ratio[0] > 1


def test_resamples_with_an_off_median_of_zero_are_dropped_or_refused() -> None:
    mostly_zero = summarize([1.0, 2.0, 1.5, 1.0, 2.0], [0.0, 0.0, 0.0, 1.0, 1.0], seed=0, paired=False)
    assert mostly_zero.ratio is None  # the off median itself is 0
    some_zero = summarize([2.0, 2.2, 2.1, 1.9, 2.0, 2.3], [0.0, 1.0, 1.1, 1.0, 0.9, 1.0], seed=0, paired=False)
    assert some_zero.ratio == pytest.approx(2.05 / 1.0)
    assert some_zero.dropped > 0 or some_zero.ci_ratio is not None


def test_negative_values_are_a_difference_only() -> None:
    s = summarize([-1.0, 2.0, 3.0], [1.0, 2.0, 3.0], seed=0)
    assert s.ratio is None and s.difference == pytest.approx(0.0) and "negative" in (s.note or "")


def test_unusable_input_is_refused() -> None:
    with pytest.raises(ValueError):
        summarize([1.0, math.nan], [1.0, 2.0], seed=0)
    with pytest.raises(ValueError):
        summarize([1.0, 2.0, 3.0], [1.0, 2.0], seed=0, paired=True)


def test_bootstrap_is_quick() -> None:
    import time

    on, off = noisy(1.3, seed=1, n=30)
    t0 = time.perf_counter()
    for _ in range(20):
        summarize(on, off, seed=0)
    assert time.perf_counter() - t0 < 2.0  # 20 metrics of 30 pairs, 2,000 resamples each
