"""The Performance page against the demo target: ``compare`` with progress, its charts drawn by
``perf/charts.py`` on round axis ticks, and Cancel (the flag is put back; the last complete result
stays, the cancellation is told apart)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from PySide6.QtCharts import QChartView, QValueAxis

from tests.ui.conftest import FLAG, stored_flags


def round_number(step: float) -> bool:
    """1, 2, 2.5 or 5 times a power of ten."""
    import math

    mantissa = step / 10 ** math.floor(math.log10(step))
    return any(abs(mantissa - m) < 1e-6 for m in (1, 2, 2.5, 5, 10))


def test_compare_then_a_cancelled_one_keeps_the_result(console_on: Any, live_demo: Any, tmp_path: Path) -> None:
    shell, console = console_on(live_demo)
    page = console.show_page("performance")
    page.runs.setValue(10)
    assert page.progress.text() == "0 of 22 runs done"  # what a 10-pair run will do, not "run 0 of 100"
    steps: list[tuple[int, int]] = []
    lines: list[tuple[int, str]] = []
    page.progress.valueChanged.connect(lambda v: steps.append((v, page.progress.maximum())))
    page.runs.setValue(2)
    page.seed.setText("3")
    page.start()
    assert page.cancel.isEnabled() and not page.go.isEnabled()
    shell.qtbot.waitUntil(lambda: (lines.append((page.progress.value(), page.progress_line.text())) or
                                   page.task is None), timeout=300_000)
    assert page.banner.isHidden(), page.banner.text.text()
    assert steps and steps[-1] == (6, 6)  # warm-up pair + 2 pairs, every run reported
    for value, text in lines:  # the bar counts the runs done; the line names the one running or just done
        if text.startswith("now run "):
            assert int(text.split()[2]) == value + 1, (value, text)
    text = page.summary.toPlainText()
    assert "workload.total" in text and "95% CI" in text
    views = page.charts.findChildren(QChartView)
    assert len(views) >= 3 and views[0].chart().title().startswith("workload.total")
    for view in views:
        for axis in view.chart().axes():
            if isinstance(axis, QValueAxis) and axis.isVisible():
                step = (axis.max() - axis.min()) / (axis.tickCount() - 1)
                ticks = axis.min() / step
                assert round_number(step) and abs(ticks - round(ticks)) < 1e-6, (axis.min(), axis.max(), step)
    verdict, summary = page.verdict.text(), page.summary.toPlainText()
    assert verdict and "runs per side" in verdict
    assert stored_flags(live_demo.profile) == {FLAG: True}  # put back as it was

    page.runs.setValue(30)
    page.start()
    shell.qtbot.waitUntil(lambda: page.progress.value() >= 1, timeout=60_000)
    page.stop()
    assert "cancelling" in page.progress_line.text()
    shell.qtbot.waitUntil(lambda: page.task is None, timeout=120_000)
    assert "Cancelled after" in page.cancelled_note.text.text() and page.cancelled_note.isVisible()
    assert "last complete comparison is still shown" in page.cancelled_note.text.text()
    assert page.verdict.text() == verdict and page.summary.toPlainText() == summary  # not "NONE … not classified"
    assert page.progress.value() < page.progress.maximum()
    assert stored_flags(live_demo.profile) == {FLAG: True}

    # the evidence report shows the saved comparison as its chart and its table (the cancelled one
    # was never saved)
    evidence = console.show_page("evidence")
    evidence.folder.setText(str(tmp_path))
    evidence.window_s.setValue(0)
    evidence.export()
    shell.qtbot.waitUntil(lambda: evidence.path is not None or evidence.banner.isVisible(), timeout=300_000)
    assert evidence.path is not None, evidence.banner.text.text()
    with zipfile.ZipFile(evidence.path) as zf:
        html = zf.read(next(n for n in zf.namelist() if n.endswith("data/report.html"))).decode()
    perf = html.split("<h2>Performance: flag on vs off</h2>", 1)[1].split("<h2>", 1)[0]
    assert perf.count("<svg") == 1 and "workload.total (ms)" in perf  # the chart, drawn from the saved numbers
    assert "<th>flag on</th><th>flag off</th><th>change</th>" in perf and "<td>workload.total</td>" in perf
    assert "not classified" not in perf.split("<table>", 1)[0] or "NOT CLASSIFIED" in perf  # never a green NONE


def test_auto_shows_the_interval_after_each_pair_and_cancel_puts_the_flag_back(console_on: Any,
                                                                              live_demo: Any) -> None:
    """``auto`` (the default): the interval shows as soon as the third pair is measured; Cancel
    then stops the comparison (unless that look already decided it) and puts the flag back."""
    shell, console = console_on(live_demo)
    page = console.show_page("performance")
    assert page.runs.value() == 0 and page.runs.text().startswith("auto")
    assert page.progress.text() == "0 of 42 runs done"  # at most the warm-up pair and 20 pairs
    page.start()
    shell.qtbot.waitUntil(lambda: len(page.looks.looks) >= 1, timeout=180_000)
    first = page.looks.looks[0]
    assert first.pairs == 3 and first.ci_low <= first.degradation_pct <= first.ci_high
    assert page.looks.isVisible() and page.looks.height() > 0
    page.stop()
    shell.qtbot.waitUntil(lambda: page.task is None, timeout=120_000)
    if first.decided is None:
        assert "Cancelled after" in page.cancelled_note.text.text() and page.cancelled_note.isVisible()
        assert "no complete comparison to show yet" in page.cancelled_note.text.text()
        assert page.progress.value() < page.progress.maximum()
    else:
        assert "stopped: " in page.summary.toPlainText()
    assert stored_flags(live_demo.profile) == {FLAG: True}
