"""The Flags page's timed toggles: every timer of the target (flag, value, back to, when, state)
and Cancel — ``flagdeck timers`` and ``timers cancel ID`` in the console. Follows
``<data dir>/timers`` with a file-system watch; the remaining time is redrawn twice a minute."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QFileSystemWatcher, QTimer
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from flagdeck import timers
from flagdeck.errors import FlagdeckError
from flagdeck.ui.console import widgets
from flagdeck.ui.workers import error_text

COLUMNS = ["Timer", "Flag", "Value", "Back to", "When", "State"]
TICK_MS = 30_000


class TimersPanel(QGroupBox):
    def __init__(self, session: Any, parent: QWidget | None = None) -> None:
        super().__init__("Timed toggles (flags set NAME=VALUE --for 30m, or the tray's \"for a while\")", parent)
        self.setObjectName("timers-panel")
        self.session = session
        self.shown: list[timers.Timer] = []
        self.table = widgets.table(COLUMNS)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMinimumHeight(60)
        self.table.itemSelectionChanged.connect(self._selected)
        self.empty = QLabel("No timer runs on this target.")
        self.cancel_button = QPushButton("Cancel timer")
        self.cancel_button.setToolTip("End the selected timer now: the flag keeps its value")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_selected)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        row = QHBoxLayout()
        row.addWidget(self.empty, 1)
        row.addWidget(self.cancel_button)
        layout.addLayout(row)
        self._watch = QFileSystemWatcher(self)
        self._watch.directoryChanged.connect(lambda _p: self.refresh())
        self._tick = QTimer(self, interval=TICK_MS)
        self._tick.timeout.connect(self.refresh)
        session.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        try:
            folder = str(timers.timers_dir())
            if folder not in self._watch.directories():
                self._watch.addPath(folder)
            target = self.session.target
            found = timers.pending(target.slug if target is not None else None)
        except OSError:
            found = []
        self.shown = found
        rows = [[t.id, t.flag, timers.value_text(t.present, t.value), timers.value_text(t.back_present, t.back),
                 f"{t.due_at.astimezone().strftime('%H:%M:%S')} ({timers.remaining_text(t)})", timers.state_text(t)]
                for t in found]
        self.table.setRowCount(len(rows))
        for n, cells in enumerate(rows):
            widgets.set_row(self.table, n, [widgets.item(c) for c in cells])
        self.table.setVisible(bool(found))
        self.empty.setVisible(not found)
        if found:
            self._tick.start()
        else:
            self._tick.stop()
        self._selected()

    def _selected(self) -> None:
        self.cancel_button.setEnabled(bool(self.table.selectionModel().selectedRows()) and bool(self.shown))

    def cancel_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.shown):
            return
        timer = self.shown[rows[0].row()]
        try:
            timers.cancel(timer.id)
        except FlagdeckError as exc:
            self.session.notified.emit("Timer not cancelled", error_text(exc), "warning")
        else:
            self.session.notified.emit("Timer cancelled", f"{timer.flag} keeps "
                                       f"{timers.value_text(timer.present, timer.value)}", "info")
        self.refresh()
