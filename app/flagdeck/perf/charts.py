"""Charts of a comparison with Qt Charts: per metric, a box plot of each side with its runs on top.

The only Qt module of ``perf``. It draws from the comparison's JSON document (``CompareResult.
to_json()`` or a saved ``compare-*.json``), so the console's Performance page and the CLI draw the
same picture from a live result or from disk: :func:`build_chart` gives the ``QChart`` of one
metric (put it in a ``QChartView``), :func:`write_png` renders a grid of them offscreen.

Box: quartiles and median; whiskers: the furthest runs inside the Tukey fences; dots: every run
(outliers in red), spread sideways so equal values stay visible.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCharts import QBarCategoryAxis, QBoxPlotSeries, QBoxSet, QChart, QScatterSeries, QValueAxis
from PySide6.QtCore import QMargins, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QApplication, QGraphicsScene

SIDES = ("off", "on")
SIDE_COLOR = {"off": QColor("#4c78a8"), "on": QColor("#f58518")}
OUTLIER_COLOR = QColor("#d62728")
SEVERITY_COLOR = {"critical": "#b00020", "major": "#d9480f", "minor": "#b08800", "none": "#2b8a3e"}
CELL_W, CELL_H, HEADER_H, COLUMNS = 440, 300, 64, 3


def ensure_app() -> QApplication:
    """The running QApplication, or an offscreen one (the CLI on a machine without a display)."""
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    headless = sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if headless and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    return QApplication([sys.argv[0] if sys.argv else "flagdeck"])


def metric_names(result: Mapping[str, Any]) -> list[str]:
    """Metrics of a result in its order (headline first)."""
    return list((result.get("metrics") or {}).keys())


def _whiskers(values: Sequence[float], outliers: set[int]) -> tuple[float, float]:
    """The range of the values that are not outliers (the same ones drawn in red)."""
    inside = [v for i, v in enumerate(values) if i not in outliers] or list(values)
    return min(inside), max(inside)


def _title(metric: Mapping[str, Any]) -> str:
    name, unit = metric.get("name", "?"), metric.get("unit", "")
    deg, low, high = metric.get("degradation_pct"), metric.get("ci_low"), metric.get("ci_high")
    change = "" if deg is None else f"  {deg:+.1f} %"
    ci = "" if low is None else f" [{low:+.1f}, {high:+.1f}]"
    return f"{name} ({unit}){change}{ci}  {metric.get('severity', 'none')}"


def build_chart(result: Mapping[str, Any], metric: str) -> QChart:
    """The chart of one metric of a comparison result (its JSON document)."""
    data = (result.get("metrics") or {}).get(metric)
    if data is None:
        raise KeyError(f"no metric {metric!r} in this result")
    chart = QChart()
    chart.setTitle(_title(data))
    font = QFont()
    font.setPointSize(9)
    font.setBold(metric == result.get("metric"))
    chart.setTitleFont(font)
    chart.setTitleBrush(QBrush(QColor(SEVERITY_COLOR.get(str(data.get("severity")), "#222222"))))
    chart.legend().hide()
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)

    boxes = QBoxPlotSeries()
    dots: dict[str, QScatterSeries] = {}
    all_values: list[float] = []
    for index, side in enumerate(SIDES):
        values = [float(v) for v in (data.get("samples") or {}).get(side, [])]
        stats = data.get(side) or {}
        all_values += values
        box = QBoxSet(side)
        if values and stats.get("q1") is not None:
            low, high = _whiskers(values, set(stats.get("outliers") or []))
            for which, value in ((QBoxSet.ValuePositions.LowerExtreme, low),
                                 (QBoxSet.ValuePositions.LowerQuartile, stats["q1"]),
                                 (QBoxSet.ValuePositions.Median, stats["median"]),
                                 (QBoxSet.ValuePositions.UpperQuartile, stats["q3"]),
                                 (QBoxSet.ValuePositions.UpperExtreme, high)):
                box.setValue(which, value)
        color = QColor(SIDE_COLOR[side])
        color.setAlpha(70)
        box.setBrush(QBrush(color))
        box.setPen(QPen(SIDE_COLOR[side], 1.5))
        boxes.append(box)
        outliers = set(stats.get("outliers") or [])
        for kind, selected in (("run", [v for i, v in enumerate(values) if i not in outliers]),
                               ("outlier", [v for i, v in enumerate(values) if i in outliers])):
            color = SIDE_COLOR[side] if kind == "run" else OUTLIER_COLOR
            series = dots.setdefault(f"{side}-{kind}", _dot_series(color))
            for j, value in enumerate(selected):
                series.append(QPointF(index + _jitter(j, len(selected)), value))
    boxes.setBoxWidth(0.45)
    chart.addSeries(boxes)
    for series in dots.values():
        chart.addSeries(series)

    categories = QBarCategoryAxis()
    categories.append(list(SIDES))
    y_axis = QValueAxis()
    low, high = (min(all_values), max(all_values)) if all_values else (0.0, 1.0)
    pad = (high - low) * 0.08 or abs(high) * 0.1 or 1.0
    y_axis.setRange(max(0.0, low - pad) if low >= 0 else low - pad, high + pad)
    y_axis.setLabelFormat("%.0f" if high >= 1000 else "%.4g")
    x_value = QValueAxis()
    x_value.setRange(-0.5, len(SIDES) - 0.5)
    x_value.setVisible(False)
    chart.addAxis(categories, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(x_value, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
    boxes.attachAxis(categories)
    boxes.attachAxis(y_axis)
    for series in dots.values():
        series.attachAxis(x_value)
        series.attachAxis(y_axis)
    return chart


def _dot_series(color: QColor) -> QScatterSeries:
    series = QScatterSeries()
    series.setMarkerSize(7.0)
    series.setColor(color)
    series.setBorderColor(color.darker(140))
    return series


def _jitter(j: int, n: int) -> float:
    """Spread n dots across the middle of the box, deterministically (the same picture every time)."""
    if n <= 1:
        return 0.0
    return -0.16 + 0.32 * ((j * 7) % n) / (n - 1)


def write_png(result: Mapping[str, Any], path: Path, metrics: Sequence[str] | None = None) -> Path:
    """A grid of :func:`build_chart` for ``metrics`` (all, headline first, by default) as a PNG."""
    ensure_app()
    names = list(metrics) if metrics is not None else metric_names(result)
    rows = max(1, (len(names) + COLUMNS - 1) // COLUMNS)
    image = QImage(CELL_W * COLUMNS, HEADER_H + CELL_H * rows, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        _header(painter, result, image.width())
        scene = QGraphicsScene()
        for i, name in enumerate(names):
            chart = build_chart(result, name)
            scene.addItem(chart)
            chart.setGeometry(QRectF(0, 0, CELL_W, CELL_H))
            target = QRectF((i % COLUMNS) * CELL_W, HEADER_H + (i // COLUMNS) * CELL_H, CELL_W, CELL_H)
            scene.render(painter, target, QRectF(0, 0, CELL_W, CELL_H))
            scene.removeItem(chart)
    finally:
        painter.end()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(path), "PNG"):  # type: ignore[call-overload]  # PySide takes str for char*
        raise OSError(f"cannot write chart {path}")
    os.chmod(path, 0o600)
    return path


def _header(painter: QPainter, result: Mapping[str, Any], width: int) -> None:
    target = (result.get("target") or {}).get("name") or result.get("target_slug", "")
    severity = str(result.get("severity", "none"))
    font = QFont()
    font.setPointSize(12)
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("#222222"))
    painter.drawText(QRectF(12, 6, width - 24, 26), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                     f"{target}: {result.get('flag')} on (orange) vs off (blue), {result.get('runs')} runs per side")
    font.setPointSize(10)
    font.setBold(False)
    painter.setFont(font)
    painter.setPen(QColor(SEVERITY_COLOR.get(severity, "#222222")))
    painter.drawText(QRectF(12, 34, width - 24, 24), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                     f"{result.get('metric')}: {result.get('summary', '')}")
