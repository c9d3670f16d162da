"""Log: what this flagdeck process did and when (every action from the tray and the console, with
its outcome and time), and below it the history database every flagdeck process writes to."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSplitter, QVBoxLayout, QWidget

from flagdeck.ui.action_log import LogRecord
from flagdeck.ui.console import widgets
from flagdeck.ui.console.history_page import history_cells
from flagdeck.ui.console.page import ConsoleContext, Page

SESSION_COLUMNS = ["Time", "Action", "Target", "From", "Outcome", "Took", "Result"]
HISTORY_COLUMNS = ("Time (UTC)", "Kind", "Target", "Who", "How", "Outcome", "What")  # the History page's, fewer
HISTORY_ROWS = 200


class LogPage(Page):
    key, title, icon = "log", "Log", "log"
    subtitle = "What flagdeck did and when: this process's actions, newest first, then the shared history."

    def __init__(self, ctx: ConsoleContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        mine, mine_layout = widgets.group("This flagdeck (tray and console)", QVBoxLayout)
        self.table = widgets.table(SESSION_COLUMNS, stretch=6, widths={1: 250, 2: 140})
        mine_layout.addWidget(self.table)

        shared, shared_layout = widgets.group("History database (every flagdeck process: CLI, tray, console)",
                                              QVBoxLayout)
        row = QHBoxLayout()
        self.history_note = widgets.muted("")
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.load_history)
        row.addWidget(self.history_note, 1)
        row.addWidget(refresh)
        shared_layout.addLayout(row)
        self.history = widgets.table(HISTORY_COLUMNS, stretch=6, widths={2: 140})
        shared_layout.addWidget(self.history)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(mine)
        split.addWidget(shared)
        split.setChildrenCollapsible(False)
        self.layout_.addWidget(split, 1)

        log = self.session.action_log
        log.added.connect(self._upsert)
        log.updated.connect(self._upsert)
        for record in log.records:
            self._upsert(record)

    def _row_of(self, record_id: int) -> int | None:
        for row in range(self.table.rowCount()):
            if widgets.cell_data(self.table, row, 0) == record_id:
                return row
        return None

    def _upsert(self, r: LogRecord) -> None:
        row = self._row_of(r.id)
        if row is None:
            self.table.insertRow(0)
            row = 0
        took = f"{r.seconds:.2f} s" if r.seconds is not None else ""
        widgets.set_row(self.table, row, [
            widgets.item(r.started.astimezone().strftime("%H:%M:%S"), data=r.id,
                         tip=r.started.astimezone().isoformat(timespec="seconds")),
            widgets.item(r.action, bold=True, tip=r.action), widgets.item(r.target, tip=r.target),
            widgets.item(r.source),
            widgets.status_item(r.outcome), widgets.item(took), widgets.item(r.message, tip=r.message),
        ])

    def activated(self) -> None:
        self.load_history()

    def load_history(self) -> None:
        def work(_target: Any, _t: Any) -> list[Any]:
            from flagdeck import history

            return history.query(limit=HISTORY_ROWS)

        self.session.run("Read history", work, self._show_history, self.fail, quiet=True, needs_target=False)

    def _show_history(self, entries: list[Any]) -> None:
        self.history.setRowCount(0)
        self.history_note.setText(f"The newest {len(entries)} entries." if entries else
                                  "No entries yet: flag writes, rollbacks, verifications and exports land here.")
        for row, e in enumerate(entries):
            widgets.set_row(self.history, row, history_cells(e, HISTORY_COLUMNS))
