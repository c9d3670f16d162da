"""Performance: flag on vs off on the running app (``flagdeck compare``) with progress and Cancel,
the runbook's tier, and the comparison's charts (``perf/charts.py``, QtCharts loaded only here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from flagdeck.ui import icons, theme
from flagdeck.ui.console import widgets
from flagdeck.ui.console.page import ConsoleContext, Page
from flagdeck.ui.console.perf_looks import LooksView
from flagdeck.ui.workers import Task

CHART_COLUMNS = 1  # the core's chart titles carry the interval: they need the width


class PerfPage(Page):
    key, title, icon = "performance", "Performance", "performance"
    subtitle = ("Flag on vs off on the running app: alternating page loads with a workload until the interval "
                "decides the runbook's degradation tier (> 50 % critical, 20-50 % major, < 20 % minor). The flag is "
                "put back afterwards, also when cancelled.")

    def __init__(self, ctx: ConsoleContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.task: Task | None = None
        self._last_json: dict[str, Any] | None = None

        options, form = widgets.group("Comparison", QFormLayout)
        self.runs = QSpinBox()
        self.runs.setRange(0, 500)
        self.runs.setSpecialValueText("auto: until the tier is decided")  # 0: --runs auto
        self.runs.setValue(0)
        self.runs.setSuffix(" pairs")
        self.flag = QComboBox()
        self.probe = QLineEdit()
        self.probe.setPlaceholderText("default: the demo workload, else the page load only")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._pick_probe)
        probe_row = QHBoxLayout()
        probe_row.addWidget(self.probe, 1)
        probe_row.addWidget(browse)
        self.baseline = QLineEdit()
        self.baseline.setPlaceholderText("save, save=NAME, or NAME of a saved baseline")
        self.seed = QLineEdit()
        self.seed.setPlaceholderText("random")
        form.addRow("Runs", self.runs)
        form.addRow("Flag", self.flag)
        form.addRow("Probe (JS file)", probe_row)
        form.addRow("Baseline", self.baseline)
        form.addRow("Seed", self.seed)
        buttons = QHBoxLayout()
        self.go = QPushButton(icons.page_icon("performance"), "&Compare")
        self.go.setObjectName("primary")
        self.cancel = QPushButton("Cancel")
        self.cancel.setEnabled(False)
        buttons.addWidget(self.go)
        buttons.addWidget(self.cancel)
        buttons.addStretch(1)
        form.addRow(buttons)
        self.progress = QProgressBar()
        self.progress.setFormat("%v of %m runs done")
        self.runs.valueChanged.connect(self._planned)
        self._planned()
        self.progress_line = widgets.muted("")
        form.addRow(self.progress)
        form.addRow(self.progress_line)
        self.looks = LooksView()  # --runs auto: the interval after each pair, narrowing
        form.addRow(self.looks)

        self.summary = widgets.text_view("No comparison of this target yet.")
        self.verdict = QLabel("")
        self.verdict.setWordWrap(True)
        self.charts = QWidget()
        self.chart_grid = QGridLayout(self.charts)
        self.chart_grid.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.charts)

        options.setMaximumWidth(420)
        self.summary.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        self.cancelled_note = widgets.Banner()
        right_layout.addWidget(self.cancelled_note)
        right_layout.addWidget(self.verdict)
        right_layout.addWidget(scroll, 1)
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(options)
        top.addWidget(right)
        top.setStretchFactor(0, 0)
        top.setStretchFactor(1, 1)
        top.setChildrenCollapsible(False)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(self.summary)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        self.layout_.addWidget(split, 1)

        self.go.clicked.connect(self.start)
        self.cancel.clicked.connect(self.stop)
        self.session.changed.connect(self._flags)
        self._flags()

    def _flags(self) -> None:
        snap = self.session.snapshot
        names = [f.name for f in snap.flag_states() if f.type == "boolean"] if snap else []
        if [self.flag.itemText(i) for i in range(self.flag.count())] != names:
            self.flag.clear()
            self.flag.addItems(names)
        self.go.setEnabled(self.task is None and self.session.exclusive is None)

    def _pick_probe(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Workload probe", str(Path.home()), "JavaScript (*.js)")
        if path:
            self.probe.setText(path)

    # --- running ------------------------------------------------------------------------------------

    def start(self) -> None:
        from flagdeck.errors import UsageError

        self.banner.hide()
        probe_path = self.probe.text().strip() or None
        seed_text = self.seed.text().strip()
        try:
            seed = int(seed_text) if seed_text else None
        except ValueError:
            self.fail(UsageError(f"the seed must be a whole number, not {seed_text!r}"))
            return
        runs: int | str = self.runs.value() or "auto"
        flag, baseline = self.flag.currentText() or None, self.baseline.text().strip() or None

        def work(target: Any, task: Task) -> Any:
            from flagdeck.perf.runner import compare
            from flagdeck.perf.workload import read_probe

            probe = read_probe(Path(probe_path)) if probe_path else None
            return compare(target, runs=runs, flag=flag, probe_js=probe,
                           probe_name=Path(probe_path).name if probe_path else "probe", baseline=baseline, seed=seed,
                           progress=task.report, cancel=task.cancel_event)

        self.progress.setMaximum(2 * ((runs if isinstance(runs, int) else 20) + 1))
        self.progress.setValue(0)
        self.looks.clear()
        self.progress_line.setText("connecting…")
        self.cancelled_note.hide()
        self.task = self.session.run(f"Compare {flag or ''} on/off".replace("  ", " "), work, self.show_result,
                                     self._failed, on_progress=self._progress, exclusive=True,
                                     describe=lambda r: f"{r.severity}: {r.head.verdict.summary if r.head else ''}")
        self.cancel.setEnabled(self.task is not None)
        self._flags()

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.cancel.setEnabled(False)
            self.progress_line.setText("cancelling: finishing the current run, then putting the flag back…")

    def _progress(self, event: Any) -> None:
        from flagdeck.perf import report

        self.progress.setMaximum(event.total)
        if event.sample is None:  # the bar counts the runs done; the line says which one runs now
            self.progress.setValue(event.step - 1)
            self.progress_line.setText(f"now run {event.step} of {event.total}: flag {event.side}"
                                       + (" (warm-up)" if event.warmup else ""))
        else:
            self.progress.setValue(event.step)
            self.progress_line.setText("done " + report.progress_line(event.step, event.total, event.sample,
                                                                      event.headline, auto=event.auto).strip())
        if event.look is not None:
            self.looks.add(event.look)

    def _failed(self, exc: BaseException) -> None:
        self.task = None
        self.cancel.setEnabled(False)
        self.progress_line.setText("")
        self.fail(exc)
        self._flags()

    def show_result(self, result: Any) -> None:
        """A finished comparison replaces the one shown; a cancelled one is told apart and leaves the
        last complete result (and its verdict) where it is."""
        from flagdeck.perf import report

        self.task = None
        self.cancel.setEnabled(False)
        self.progress_line.setText("")
        if result.cancelled:
            done = self.progress.value()
            kept = "the last complete comparison is still shown" if self._last_json is not None else \
                "no complete comparison to show yet"
            self.cancelled_note.show_message(f"Cancelled after {done} of {self.progress.maximum()} runs: the flag "
                                             f"was put back and nothing was saved or classified; {kept}.", "warning")
            self._flags()
            return
        self.cancelled_note.hide()
        self.progress.setMaximum(max(1, self.progress.value()))  # an automatic comparison stops before its most runs
        self.summary.setPlainText(report.render(result))
        self.show_json(result.to_json())
        self._flags()

    def _planned(self) -> None:
        """Before a run the bar says what will run: the warm-up pair and the pairs asked for."""
        if self.task is None:
            self.progress.setMaximum(2 * ((self.runs.value() or 20) + 1))  # auto: at most 20 pairs
            self.progress.setValue(0)

    # --- charts -------------------------------------------------------------------------------------

    def show_json(self, data: dict[str, Any]) -> None:
        from PySide6.QtCharts import QChartView
        from PySide6.QtGui import QPainter

        from flagdeck.perf import charts

        self._last_json = data
        severity = str(data.get("severity", "none"))
        colour = charts.SEVERITY_COLOR.get(severity, theme.TEXT)
        if str(data.get("summary", "")).startswith("not classified"):  # too few runs: not a reassuring "none"
            severity, colour = "not classified", theme.STATUS_COLOURS["warning"]
        self.verdict.setText(f"<b style='color:{colour}'>{severity.upper()}</b> — {data.get('metric')}: "
                             f"{data.get('summary', '')} ({data.get('runs')} runs per side, "
                             f"{str(data.get('started', ''))[:19].replace('T', ' ')})")
        while self.chart_grid.count():
            taken = self.chart_grid.takeAt(0)
            old = taken.widget() if taken is not None else None
            if old is not None:
                old.deleteLater()
        for i, name in enumerate(charts.metric_names(data)):
            chart = charts.build_chart(data, name)
            round_ticks(chart)
            view = QChartView(chart)
            view.setRenderHint(QPainter.RenderHint.Antialiasing)
            view.setMinimumSize(320, 250)
            self.chart_grid.addWidget(view, i // CHART_COLUMNS, i % CHART_COLUMNS)

    def activated(self) -> None:
        self._flags()
        if self._last_json is not None or self.task is not None:
            return
        slug = self.slug()
        if slug is None:
            return

        def work(_target: Any, _t: Task) -> dict[str, Any] | None:
            from flagdeck.perf import saved

            return saved.latest(slug)

        def show(data: dict[str, Any] | None) -> None:
            if data:
                self.summary.setPlainText(f"Latest saved comparison: {data.get('saved') or ''}\n"
                                          f"{data.get('flag')} on vs off, {data.get('runs')} runs per side\n"
                                          f"{data.get('metric')}: {data.get('summary')}")
                self.show_json(data)

        self.session.run("Latest comparison", work, show, self.fail, quiet=True, needs_target=False)


def round_ticks(chart: Any) -> None:
    """The value axes at round numbers (2, 2.5, 5 or 10 times a power of ten), labelled with as many
    decimals as their step needs."""
    from PySide6.QtCharts import QValueAxis

    for axis in chart.axes():
        if isinstance(axis, QValueAxis) and axis.isVisible():
            axis.applyNiceNumbers()
            step = (axis.max() - axis.min()) / max(1, axis.tickCount() - 1)
            decimals = 0
            while decimals < 6 and abs(round(step, decimals) - step) > 1e-9 * max(1.0, abs(step)):
                decimals += 1
            axis.setLabelFormat(f"%.{decimals}f")
