"""The trigger board measures the performance triggers on the real demo target (``--fault slow=F``):
against the saved baseline of the original path when there is one, else with the early-stopping
comparison, and says which; ``--quick`` measures nothing and says so. slow=1.0 giving no trigger is
the comparison's own test (tests/test_perf_compare.py) plus ``perf_trigger`` below."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from flagdeck.perf.runner import BASELINE_RUNS, measure_baseline
from flagdeck.triggers import perf_trigger
from tests import perf_support
from tests.demo_support import DemoTarget
from tests.test_perf_compare import cli_args, flagdeck, stored_flags, target_of

FLAG = "USE_UNIFIED_DB_SERVICE"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[float], DemoTarget]]:
    targets = perf_support.SlowTargets(tmp_path_factory)
    yield targets.get
    targets.stop()


def flag_on(target: DemoTarget) -> DemoTarget:
    """The bad release: the unified path on (the fault only slows that path)."""
    target.with_flags(json.dumps({FLAG: True}))
    return target


def board_of(target: DemoTarget, *args: str) -> tuple[dict, str, int]:
    proc = flagdeck(*cli_args(target), "--json", "triggers", *args)
    assert "Traceback" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout), proc.stderr, proc.returncode


def test_against_the_saved_baseline_of_the_original_path(demo: Callable[[float], DemoTarget], user_dirs: Path) -> None:
    target = flag_on(demo(1.8))
    saved = measure_baseline(target_of(target), "original", flag=FLAG)
    assert saved.baseline is not None and saved.baseline["action"] == "saved"
    assert len(json.loads(Path(saved.baseline["path"]).read_text())["samples"]) == BASELINE_RUNS
    assert stored_flags(target) == json.dumps({FLAG: True})  # measuring the original path put the flag back
    board, err, code = board_of(target)
    perf = board["perf"]
    assert perf["how"] == "baseline" and perf["measured"] and "against the saved baseline original" in perf["detail"]
    assert perf["severity"] == "critical", perf
    (trigger,) = [t for t in board["triggers"] if t["source"] == "perf"]
    assert trigger["severity"] == "critical" and trigger["runbook"] == "Performance degradation > 50%"
    assert "against baseline original" in trigger["observed"]
    assert board["level"] == "level-1-now" and code == 1 and "performance" in board["checked"]
    assert "performance: after " in err  # the interval after each on-side run, as it narrows
    assert json.loads(Path(perf["saved"]).read_text())["baseline"]["name"] == "original"


def test_without_a_baseline_an_early_stopping_comparison(demo: Callable[[float], DemoTarget]) -> None:
    target = flag_on(demo(1.35))
    board, _, code = board_of(target)
    perf = board["perf"]
    assert perf["how"] == "comparison" and "early-stopping comparison" in perf["detail"], perf
    assert perf["severity"] == "major", perf
    (trigger,) = [t for t in board["triggers"] if t["source"] == "perf"]
    assert trigger["severity"] == "major" and trigger["runbook"] == "Performance degradation 20-50%"
    assert board["level"] == "level-1-within-hour" and code == 1
    assert stored_flags(target) == json.dumps({FLAG: True})


def test_quick_measures_nothing_and_says_so(demo: Callable[[float], DemoTarget], user_dirs: Path) -> None:
    target = flag_on(demo(1.0))
    board, _, code = board_of(target, "--quick")
    assert board["perf"]["how"] == "quick" and not board["perf"]["measured"] and board["perf"]["severity"] is None
    assert not [t for t in board["triggers"] if t["source"] == "perf"] and "performance" not in board["checked"]
    assert code == 0 and not list((user_dirs / "data" / "perf").glob("compare-*.json"))
    text = flagdeck(*cli_args(target), "triggers", "--quick").stdout
    assert "performance: not measured (--quick)" in text


def test_no_degradation_fires_no_trigger() -> None:
    assert perf_trigger({"severity": "none", "metric": "workload.total", "degradation_pct": 2.0}) is None
    minor = perf_trigger({"severity": "minor", "metric": "workload.total", "degradation_pct": 12.0, "ci_low": 3.0,
                          "ci_high": 19.0, "ci_level": 0.9972}, "comparison of 9 pairs")
    assert minor is not None and minor.observed == ("workload.total +12.0 % slower (99.72% CI +3.0 to +19.0 %), "
                                                    "comparison of 9 pairs")
