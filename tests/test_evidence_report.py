"""The report's own chart: axis ticks at round numbers that cover every value."""

from __future__ import annotations

import itertools

import pytest

from flagdeck.evidence.report_chart import nice_ticks, svg


@pytest.mark.parametrize(("low", "high", "step"), [(8.4, 13.9, 2), (0.832, 3.268, 1), (4760, 6315, 500),
                                                   (0.0, 0.07, 0.02), (12.0, 12.0, 5)])
def test_ticks_are_round_and_cover_the_values(low: float, high: float, step: float) -> None:
    ticks = nice_ticks(low, high)
    assert ticks[0] <= low and ticks[-1] >= high
    assert all(abs((b - a) - step) < 1e-9 for a, b in itertools.pairwise(ticks)), ticks


def test_a_metric_without_samples_draws_nothing() -> None:
    assert svg({"name": "workload.total", "samples": {}}) == ""
    drawn = svg({"name": "workload.total", "unit": "ms", "degradation_pct": 61.5,
                 "samples": {"on": [20.5, 21.0, 22.4], "off": [12.0, 13.1, 12.7]}})
    assert drawn.startswith("<svg") and "workload.total (ms): +61.5 % with the flag on" in drawn
    assert drawn.count("<circle") == 6
