"""The comparison chart: a QChart per metric (what the console's Performance page embeds) and the
offscreen PNG grid the CLI writes, drawn from a result's JSON document."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from tests import system_deps
from tests.test_perf_results import synthetic

try:
    import PySide6.QtCharts  # noqa: F401  (PySide6's Addons wheel)
except ImportError:
    system_deps.require("PySide6.QtCharts is missing (pip install PySide6-Addons)")


@pytest.fixture
def result_json() -> dict[str, Any]:
    return json.loads(json.dumps(synthetic(1.35).to_json()))  # exactly what a saved file holds


def test_build_chart_has_boxes_and_dots_per_side(qapp: Any, result_json: dict[str, Any]) -> None:
    from PySide6.QtCharts import QBoxPlotSeries, QScatterSeries

    from flagdeck.perf import charts

    chart = charts.build_chart(result_json, "workload.total")
    boxes = [s for s in chart.series() if isinstance(s, QBoxPlotSeries)]
    dots = [s for s in chart.series() if isinstance(s, QScatterSeries)]
    assert len(boxes) == 1 and boxes[0].count() == 2
    assert sum(s.count() for s in dots) == 20  # every run of both sides
    assert "workload.total" in chart.title() and "major" in chart.title()
    with pytest.raises(KeyError):
        charts.build_chart(result_json, "no.such.metric")


def test_png_grid_is_written_private_and_not_blank(qapp: Any, result_json: dict[str, Any], tmp_path: Path) -> None:
    from PySide6.QtGui import QColor, QImage

    from flagdeck.perf import charts

    path = charts.write_png(result_json, tmp_path / "sub" / "chart.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and stat.S_IMODE(path.stat().st_mode) == 0o600
    image = QImage(str(path))
    rows = (len(result_json["metrics"]) + charts.COLUMNS - 1) // charts.COLUMNS
    assert (image.width(), image.height()) == (charts.CELL_W * charts.COLUMNS, charts.HEADER_H + charts.CELL_H * rows)
    orange = charts.SIDE_COLOR["on"]
    found = any(QColor(image.pixel(x, y)).rgb() == orange.rgb()
                for x in range(0, charts.CELL_W, 2) for y in range(charts.HEADER_H, charts.HEADER_H + charts.CELL_H, 2))
    assert found, "the headline chart has no on-side dots"


def test_chart_of_a_metric_without_spread_or_ratio(qapp: Any, result_json: dict[str, Any], tmp_path: Path) -> None:
    from flagdeck.perf import charts

    chart = charts.build_chart(result_json, "renderer.cpu_percent")  # all zeros, no ratio
    assert "renderer.cpu_percent" in chart.title()
    assert charts.write_png(result_json, tmp_path / "one.png", metrics=["renderer.cpu_percent"]).is_file()
