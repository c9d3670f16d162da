"""Rollback: the runbook's triggers, the pre-rollback checklist, and the Level-1 steps with live
progress and timings — ``flagdeck triggers``, ``checklist`` (pre) and ``rollback`` in one page.

A rollback started from the tray shows here too: the page follows the session's signals.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from flagdeck.ui import icons, theme
from flagdeck.ui.console import levels_view, widgets
from flagdeck.ui.console.checklist_table import ChecklistTable
from flagdeck.ui.console.next_steps import NextSteps
from flagdeck.ui.console.page import ConsoleContext, Page
from flagdeck.ui.gui_words import for_gui
from flagdeck.ui.state import clock
from flagdeck.ui.texts import level_text, record_folder
from flagdeck.ui.workers import error_text

SEVERITY_ICON = {"critical": "fail", "major": "warning", "minor": "info"}


class RollbackPage(Page):
    key, title, icon = "rollback", "Rollback", "rollback"
    subtitle = ("Level 1 of the runbook: capture the state, set the flag false, reload, verify, record. "
                "Check the triggers and the pre-rollback checklist first.")

    def __init__(self, ctx: ConsoleContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self._triggers_box())
        bottom.addWidget(self._after_tabs())
        bottom.setStretchFactor(0, 2)
        bottom.setStretchFactor(1, 3)
        bottom.setChildrenCollapsible(False)
        bottom.setSizes([400, 600])
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self._run_box())
        split.addWidget(bottom)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        self.layout_.addWidget(split, 1)

        self._started_at: float | None = None
        self._clock = QTimer(self, interval=100)
        self._clock.timeout.connect(self._tick)
        self._result: Any = None
        self._ended: set[str] = set()  # ids of the steps that have finished (done, failed or skipped)
        self._checking = False  # the trigger check runs
        self.session.rollbackStarted.connect(self.plan_started)
        self.session.rollbackProgress.connect(self.step_progress)
        self.session.rollbackFinished.connect(self.finished)
        self.session.changed.connect(self._sync_controls)
        self.session.incident.boardChanged.connect(self._board_changed)
        self._sync_controls()
        self._board_changed()

    # --- building -----------------------------------------------------------------------------------

    def _triggers_box(self) -> QGroupBox:
        box, layout = widgets.group("Rollback triggers", QVBoxLayout)
        row = QHBoxLayout()
        self.check_button = QPushButton(icons.page_icon("verify"), "Check &triggers")
        self.check_button.setToolTip("Run the checks (with a short memory/CPU watch) and classify them into the "
                                     "runbook's critical / major / minor triggers")
        self.recommendation = QLabel("Not checked yet: the board says whether the runbook calls for a rollback. "
                                     "It is checked by itself while the app runs live.")
        self.recommendation.setWordWrap(True)
        row.addWidget(self.check_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.recommendation, 1)
        layout.addLayout(row)
        self.trigger_bar = widgets.busy_bar()
        layout.addWidget(self.trigger_bar)
        self.triggers = QListWidget()
        self.triggers.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.triggers.setWordWrap(True)
        layout.addWidget(self.triggers, 1)
        self.check_button.clicked.connect(self.check_triggers)
        return box

    def _after_tabs(self) -> QTabWidget:
        """Before a rollback the pre-rollback checklist; after it, the runbook's next steps."""
        self.tabs = QTabWidget()
        self.checklist = ChecklistTable(self.session, phases=("pre",), compact=True)
        self.checklist.failed.connect(self.fail)
        self.next_steps = NextSteps(self.session)
        self.next_steps.navigate.connect(self.navigate.emit)
        steps = QScrollArea()  # five steps with their buttons: they scroll in a short window
        steps.setWidgetResizable(True)
        steps.setFrameShape(QFrame.Shape.NoFrame)
        steps.setWidget(self.next_steps)
        self.tabs.addTab(self.checklist, icons.status_icon("pending"), "Pre-rollback checklist")
        self.tabs.addTab(steps, icons.page_icon("rollback"), "Next steps")
        self.steps_tab = steps
        return self.tabs

    def _run_box(self) -> QGroupBox:
        box, layout = widgets.group("Level 1: feature flag toggle", QVBoxLayout)
        layout.setSpacing(8)
        options = QHBoxLayout()
        options.setSpacing(10)
        options.addWidget(QLabel("Flag"))
        self.flag = QComboBox()
        self.flag.setMinimumContentsLength(18)
        options.addWidget(self.flag)
        self.restart = QCheckBox("Restart the app")
        self.restart.setToolTip("Close it gracefully, write the flag on disk, start it again with a debug port")
        self.no_reload = QCheckBox("Write only, no reload")
        self.no_reload.setToolTip("Live: the page keeps the old value until it reloads; nothing is verified")
        options.addWidget(self.restart)
        options.addWidget(self.no_reload)
        options.addStretch(1)
        self.go = QPushButton(icons.page_icon("rollback"), "Emergency rollback (Level 1)…")
        self.go.setObjectName("danger")
        self.go.setToolTip("Prepare the plan and show it for confirmation (Ctrl+Shift+R)")
        self.go.clicked.connect(self.start)
        options.addWidget(self.go)
        layout.addLayout(options)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("%v of %m steps")
        self.progress.setValue(0)
        self.progress.setMaximum(1)
        self.progress.setMaximumHeight(18)
        self.elapsed = QLabel("")
        self.elapsed.setProperty("muted", True)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.elapsed)
        layout.addLayout(progress_row)
        self.steps = widgets.table(["#", "Step", "Status", "Time", "Detail"], stretch=4, widths={1: 300})
        self.steps.setMinimumHeight(3 * 26 + 30)
        layout.addWidget(self.steps, 1)
        self.outcome = widgets.Banner()
        layout.addWidget(self.outcome)
        after = QHBoxLayout()
        after.setSpacing(10)
        self.open_record = QPushButton("Open the record folder")
        self.open_record.setEnabled(False)
        self.open_record.clicked.connect(self._open_record)
        self.to_verify = QPushButton(icons.page_icon("verify"), "Show the verification")
        self.to_verify.setEnabled(False)
        self.to_verify.clicked.connect(lambda: self.navigate.emit("verify", {}))
        self.last = widgets.muted("")
        after.addWidget(self.open_record)
        after.addWidget(self.to_verify)
        after.addWidget(self.last, 1)
        after.addWidget(levels_view.level_buttons(self, self.ctx))  # when the flag is not enough
        layout.addLayout(after)
        return box

    # --- state ----------------------------------------------------------------------------------------

    def _sync_controls(self) -> None:
        snap = self.session.snapshot
        flags = [f.name for f in snap.flag_states() if f.type == "boolean"] if snap else []
        if [self.flag.itemText(i) for i in range(self.flag.count())] != flags:
            current = self.flag.currentText()
            self.flag.clear()
            self.flag.addItems(flags)
            if current in flags:
                self.flag.setCurrentText(current)
        running = self.session.activity.rollback_running or self.ctx.flows.preparing
        self.go.setEnabled(not running and self.session.exclusive is None)
        # the trigger check verifies: not while a write flips the flag or reloads the app under it
        self.check_button.setEnabled(not self._checking and self.session.exclusive is None)
        self.go.setText("Rollback running…" if self.session.activity.rollback_running else
                        "Preparing the plan…" if self.ctx.flows.preparing else "Emergency rollback (Level 1)…")

    def open_with(self, params: dict[str, Any]) -> None:
        if params.get("level") in (2, 3):  # the guided Level 2 / Level 3 (the tray's "Level 2…")
            levels_view.open_levels(self, self.ctx, int(params["level"]))
        self.activated()

    def activated(self) -> None:
        self._sync_controls()
        self.checklist.reload()
        slug = self.slug()
        if slug:
            self.session.run("Last rollback record", lambda _t, _task: _last_record(slug), self._show_last,
                             lambda _e: None, quiet=True, needs_target=False)

    def _show_last(self, record: dict[str, Any] | None) -> None:
        if not record:
            self.last.setText("No rollback of this target recorded yet.")
            return
        if self._result is not None and record.get("id") == self._result.id:
            self.last.setText("")  # the banner above says it
            return
        when = str(record.get("started", ""))[:19].replace("T", " ")
        self.last.setText(f"Last rollback: {record.get('id')} at {when} UTC — {str(record.get('outcome')).upper()} "
                          f"in {float(record.get('seconds') or 0):.1f} s ({record.get('mode')})")

    # --- the triggers -------------------------------------------------------------------------------

    def check_triggers(self) -> None:
        if self.session.exclusive is not None:
            self.say(f"{self.session.exclusive} is running: check the triggers when it has finished", "warning")
            return
        self.session.incident.check_now("console")

    def _board_changed(self) -> None:
        incident = self.session.incident
        self._checking = incident.checking
        self.trigger_bar.setVisible(incident.checking)
        self._sync_controls()
        if incident.checking:
            self.recommendation.setText("Checking the signals…")
        elif incident.board is not None:
            self._show_board(incident.board)
        elif incident.error:
            self.recommendation.setText("Could not check the triggers.")
            self.say(incident.error, "error")

    def _show_board(self, board: Any) -> None:
        colour = theme.STATUS_COLOURS.get(board.worst or "pass", theme.TEXT)
        words, _level = level_text(board.level)
        when = clock(self.session.incident.checked_at)
        self.recommendation.setText(f"<b style='color:{colour}'>{words}</b> <span style='color:{theme.MUTED}'>"
                                    f"(checked {when})</span>")
        self.triggers.clear()
        for t in board.triggers:
            text = f"{t.severity.upper()}: {t.runbook} — {t.observed}"
            self.triggers.addItem(QListWidgetItem(icons.status_icon(SEVERITY_ICON[t.severity]), text))
        if not board.triggers:
            self.triggers.addItem(QListWidgetItem(icons.status_icon("pass"), "No trigger fired."))
        if board.not_checked:
            self.triggers.addItem(QListWidgetItem(icons.status_icon("manual"), "Not measurable here (check by hand): "
                                                  + ", ".join(board.not_checked)))

    # --- the rollback -------------------------------------------------------------------------------

    def start(self) -> None:
        self.banner.hide()
        self.ctx.flows.emergency_rollback(source="console", parent=self.window(), restart=self.restart.isChecked(),
                                          flag=self.flag.currentText() or None, reload=not self.no_reload.isChecked())
        self._sync_controls()

    def plan_started(self, plan: Any) -> None:
        self._result = None
        self.outcome.hide()
        self.open_record.setEnabled(False)
        self.to_verify.setEnabled(False)
        self.steps.setRowCount(0)
        self._ended = set()
        for row, step in enumerate(plan.steps):
            widgets.set_row(self.steps, row, [widgets.item(row + 1), widgets.item(step.title),
                                              widgets.status_item("pending"), widgets.item(""), widgets.item("")])
            widgets.set_cell_data(self.steps, row, 0, step.id)
        self.progress.setMaximum(len(plan.steps))
        self.progress.setValue(0)
        self._started_at = time.monotonic()
        self._clock.start()
        self._sync_controls()

    def _row_of(self, step_id: str) -> int | None:
        for row in range(self.steps.rowCount()):
            if widgets.cell_data(self.steps, row, 0) == step_id:
                return row
        return None

    def step_progress(self, step: Any) -> None:
        row = self._row_of(step.id)
        if row is None:
            return
        self.steps.setItem(row, 2, widgets.status_item(step.status))
        if step.status != "running":
            self.steps.setItem(row, 3, widgets.item(f"{step.seconds:.2f} s"))
            self.steps.setItem(row, 4, widgets.item(step.detail, tip=step.detail))
        if step.status in ("pending", "running"):
            self._ended.discard(step.id)
        else:
            self._ended.add(step.id)
        self.progress.setValue(len(self._ended))

    def finished(self, result: Any) -> None:
        self._clock.stop()
        self._sync_controls()
        if isinstance(result, BaseException):
            self.outcome.show_message(f"The rollback did not run: {error_text(result)}", "error")
            return
        self._result = result
        for step in result.steps:
            self.step_progress(step)
        self.elapsed.setText(f"{result.seconds:.2f} s in all")
        level = {"verified": "ok", "failed": "error"}.get(result.outcome, "warning")
        text = f"Rollback {result.id}: <b>{result.outcome.upper()}</b> in {result.seconds:.2f} s ({result.plan.mode})"
        if result.error is not None:
            text += f" — stopped: {error_text(result.error)}"
        elif result.verify is not None and result.verify.failed:
            text += " — failed checks: " + ", ".join(r.id for r in result.verify.failed)
        if result.capture is not None and result.capture.manual:
            text += f"; {len(result.capture.manual)} item(s) to capture by hand"
        text += "".join(f"; {for_gui(n)}" for n in result.notes)
        self.outcome.show_message(text, level)
        self.open_record.setEnabled(record_folder(result) is not None)
        self.to_verify.setEnabled(result.verify is not None)
        self.next_steps.show_for(result)
        self.tabs.setCurrentWidget(self.steps_tab)
        self.activated()

    def _tick(self) -> None:
        if self._started_at is not None:
            self.elapsed.setText(f"{time.monotonic() - self._started_at:.1f} s")

    def _open_record(self) -> None:
        folder = record_folder(self._result) if self._result is not None else None
        if folder is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


def _last_record(slug: str) -> dict[str, Any] | None:
    from flagdeck.rollback import record

    records = record.load_all(slug)
    return records[0] if records else None
