"""The early-stopping comparison's statistics (``perf/sequential.py``, ``perf/student_t.py``) on known
samples: t quantiles against published tables, the interval at a look, the bands that decide a tier,
the stop reasons, and an automatic comparison's analysis and text. Pure Python; how often the rule
decides right on the real demo target is a benchmark (benchmarks/bench_compare_auto.py)."""

from __future__ import annotations

import math
import random

import pytest

from flagdeck.perf import report, sequential, student_t
from flagdeck.perf.analysis import analyse
from flagdeck.perf.result import Stopping
from flagdeck.perf.tiers import decided, level_text
from tests.test_perf_results import synthetic


@pytest.mark.parametrize(("p", "df", "table"), [
    (0.975, 1, 12.7062), (0.975, 2, 4.3027), (0.995, 3, 5.8409), (0.9995, 4, 8.6103), (0.975, 10, 2.2281),
    (0.95, 30, 1.6973), (0.999, 100, 3.1737), (0.025, 5, -2.5706),
])
def test_t_quantiles_match_the_tables(p: float, df: float, table: float) -> None:
    assert student_t.quantile(p, df) == pytest.approx(table, abs=1e-4)
    assert 1 - student_t.upper_tail(student_t.quantile(p, df), df) == pytest.approx(p, abs=1e-9)


def test_each_look_spends_an_equal_share_of_the_five_percent() -> None:
    assert (sequential.MIN_PAIRS, sequential.MAX_PAIRS, sequential.LOOKS) == (3, 20, 18)
    assert abs(sequential.LOOK_LEVEL - (1 - 0.05 / 18)) < 1e-12
    assert abs(sequential.LOOKS * (1 - sequential.LOOK_LEVEL) / 2 - 0.025) < 1e-12  # one side, all looks
    assert level_text(sequential.LOOK_LEVEL) == "99.72%" and level_text(0.95) == "95%"


@pytest.mark.parametrize(("low", "high", "tier"), [
    (50.1, 90, "critical"), (50, 90, None), (20.5, 50, "major"), (20.5, 50.5, None), (25, 70, None),
    (0.5, 20, "minor"), (-5, 20, "none"), (-5, 20.1, None), (-30, -2, "none"), (5, 30, None),
])
def test_a_tier_is_decided_when_the_interval_lies_in_its_band(low: float, high: float, tier: str | None) -> None:
    assert decided(low, high) == tier


def test_paired_look_is_a_t_interval_of_the_mean_log_ratio() -> None:
    off = [20.0, 22.0, 19.0, 21.0]
    ratios = [1.5, 1.7, 1.6, 1.8]
    look = sequential.look([o * r for o, r in zip(off, ratios, strict=True)], off, paired=True)
    assert look is not None and look.pairs == 4 and look.df == 3
    logs = [math.log(r) for r in ratios]
    mean, se = sum(logs) / 4, (sum((x - sum(logs) / 4) ** 2 for x in logs) / 3) ** 0.5 / 2
    half = student_t.quantile(1 - (1 - sequential.LOOK_LEVEL) / 2, 3) * se
    assert look.ratio == pytest.approx(math.exp(mean))
    assert look.ci_ratio == pytest.approx((math.exp(mean - half), math.exp(mean + half)))
    assert look.ci_low < 50 < look.degradation_pct  # four pairs around +65 %: not decided yet
    assert look.decided is None


def test_no_look_before_three_pairs_or_without_a_logarithm() -> None:
    assert sequential.look([2.0, 2.0], [1.0, 1.0], paired=True) is None
    assert sequential.look([2.0, 2.0, 0.0], [1.0, 1.0, 1.0], paired=True) is None


def test_identical_ratios_decide_at_the_first_look() -> None:
    look = sequential.look([17.0, 34.0, 8.5], [10.0, 20.0, 5.0], paired=True)
    assert look is not None and look.ci_ratio == pytest.approx((1.7, 1.7)) and look.decided == "critical"


def test_one_disturbed_pair_delays_the_verdict_instead_of_raising_it() -> None:
    off = [20.0] * 6
    steady = [o * r for o, r in zip(off, [1.0, 1.02, 0.98, 1.01, 0.99, 1.0], strict=True)]
    disturbed = [*steady[:5], 20.0 * 3.0]  # one pair 3x slower with the flag on (a burst of load)
    calm = sequential.look(steady, off, paired=True)
    hit = sequential.look(disturbed, off, paired=True)
    assert calm is not None and hit is not None
    assert calm.decided == "none" and hit.decided is None  # it keeps measuring
    assert hit.ci_low < calm.ci_low  # the lower bound goes down, so no false alarm from one pair


def test_unpaired_look_against_a_baseline_uses_welch() -> None:
    rng = random.Random(4)
    off = [20 * math.exp(rng.gauss(0, 0.05)) for _ in range(8)]
    on = [36 * math.exp(rng.gauss(0, 0.05)) for _ in range(3)]
    look = sequential.look(on, off, paired=False)
    assert look is not None and look.pairs == 3 and 2 <= look.df <= 9 and look.ratio == pytest.approx(1.8, rel=0.1)
    assert look.decided == "critical"


def test_stop_reasons_say_what_was_decided_and_after_how_many_pairs() -> None:
    def at(pairs: int, low: float, high: float) -> sequential.Look:
        mid = (low + high) / 2
        return sequential.Look(pairs, 1 + mid / 100, (1 + low / 100, 1 + high / 100), sequential.LOOK_LEVEL, pairs - 1,
                               decided(low, high))

    assert sequential.reason(at(4, 55, 90)).startswith("critical decided: the whole 99.72 % interval +55.0 to "
                                                       "+90.0 % is above +50 %")
    assert sequential.reason(at(4, 55, 90)).endswith("after 4 pairs")
    assert sequential.reason(at(9, 25, 45)).startswith("major decided")
    assert sequential.reason(at(6, -8, 12)).startswith("no measurable change")
    assert sequential.reason(at(6, -30, -5)).startswith("an improvement")
    assert sequential.reason(at(6, 2, 15), paired=False).endswith("after 6 on-side runs")
    assert sequential.reason(at(20, 15, 40)).startswith("cap of 20 pairs reached without a decided tier")
    assert sequential.reason(None).startswith("stopped before 3 pairs")


def test_automatic_comparison_judges_its_headline_by_the_last_look() -> None:
    result = synthetic(1.8, pairs=4)
    result.stopping = Stopping("auto", "critical decided")
    analyse(result, seed=0)
    head = result.metrics["workload.total"]
    assert head.stats.method == "t-log" and head.stats.level == pytest.approx(sequential.LOOK_LEVEL)
    assert head.verdict.severity == "critical" and "99.72% CI" in head.verdict.summary
    assert result.metrics["nav.load"].stats.method == "bootstrap"  # the other metrics decide nothing
    data = result.to_json()
    assert data["stopping"]["mode"] == "auto" and data["ci_level"] == pytest.approx(sequential.LOOK_LEVEL)
    assert data["metrics"]["workload.total"]["method"] == "t-log"
    text = report.render(result)
    assert "stopped: critical decided" in text and "(99.72%)" in text and "t interval at 99.72%" in text


def test_progress_shows_the_interval_after_each_pair() -> None:
    wide = sequential.look([36.0, 34.0, 37.0], [20.0, 20.5, 19.5], paired=True)  # three pairs: a wide interval
    narrow = sequential.look([36.0, 36.4, 35.8], [20.0, 20.2, 19.9], paired=True)
    assert wide is not None and narrow is not None
    assert report.look_line(wide).startswith("  after 3 pairs: +78.3 % (99.72% CI -15.1 to +274.1 %)")
    assert report.look_line(wide).endswith("not decided yet") and report.look_line(narrow).endswith("decides critical")
    sample = synthetic(1.0, pairs=3).samples[4]
    assert f"pair  {sample.pair} of at most 20" in report.progress_line(5, 42, sample, "workload.total", auto=True)
