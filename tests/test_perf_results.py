"""Everything around a comparison that needs no browser: workload parsing, the schedule, analysis,
the saved file and ``perf_trigger``, baselines, the text table and the CSV."""

from __future__ import annotations

import csv
import json
import random
import stat
from pathlib import Path

import pytest

from flagdeck.errors import UsageError
from flagdeck.perf import baseline, report, saved, workload
from flagdeck.perf.analysis import analyse
from flagdeck.perf.collect import comparison_rows
from flagdeck.perf.result import CompareResult, RunSample
from flagdeck.perf.runner import schedule
from flagdeck.triggers import perf_trigger

SLUG = "demo-0123456789"


def synthetic(factor: float, pairs: int = 10, seed: int = 1, headline: str = "workload.total") -> CompareResult:
    """A comparison as the runner would record it: a warm-up pair, then ``pairs`` noisy pairs."""
    rng = random.Random(seed)
    result = CompareResult("demo target", SLUG, {"name": "demo target"}, "USE_UNIFIED_DB_SERVICE",
                           "2026-01-02T03:04:05.000+00:00", workload.demo(), headline, pairs, seed)
    for step, (pair, order) in enumerate(schedule(pairs, rng), 1):
        load = 1 + 0.1 * rng.random()
        ops = {"loadTopicMessages": 10.0, "sendMessage": 2.5, "editMessage": 1.0, "deleteMessage": 1.5}
        scale = (factor if order == "on" else 1.0) * load
        values = {f"workload.{k}": v * scale for k, v in ops.items()}
        values["workload.total"] = sum(values.values())
        values["nav.load"] = 80 * load
        values["renderer.cpu_percent"] = 0.0  # an idle renderer: no ratio, never a crash
        timing = {"switch": 2.0, "reload": 200.0, "ready": 100.0, "workload": 400.0, "collect": 5.0,
                  "bookkeeping": 0.5}
        result.samples.append(RunSample(step, pair, order, values, timing, step * 0.8))
    last_on = next(s for s in reversed(result.samples) if s.side == "on")
    last_on.comparisons = [{"operation": "loadTopicMessages", "original": {"medianMs": 10},
                                       "unified": {"medianMs": 13.5}, "diffPct": 35.0}]
    analyse(result, seed=0)
    return result


# --- the workload contract ----------------------------------------------------------------------------


def test_numbers_of_flattens_one_level_and_keeps_problems() -> None:
    value = {"load": 12.5, "save": 3, "probe": {"total": 20}, "ok": True, "name": "x", "__problems": ["boom"]}
    numbers, problems = workload.numbers_of(value, "probe")
    assert numbers == {"workload.load": 12.5, "workload.save": 3.0, "workload.probe.total": 20.0}
    assert problems == ["boom"]


@pytest.mark.parametrize("value", [None, 3, [1, 2], {"a": "x"}, {"a": True}, {"a": float("inf")}])
def test_numbers_of_refuses_what_is_not_timings(value: object) -> None:
    with pytest.raises(UsageError):
        workload.numbers_of(value, "probe x.js")


def test_best_of_takes_per_metric_minimums_and_sums_them() -> None:
    reps = [{"workload.a": 5.0, "workload.b": 1.0, "workload.c.d": 9.0},
            {"workload.a": 3.0, "workload.b": 2.0, "workload.c.d": 7.0}]
    best = workload.best_of(reps)
    assert best == {"workload.a": 3.0, "workload.b": 1.0, "workload.c.d": 7.0, "workload.total": 4.0}
    given = workload.best_of([{"workload.total": 9.0, "workload.a": 1.0}, {"workload.total": 8.0, "workload.a": 2.0}])
    assert given["workload.total"] == 8.0  # a probe's own total is kept, not recomputed


def test_probe_forms_and_reading(tmp_path: Path) -> None:
    expression, body = workload.probe_forms("demoProbes.x();  \n")
    assert expression == "async () => (\ndemoProbes.x()\n)" and body.startswith("async () => {\n")
    empty = tmp_path / "empty.js"
    empty.write_text("  \n")
    with pytest.raises(UsageError, match="empty"):
        workload.read_probe(empty)
    with pytest.raises(UsageError, match="cannot read"):
        workload.read_probe(tmp_path / "missing.js")
    big = tmp_path / "big.js"
    big.write_text("x" * (workload.MAX_PROBE_BYTES + 1))
    with pytest.raises(UsageError, match="KB"):
        workload.read_probe(big)


def test_workload_expression_runs_warmup_plus_repeat() -> None:
    wl = workload.demo(repeat=7)
    js = wl.expression()
    assert "i < 8" in js and "i >= 1" in js and "runWorkload({topics: 1})" in js
    assert wl.headline == "workload.total" and workload.load_only().headline == "nav.load"
    with pytest.raises(ValueError):
        workload.load_only().expression()


# --- schedule and analysis -----------------------------------------------------------------------------


def test_schedule_is_a_warmup_pair_then_shuffled_pairs() -> None:
    plan = schedule(10, random.Random(3))
    assert len(plan) == 22 and plan[0][0] == plan[1][0] == 0
    for pair in range(11):
        assert sorted(side for p, side in plan if p == pair) == ["off", "on"]
    firsts = {side for (p, side) in plan[::2]}
    assert firsts == {"on", "off"}  # the order really varies
    assert schedule(10, random.Random(3)) == plan
    assert [side for _, side in schedule(3, random.Random(0), on_only=True)] == ["on"] * 4


def test_analysis_pairs_runs_and_puts_the_headline_first() -> None:
    result = synthetic(1.35)
    names = list(result.metrics)
    assert names[0] == "workload.total" and names[1].startswith("workload.")
    head = result.metrics["workload.total"]
    assert head.stats.paired and len(head.on) == 10 == result.runs
    assert head.verdict.severity == "major" and 30 < head.stats.degradation_pct < 40  # type: ignore[operator]
    assert result.metrics["renderer.cpu_percent"].stats.ratio is None  # all zero: reported, not a crash
    assert result.page_comparisons["on"][0] == {"operation": "loadTopicMessages", "diff_pct": 35.0,
                                                 "original_ms": 10.0, "unified_ms": 13.5}


def test_comparison_rows_tolerate_unknown_shapes() -> None:
    assert comparison_rows(None) == [] and comparison_rows("x") == [] and comparison_rows([1, "a"]) == []
    assert comparison_rows({"comparisons": [{"name": "op", "diffPct": None}]})[0]["operation"] == "op"
    assert comparison_rows({"load": {"operation": "load", "diff_pct": 3}})[0]["diff_pct"] == 3


def test_analysis_against_a_baseline_is_unpaired() -> None:
    result = synthetic(1.8)
    off = [s.values for s in result.measured("off")]
    for s in list(result.samples):
        if s.side == "off":
            result.samples.remove(s)
    analyse(result, seed=0, baseline=off)
    head = result.metrics["workload.total"]
    assert not head.stats.paired and head.verdict.severity == "critical"


# --- the saved comparison and the trigger board ------------------------------------------------------------


def test_saved_file_has_the_trigger_keys_and_is_private(user_dirs: Path) -> None:
    result = synthetic(1.8)
    path = saved.save(result)
    assert path.name.startswith("compare-") and path.name.endswith(f"-{SLUG}.json")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(path.read_text())
    for key in ("severity", "degradation_pct", "ci_low", "ci_high", "metric", "runs", "target_slug", "started"):
        assert key in data
    assert data["severity"] == "critical" and data["metric"] == "workload.total" and data["runs"] == 10
    assert data["ci_low"] > 50 and data["metrics"]["workload.total"]["samples"]["on"]
    assert saved.latest(SLUG)["severity"] == "critical"  # type: ignore[index]
    second = saved.save(synthetic(1.0, seed=2))  # same second: a new name, never an overwrite
    assert second != path and saved.latest(SLUG)["severity"] == "none"  # type: ignore[index]


def test_perf_trigger_of_a_comparison() -> None:
    trigger = perf_trigger(synthetic(1.35).to_json())
    assert trigger is not None and trigger.severity == "major" and trigger.source == "perf"
    assert "workload.total" in trigger.observed and "95% CI" in trigger.observed


# --- baselines -----------------------------------------------------------------------------------------------


def test_baseline_option_grammar() -> None:
    assert baseline.parse_option(None) == (None, None)
    assert baseline.parse_option("save")[0] == baseline.default_name()
    assert baseline.parse_option("save=v1.9") == ("v1.9", None)
    assert baseline.parse_option("v1.9") == (None, "v1.9")
    for bad in ("save=", "../x", "a b", "save=save", "-x"):
        with pytest.raises(UsageError):
            baseline.parse_option(bad)


def test_baseline_round_trip_and_errors(user_dirs: Path) -> None:
    path = baseline.save("v1", target_slug=SLUG, flag="F", workload={"description": "w"},
                         samples=[{"workload.total": 10.0}, {"workload.total": 11.0}], created="now")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and baseline.names() == ["v1"]
    loaded = baseline.load("v1")
    assert loaded.values("workload.total") == [10.0, 11.0] and loaded.flag == "F"
    with pytest.raises(UsageError, match="no saved baseline"):
        baseline.load("v2")
    path.write_text("{broken")
    from flagdeck.errors import StorageUnreadable

    with pytest.raises(StorageUnreadable):
        baseline.load("v1")


# --- text and CSV ---------------------------------------------------------------------------------------------


def test_text_report_shows_table_verdict_and_runbook() -> None:
    text = report.render(synthetic(1.8))
    assert "METRIC" in text and "95% CI" in text and "workload.total" in text
    assert "headline workload.total: critical" in text and "Performance degradation > 50%" in text
    assert "flagdeck overhead:" in text and "loadTopicMessages +35.0 %" in text


def test_csv_has_a_row_per_run(tmp_path: Path) -> None:
    result = synthetic(1.1)
    path = report.write_csv(result, tmp_path / "runs.csv")
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == 22 and rows[0]["warmup"] == "1" and rows[2]["warmup"] == "0"
    assert float(rows[5]["workload.total"]) > 0 and {"step", "pair", "side", "nav.load"} <= set(rows[0])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_overhead_figures() -> None:
    over = synthetic(1.0).overhead()
    assert over == {"overhead_ms": 7.5, "target_ms": 700.0, "ratio": round(7.5 / 700, 4)}
