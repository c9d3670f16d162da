"""Backups: list, take one, diff one against now, restore (the diff shown first) — ``backup``,
``backups``, ``diff`` and ``restore``."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from flagdeck import flag_ops
from flagdeck.backups import DAMAGED_RETENTION
from flagdeck.ui import icons, theme
from flagdeck.ui.console import widgets
from flagdeck.ui.console.page import ConsoleContext, Page
from flagdeck.ui.dialogs import SCOPE_TEXT, diff_text
from flagdeck.ui.gui_words import for_gui

COLUMNS = ["Created (UTC)", "Reason", "Mode", "Origin", "Flags then", "Folder copy", "Note", "ID"]


class BackupsPage(Page):
    key, title, icon = "backups", "Backups", "backups"
    subtitle = ("Taken before every write, kept private (0700) under flagdeck's data dir. A restore shows what "
                "changes back first, and backs up the state it replaces.")

    def __init__(self, ctx: ConsoleContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        take = QHBoxLayout()
        self.note = QLineEdit()
        self.note.setPlaceholderText("note for a manual backup (optional)")
        self.take_button = QPushButton(icons.page_icon("backups"), "&Take backup")
        self.take_button.setObjectName("primary")
        self.all = QCheckBox("Every target")
        self.all.toggled.connect(self.activated)
        take.addWidget(self.note, 1)
        take.addWidget(self.take_button)
        take.addSpacing(16)
        take.addWidget(self.all)
        self.layout_.addLayout(take)

        self.table = widgets.table(COLUMNS, stretch=6, widths={4: 260})
        self.table.itemSelectionChanged.connect(self._selected)
        self.table.doubleClicked.connect(lambda _i: self.show_diff())

        detail, detail_layout = widgets.group("Selected backup", QVBoxLayout)
        self.info = widgets.muted("Select a backup.")
        detail_layout.addWidget(self.info)
        actions = QHBoxLayout()
        self.diff_button = QPushButton("&Diff with now")
        self.scope = QComboBox()
        for scope, text in SCOPE_TEXT.items():
            self.scope.addItem(f"{scope}: {text}", scope)
        self.restore_button = QPushButton("&Restore…")
        self.restore_button.setObjectName("danger")
        self.open_button = QPushButton("Open folder")
        actions.addWidget(self.diff_button)
        actions.addSpacing(16)
        actions.addWidget(QLabel("Restore"))
        actions.addWidget(self.scope, 1)
        actions.addWidget(self.restore_button)
        actions.addSpacing(16)
        actions.addWidget(self.open_button)
        detail_layout.addLayout(actions)
        self.diff = widgets.text_view()
        detail_layout.addWidget(self.diff, 1)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        self.layout_.addWidget(split, 1)

        self.take_button.clicked.connect(self.take)
        self.diff_button.clicked.connect(self.show_diff)
        self.restore_button.clicked.connect(self.restore)
        self.open_button.clicked.connect(self.open_folder)
        self._backups: list[Any] = []
        self._select: str | None = None
        self._selected()

    # --- listing ------------------------------------------------------------------------------------

    def activated(self) -> None:
        every = self.all.isChecked()

        def work(target: Any, _t: Any) -> list[Any]:
            from flagdeck.backups import BackupStore

            return BackupStore().listing(None if every else target.slug)  # damaged ones too, marked

        self.session.run("List backups", work, self.show_backups, self.fail, quiet=True, needs_target=not every)

    def open_with(self, params: dict[str, Any]) -> None:
        self._select = params.get("select")
        self.activated()

    def show_backups(self, backups: list[Any]) -> None:
        self._backups = backups
        chosen = self._select or self.current_id()
        self.table.setRowCount(0)
        for row, b in enumerate(backups):
            reason = (widgets.item("damaged", colour=theme.STATUS_COLOURS["failed"], bold=True, tip=b.damaged)
                      if b.damaged else widgets.item(b.reason, bold=b.reason == "rollback"))
            widgets.set_row(self.table, row, [
                widgets.item(b.created[:19].replace("T", " "), data=b.id),
                reason,
                widgets.item(b.mode),
                widgets.item(b.origin),
                widgets.item(b.flag_value or "(absent)", tip=b.flag_value or "(absent)"),
                widgets.item("yes" if b.folder_copy else "no"),
                widgets.item(b.note or "", tip=b.note or ""),
                widgets.item(b.id, colour=theme.MUTED),
            ])
            if b.id == chosen:
                self.table.selectRow(row)
        self._select = None
        damaged = sum(1 for b in backups if b.damaged)
        self.subtitle_label.setText(f"{len(backups)} backup(s)" + (" of every target" if self.all.isChecked() else
                                                                   f" of {self.session.label()}")
                                    + (f", {damaged} damaged (kept by retention, never used)" if damaged else ""))
        self._selected()

    def current_id(self) -> str | None:
        return widgets.selected_data(self.table)

    def current(self) -> Any | None:
        return widgets.selected_of(self.table, self._backups)

    def _selected(self) -> None:
        b = self.current()
        own = b is not None and self.session.target is not None and b.target == self.session.target.slug
        for w in (self.diff_button, self.restore_button, self.scope):
            w.setEnabled(own and b is not None and not b.damaged)
        self.open_button.setEnabled(b is not None)
        if b is None:
            self.info.setText("Select a backup.")
            return
        if b.damaged:
            self.info.setText(f"{b.id} is damaged: {b.damaged}. It cannot be diffed or restored; "
                              f"{DAMAGED_RETENTION} — {b.path}")
            self.diff.clear()
            return
        self.info.setText(f"{b.id}: {b.entry_count} entries of {b.origin}, {b.size_bytes / 1024:.0f} KiB, "
                          f"{'with' if b.folder_copy else 'without'} a folder copy — {b.path}"
                          + ("" if own else " (another target: select that target to diff or restore)"))
        self.diff.clear()

    # --- actions ------------------------------------------------------------------------------------

    def take(self) -> None:
        note = self.note.text().strip() or None
        self.ctx.flows.take_backup(source="console", note=note, on_done=self._taken)

    def _taken(self, backup: Any) -> None:
        self.note.clear()
        self.say(f"Backup {backup.id} taken ({backup.mode}, {backup.entry_count} entries"
                 f"{', folder copy' if backup.folder_copy else ''}).", "ok")
        self._select = backup.id
        self.activated()

    def show_diff(self) -> None:
        b = self.current()
        if b is None:
            return
        self.diff.setPlainText("comparing…")
        self.session.run(f"Diff {b.id}", lambda target, _t: flag_ops.diff_backup(target, b.id),
                         lambda d: self.diff.setPlainText(diff_text(d)), self._diff_failed)

    def _diff_failed(self, exc: BaseException) -> None:
        self.diff.clear()
        self.fail(exc)

    def restore(self) -> None:
        b = self.current()
        if b is None:
            return
        self.ctx.flows.restore(b.id, str(self.scope.currentData()), source="console", parent=self.window(),
                               on_done=self._restored)

    def _restored(self, result: Any) -> None:
        safety = result.safety_backup.id if result.safety_backup else "-"
        self.say(f"Restored {result.scope} from backup {result.restored_from.id}; the state before is in backup "
                 f"{safety}." + "".join(f" {for_gui(n)}" for n in result.notes), "ok")
        self.activated()

    def open_folder(self) -> None:
        b = self.current()
        if b is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(b.path)))
