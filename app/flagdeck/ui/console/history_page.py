"""History: the audit log every flagdeck process writes (``flagdeck.history``) — list, filter by
kind, time and target, annotate an entry with its issue, resolution and version, and copy the
runbook's Rollback History table. ``flagdeck history`` and ``history annotate``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidgetItem,
    QWidget,
)

from flagdeck.ui import theme
from flagdeck.ui.console import widgets
from flagdeck.ui.console.page import ConsoleContext, Page
from flagdeck.ui.texts import short_name

COLUMNS = ("ID", "Time (UTC)", "Kind", "Target", "Who", "How", "Outcome", "Issue", "What")
KINDS = ("flag-write", "restore", "rollback", "compare", "verify", "evidence-export")


def history_cells(e: Any, columns: Sequence[str] = COLUMNS) -> list[QTableWidgetItem]:
    """One history entry as table cells, in the order of ``columns`` (any of ``COLUMNS``); the
    first cell carries the entry's id (``widgets.selected_data``). The History and Log pages."""
    change = f"{e.before or '(absent)'} → {e.after or '(absent)'}" if (e.before or e.after) else ""
    what = e.message or change
    cells = {
        "ID": widgets.item(e.id),
        "Time (UTC)": widgets.item(e.time[:19].replace("T", " ")),
        "Kind": widgets.item(e.kind, bold=e.kind == "rollback"),
        "Target": widgets.item(short_name(e.target_name) if e.target_name else "-", tip=e.target_name),
        "Who": widgets.item(e.user),
        "How": widgets.item(e.how),
        "Outcome": widgets.status_item("ok" if e.outcome == "ok" else "failed", e.outcome),
        "Issue": widgets.item(e.issue or ""),
        "What": widgets.item(what, tip=what, colour=None if e.message else theme.MUTED),
    }
    row = [cells[c] for c in columns]
    row[0].setData(Qt.ItemDataRole.UserRole, e.id)
    return row


def _shown(value: Any) -> str:
    """A value as a person reads it: absent, not Python's ``None``; text as it is; the rest as JSON."""
    if value is None:
        return "(absent)"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def entry_lines(e: Any) -> list[str]:
    """An entry's details, one fact a line."""
    lines = [f"#{e.id} {e.kind}, {e.outcome} — {e.time[:19].replace('T', ' ')} UTC by {e.user}@{e.host} "
             f"(from the {e.how})", f"target: {e.target_name or '-'} ({e.target_slug or '-'})"]
    if e.message:
        lines.append(f"what: {e.message}")
    if e.before is not None or e.after is not None:
        lines += [f"before: {_shown(e.before)}", f"after:  {_shown(e.after)}"]
    for label, value in (("issue", e.issue), ("resolution", e.resolution), ("version", e.version)):
        if value:
            lines.append(f"{label}: {value}")
    lines += [f"file: {a}" for a in e.artifacts]
    for key, value in (e.details or {}).items():
        if key != "steps":
            lines.append(f"{key.replace('_', ' ')}: {_shown(value)}")
    steps = (e.details or {}).get("steps")
    if isinstance(steps, list) and steps:
        lines.append("steps: " + ", ".join(f"{s.get('id')} {s.get('status')} ({s.get('seconds')} s)"
                                           for s in steps if isinstance(s, dict)))
    return lines


class HistoryPage(Page):
    key, title, icon = "history", "History", "history"
    subtitle = ("Every flag write, restore, rollback, comparison, verification and export, by whom, when and how. "
                "Annotate rollbacks with their issue and resolution for the runbook's table.")

    def __init__(self, ctx: ConsoleContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        filters = QHBoxLayout()
        self.kind = QComboBox()
        self.kind.addItem("every kind", None)
        for kind in KINDS:
            self.kind.addItem(kind, kind)
        self.since = QLineEdit()
        self.since.setPlaceholderText("since: 30m, 24h, 7d or a date")
        self.since.setMaximumWidth(220)
        self.mine = QCheckBox("This target only")
        self.mine.setChecked(True)
        self.limit = QSpinBox()
        self.limit.setRange(10, 10000)
        self.limit.setValue(500)
        self.limit.setPrefix("at most ")
        apply = QPushButton("&Filter")
        self.markdown_button = QPushButton("Copy runbook table")
        self.markdown_button.setToolTip("The runbook's Rollback History table (Markdown) to the clipboard")
        for w in (QLabel("Kind"), self.kind, self.since, self.mine, self.limit, apply):
            filters.addWidget(w)
        filters.addStretch(1)
        filters.addWidget(self.markdown_button)
        self.layout_.addLayout(filters)

        self.table = widgets.table(COLUMNS, stretch=8, widths={3: 150})
        self.table.itemSelectionChanged.connect(self._selected)

        detail, detail_layout = widgets.group("Entry", QHBoxLayout)
        self.details = widgets.text_view()
        form_box = QWidget()
        form = QFormLayout(form_box)
        form.setContentsMargins(0, 0, 0, 0)
        self.issue = QLineEdit()
        self.issue.setPlaceholderText("https://… issue or incident")
        self.resolution = QLineEdit()
        self.resolution.setPlaceholderText("what fixed it")
        self.version = QLineEdit()
        self.version.setPlaceholderText("the app's version then")
        self.save = QPushButton("&Annotate")
        self.save.setObjectName("primary")
        form.addRow("Issue", self.issue)
        form.addRow("Resolution", self.resolution)
        form.addRow("Version", self.version)
        form.addRow("", self.save)
        detail_layout.addWidget(self.details, 3)
        detail_layout.addWidget(form_box, 2)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        self.layout_.addWidget(split, 1)

        apply.clicked.connect(self.activated)
        self.since.returnPressed.connect(self.activated)
        self.kind.currentIndexChanged.connect(lambda _i: self.activated())
        self.mine.toggled.connect(lambda _c: self.activated())
        self.save.clicked.connect(self.annotate)
        self.markdown_button.clicked.connect(self.copy_markdown)
        self._entries: list[Any] = []
        self._rollback_id: str | None = None
        self._selected()

    # --- listing ------------------------------------------------------------------------------------

    def activated(self) -> None:
        kind, since_text, mine, limit = self.kind.currentData(), self.since.text().strip(), self.mine.isChecked(), \
            self.limit.value()

        def work(target: Any, _t: Any) -> list[Any]:
            from flagdeck import history

            since = history.parse_since(since_text) if since_text else None
            return history.query(target_slug=target.slug if mine else None, kind=kind, since=since, limit=limit)

        self.session.run("Read history", work, self.show_entries, self.fail, quiet=True, needs_target=mine)

    def open_with(self, params: dict[str, Any]) -> None:
        """Opened on a rollback (its id): that entry is selected, ready to annotate."""
        self._rollback_id = params.get("rollback_id")
        self.activated()

    def show_entries(self, entries: list[Any]) -> None:
        chosen = self.current_id()
        if self._rollback_id is not None:
            chosen = next((e.id for e in entries if e.kind == "rollback"
                           and (e.details or {}).get("rollback_id") == self._rollback_id), chosen)
            self._rollback_id = None
        self._entries = entries
        self.table.setRowCount(0)
        for row, e in enumerate(entries):
            widgets.set_row(self.table, row, history_cells(e))
            if e.id == chosen:
                self.table.selectRow(row)
                first = self.table.item(row, 0)
                if first is not None:
                    self.table.scrollToItem(first)
        self.subtitle_label.setText(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}")
        self._selected()

    def current_id(self) -> int | None:
        return widgets.selected_data(self.table)

    def current(self) -> Any | None:
        return widgets.selected_of(self.table, self._entries)

    def _selected(self) -> None:
        e = self.current()
        for w in (self.issue, self.resolution, self.version, self.save):
            w.setEnabled(e is not None)
        if e is None:
            self.details.setPlainText("")
            for w in (self.issue, self.resolution, self.version):
                w.clear()
            return
        self.issue.setText(e.issue or "")
        self.resolution.setText(e.resolution or "")
        self.version.setText(e.version or "")
        self.details.setPlainText("\n".join(entry_lines(e)))

    # --- annotate and export ------------------------------------------------------------------------

    def annotate(self) -> None:
        e = self.current()
        if e is None:
            return
        issue, resolution, version = (self.issue.text().strip() or None, self.resolution.text().strip() or None,
                                      self.version.text().strip() or None)
        entry_id = e.id

        def work(_target: Any, _t: Any) -> Any:
            from flagdeck import history

            return history.annotate(entry_id, issue=issue, resolution=resolution, version=version)

        def done(entry: Any) -> None:
            self.say(f"Entry {entry.id} annotated.", "ok")
            self.activated()

        self.session.run(f"Annotate history {entry_id}", work, done, self.fail, needs_target=False,
                         describe=lambda en: f"issue {en.issue or '-'}, resolution {en.resolution or '-'}")

    def copy_markdown(self) -> None:
        mine = self.mine.isChecked()

        def work(target: Any, _t: Any) -> str:
            from flagdeck import history

            return history.markdown_table(history.query(target_slug=target.slug if mine else None, kind="rollback"))

        def done(text: str) -> None:
            QApplication.clipboard().setText(text)
            self.say("The runbook's Rollback History table is on the clipboard.", "ok")

        self.session.run("Rollback history table", work, done, self.fail, quiet=True, needs_target=mine)
