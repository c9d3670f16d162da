"""The Performance page against the demo target: ``compare`` with progress, its charts drawn by
``perf/charts.py``, and Cancel (the flag is put back)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCharts import QChartView

from tests.ui.conftest import FLAG, stored_flags


def test_compare_with_progress_and_charts(console_on: Any, live_demo: Any) -> None:
    shell, console = console_on(live_demo)
    page = console.show_page("performance")
    steps: list[tuple[int, int]] = []
    page.progress.valueChanged.connect(lambda v: steps.append((v, page.progress.maximum())))
    page.runs.setValue(2)
    page.seed.setText("3")
    page.start()
    assert page.cancel.isEnabled() and not page.go.isEnabled()
    shell.qtbot.waitUntil(lambda: page.task is None, timeout=300_000)
    assert page.banner.isHidden(), page.banner.text.text()
    assert steps and steps[-1] == (6, 6)  # warm-up pair + 2 pairs, every run reported
    text = page.summary.toPlainText()
    assert "workload.total" in text and "95% CI" in text
    views = page.charts.findChildren(QChartView)
    assert len(views) >= 3 and views[0].chart().title().startswith("workload.total")
    assert page.verdict.text() and "runs per side" in page.verdict.text()
    assert stored_flags(live_demo.profile) == {FLAG: True}  # put back as it was


def test_auto_shows_the_interval_after_each_pair_and_cancel_puts_the_flag_back(console_on: Any,
                                                                              live_demo: Any) -> None:
    """``auto`` (the default): the interval shows as soon as the third pair is measured; Cancel
    then stops the comparison (unless that look already decided it) and puts the flag back."""
    shell, console = console_on(live_demo)
    page = console.show_page("performance")
    assert page.runs.value() == 0 and page.runs.text().startswith("auto")
    page.start()
    shell.qtbot.waitUntil(lambda: len(page.looks.looks) >= 1, timeout=180_000)
    first = page.looks.looks[0]
    assert first.pairs == 3 and first.ci_low <= first.degradation_pct <= first.ci_high
    assert page.looks.isVisible() and page.looks.height() > 0
    page.stop()
    shell.qtbot.waitUntil(lambda: page.task is None, timeout=120_000)
    if first.decided is None:
        assert "Cancelled" in page.banner.text.text()
        assert page.progress.value() < page.progress.maximum()
    else:
        assert "stopped: " in page.summary.toPlainText()
    assert stored_flags(live_demo.profile) == {FLAG: True}
