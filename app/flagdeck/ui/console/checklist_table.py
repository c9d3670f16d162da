"""The runbook's checklist items a person answers (``verify/checklist.py``): pass / fail / n/a /
open with a note, saved per target as ``flagdeck checklist mark`` does. Used on the Rollback page
(pre-rollback items) and the Verify page (post-rollback and manual validation items)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox, QVBoxLayout, QWidget

from flagdeck.targets.resolve import Target
from flagdeck.ui import icons, theme
from flagdeck.ui.console import widgets
from flagdeck.ui.session import TargetSession
from flagdeck.ui.workers import Task

ANSWERS = ("open", "pass", "fail", "n/a")


class ChecklistTable(QWidget):
    failed = Signal(object)  # exception

    def __init__(self, session: TargetSession, phases: tuple[str, ...], parent: QWidget | None = None, *,
                 compact: bool = False) -> None:
        super().__init__(parent)
        self.session = session
        self.phases = phases
        self.automated: dict[str, str] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.table = widgets.table(["Item", "Answer", "Covered by", "Note"], stretch=0, widths={2: 150, 3: 150})
        if compact:  # a narrow pane: who covers an item is in its tooltip
            self.table.setColumnHidden(2, True)
            self.table.setColumnWidth(3, 120)
        self.table.setEditTriggers(self.table.EditTrigger.DoubleClicked | self.table.EditTrigger.EditKeyPressed)
        self.table.itemChanged.connect(self._note_edited)
        layout.addWidget(self.table)
        self._filling = False
        self._queue: list[tuple[str, str, str]] = []
        self._saving = False

    def reload(self, automated: dict[str, str] | None = None) -> None:
        """Read the answers (a worker): a person's answer, else the automated check covering it."""
        if automated is not None:
            self.automated = automated
        wanted = dict(self.automated)

        def work(target: Target, _t: Task) -> list[dict[str, Any]]:
            from flagdeck.verify import checklist

            return checklist.view(target.slug, wanted)

        self.session.run("Read checklist", work, self.show_rows, self.failed.emit, quiet=True)

    def show_rows(self, rows: list[dict[str, Any]]) -> None:
        self._filling = True
        self.table.clearSpans()
        self.table.setRowCount(0)
        section = None
        for r in [r for r in rows if r["phase"] in self.phases]:
            if r["section"] != section:
                section = r["section"]
                row = self.table.rowCount()
                head = widgets.item(section, bold=True, colour=theme.MUTED)
                head.setFlags(Qt.ItemFlag.ItemIsEnabled)
                head.setBackground(QColor("#eef1f5"))
                widgets.set_row(self.table, row, [head])
                self.table.setSpan(row, 0, 1, 4)
            row = self.table.rowCount()
            by = r["source"] or (f"check {r['automated_by']}" if r["automated_by"] else "a person")
            text = widgets.item(r["text"], data=r["id"], tip=f"{r['section']}: {r['text']} ({r['id']}; {by})")
            text.setFlags(text.flags() & ~Qt.ItemFlag.ItemIsEditable)
            covered = widgets.item(by, colour=theme.MUTED)
            covered.setFlags(covered.flags() & ~Qt.ItemFlag.ItemIsEditable)
            note = widgets.item(r["note"] or "", tip="double-click to write a note")
            widgets.set_row(self.table, row, [text, widgets.item(""), covered, note])
            combo = QComboBox()
            for answer in ANSWERS:
                combo.addItem(icons.status_icon(answer), answer, answer)
            combo.setCurrentIndex(ANSWERS.index(r["answer"]) if r["answer"] in ANSWERS else 0)
            combo.setProperty("item_id", r["id"])
            combo.currentIndexChanged.connect(lambda _i, c=combo: self._answer(c))
            self.table.setCellWidget(row, 1, combo)
        self._filling = False

    def _row_of(self, item_id: str) -> int:
        for row in range(self.table.rowCount()):
            if widgets.cell_data(self.table, row, 0) == item_id:
                return row
        return -1

    def _answer(self, combo: QComboBox) -> None:
        item_id = str(combo.property("item_id"))
        row = self._row_of(item_id)
        note_cell = self.table.item(row, 3) if row >= 0 else None
        self.mark(item_id, str(combo.currentData()), note_cell.text() if note_cell else "")

    def _note_edited(self, cell: Any) -> None:
        if self._filling or cell.column() != 3:
            return
        item_id = widgets.cell_data(self.table, cell.row(), 0)
        combo = self.table.cellWidget(cell.row(), 1)
        answer = str(combo.currentData()) if isinstance(combo, QComboBox) else "open"
        self.mark(str(item_id), answer, cell.text())

    def mark(self, item_id: str, answer: str, note: str) -> None:
        """Save an answer as ``flagdeck checklist mark`` does, on a worker; one at a time, in order.

        The core's lock keeps each mark whole, but does not order them: an answer and then its note
        (two marks of one item, each carrying both) on two pool threads could land the older last."""
        self._queue.append((item_id, answer, note))
        if not self._saving:
            self._next()

    def _next(self) -> None:
        if not self._queue:
            self._saving = False
            return
        self._saving = True
        item_id, answer, note = self._queue.pop(0)

        def work(target: Target, _t: Task) -> dict[str, Any]:
            from flagdeck.verify import checklist

            return checklist.mark(target.slug, item_id, answer, note or None)  # type: ignore[arg-type]

        def failed(exc: BaseException) -> None:
            self.failed.emit(exc)
            self._next()

        self.session.run(f"Checklist: {item_id} {answer}", work, lambda _r: self._next(), failed,
                         describe=lambda s: f"{item_id}: {s['answer']}")

    def answer_of(self, item_id: str) -> str | None:
        row = self._row_of(item_id)
        combo = self.table.cellWidget(row, 1) if row >= 0 else None
        return str(combo.currentData()) if isinstance(combo, QComboBox) else None
