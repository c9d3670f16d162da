"""Flags: each flag's layers (stored / effective / default), warnings, edits with validation, and
a diff against any backup — ``flagdeck status``, ``flags set|unset`` and ``diff`` in one page."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from flagdeck import flag_ops
from flagdeck.errors import FlagdeckError
from flagdeck.storage.flags import FlagDocument, check_assignment, js_truthy, parse_assignment
from flagdeck.storage.flags import js_repr as js
from flagdeck.ui import icons, theme
from flagdeck.ui.console import widgets
from flagdeck.ui.console.page import ConsoleContext, Page
from flagdeck.ui.console.timers_panel import TimersPanel
from flagdeck.ui.dialogs import diff_text
from flagdeck.ui.gui_words import for_gui
from flagdeck.ui.state import MODE_WORDS, Badge, FlagShape, runs_on
from flagdeck.ui.texts import write_summary
from flagdeck.ui.workers import error_text

COLUMNS = ["Flag", "Page runs", "Stored", "Default", "Effective", "Source", "Description"]
NO_PAGE = ("the app's page is not reachable live: at its next load it uses the stored value, else its default "
           "(or what its build environment sets, which only the running page shows)")


class FlagsPage(Page):
    key, title, icon = "flags", "Flags", "flags"
    subtitle = "What is stored, what the app makes of it, and its default — per flag."

    def __init__(self, ctx: ConsoleContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.table = widgets.table(COLUMNS, widths={6: 320})
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMinimumHeight(90)
        self.table.itemSelectionChanged.connect(self._row_selected)
        self.warnings = QListWidget()
        self.warnings.setMinimumHeight(54)
        self.warnings.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.raw = QLineEdit()
        self.raw.setReadOnly(True)
        self.raw.setFont(theme.mono_font())

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.table, 2)
        raw_row = QHBoxLayout()
        raw_row.addWidget(QLabel("Stored text:"))
        raw_row.addWidget(self.raw, 1)
        top_layout.addLayout(raw_row)
        top_layout.addWidget(widgets.section("Warnings"))
        top_layout.addWidget(self.warnings, 1)
        top_layout.addWidget(TimersPanel(self.session))  # timers (issue 13): shown and cancelled here

        bottom = QWidget()
        bottom_layout = QHBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self._edit_box(), 3)
        bottom_layout.addWidget(self._diff_box(), 4)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        split.setSizes([300, 320])
        self.layout_.addWidget(split, 1)
        self.session.changed.connect(self.refresh_view)
        self.session.backupsChanged.connect(self._fill_backups)
        shortcut = QShortcut(QKeySequence("Ctrl+Return"), self)
        shortcut.activated.connect(self.set_value)
        self.refresh_view()

    # --- building -----------------------------------------------------------------------------------

    def _edit_box(self) -> QGroupBox:
        box, grid = widgets.group("Change a flag", QGridLayout)
        grid.setVerticalSpacing(8)
        self.name = QComboBox()
        self.name.setEditable(True)
        self.name.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.value = QLineEdit()
        self.value.setPlaceholderText("a JSON value: true, false, 3, \"text\"")
        self.value.setFont(theme.mono_font())
        self.valid = QLabel()
        self.valid.setWordWrap(True)
        self.force = QCheckBox("Force (a name or value the catalogue does not know)")
        self.reload = QCheckBox("Reload the page after writing (live)")
        self.reload.setChecked(True)
        self.set_button = QPushButton(icons.status_icon("pass"), "&Set")
        self.set_button.setObjectName("primary")
        self.set_button.setToolTip("Write the value (a backup is taken first) — Ctrl+Enter")
        self.unset_button = QPushButton("&Unset (back to default)")
        grid.addWidget(QLabel("Flag"), 0, 0)
        grid.addWidget(self.name, 0, 1)
        grid.addWidget(QLabel("Value"), 1, 0)
        grid.addWidget(self.value, 1, 1)
        grid.addWidget(self.valid, 2, 1)
        grid.addWidget(self.force, 3, 1)
        grid.addWidget(self.reload, 4, 1)
        buttons = QHBoxLayout()
        buttons.setSpacing(10)
        buttons.addWidget(self.set_button)
        buttons.addWidget(self.unset_button)
        buttons.addStretch(1)
        grid.addLayout(buttons, 5, 1)
        grid.setRowStretch(6, 1)
        self.name.currentTextChanged.connect(self.validate)
        self.value.textChanged.connect(self.validate)
        self.force.toggled.connect(self.validate)
        self.set_button.clicked.connect(self.set_value)
        self.unset_button.clicked.connect(self.unset_value)
        return box

    def _diff_box(self) -> QGroupBox:
        box, layout = widgets.group("Diff against a backup", QVBoxLayout)
        row = QHBoxLayout()
        self.backup = QComboBox()
        self.backup.setMinimumContentsLength(28)
        self.diff_button = QPushButton("&Diff")
        row.addWidget(self.backup, 1)
        row.addWidget(self.diff_button)
        layout.addLayout(row)
        self.diff = widgets.text_view("Pick a backup and press Diff: what changed in the flags since, and the names "
                                     "of other entries that changed (values are not shown).")
        layout.addWidget(self.diff, 1)
        self.diff_button.clicked.connect(self.show_diff)
        return box

    # --- rendering ----------------------------------------------------------------------------------

    def refresh_view(self) -> None:
        snap = self.session.snapshot
        status = snap.status if snap else None
        if status is None:
            why = snap.error if snap and snap.error else "reading…"
            self.subtitle_label.setText(f"{self.session.label()}: {why}")
            self.table.setRowCount(0)
            self.raw.clear()
            self.warnings.clear()
        else:
            self._render_status(status, snap.page_flags if snap else None, snap.page_source if snap else "",
                                stale=not self.session.flags_known())
        self._fill_names(status)
        self.validate()

    def _render_status(self, status: flag_ops.StatusResult, page: dict[str, Any] | None, page_source: str, *,
                       stale: bool) -> None:
        t = status.target
        where = f"{t.storage_key} of {status.origin or '(no origin holds it)'}"
        mode = MODE_WORDS.get(status.mode, status.mode) + (f" over DevTools port {t.debug_port}"
                                                           if status.mode == "live" else "")
        self.subtitle_label.setText(f"{where} — {mode}" + (" — not confirmed by a watch: unknown" if stale else ""))
        report = status.report
        self.table.setRowCount(0)
        for row, f in enumerate(report.flags):
            if page is not None and f.name in page:
                on = js_truthy(page[f.name])
                runs = widgets.item("ON" if on else "off", bold=True, tip=f"{js(page[f.name])}, from {page_source}",
                                    icon=icons.state_icon(FlagShape.ON if on else FlagShape.OFF, Badge.NONE),
                                    colour="#1b5e20" if on else "#37474f")
            else:
                runs = widgets.item("—", colour=theme.MUTED, tip=NO_PAGE)
            acts = "ON" if f.enabled else "off"
            widgets.set_row(self.table, row, [
                widgets.item(f.name, bold=True, tip=f.description),
                runs,
                widgets.item(js(f.stored_value) if f.stored else "—", colour=None if f.stored else theme.MUTED),
                widgets.item(js(f.default)),
                widgets.item(f"{js(f.effective)} ({acts})", tip="the stored value, else the default "
                             "(what flagdeck can tell from storage; the app's build env may differ)"),
                widgets.item("localStorage" if f.source == "localStorage" else "default"),
                widgets.item(f.description, tip=f.description),
            ])
        known = {f.name for f in report.flags}
        for name, value in (report.document.values or {}).items():
            if name not in known:
                row = self.table.rowCount()
                widgets.set_row(self.table, row, [
                    widgets.item(name, icon=icons.status_icon("warning"), tip="not a flag of this app: ignored"),
                    widgets.item("ignored", colour=theme.MUTED), widgets.item(js(value)), widgets.item("—"),
                    widgets.item("—"), widgets.item("localStorage"),
                    widgets.item("not in the app's catalogue: the app ignores it", colour=theme.MUTED),
                ])
        doc = report.document
        self.raw.setText(doc.raw if doc.present else "(absent: the app runs on its defaults)")
        self.warnings.clear()
        for w in report.warnings:
            self.warnings.addItem(QListWidgetItem(icons.status_icon("warning"), w.message))
        for note in status.notes:
            self.warnings.addItem(QListWidgetItem(icons.status_icon("info"), for_gui(note)))
        if self.warnings.count() == 0:
            self.warnings.addItem(QListWidgetItem(icons.status_icon("pass"), "No warnings: every stored flag is "
                                                                             "known and has its type."))

    def _fill_names(self, status: flag_ops.StatusResult | None) -> None:
        names = [f.name for f in status.report.flags] if status else []
        if status:
            names += [n for n in (status.report.document.values or {}) if n not in names]
        current = self.name.currentText()
        if [self.name.itemText(i) for i in range(self.name.count())] != names:
            self.name.blockSignals(True)
            self.name.clear()
            self.name.addItems(names)
            self.name.setCurrentText(current or (names[0] if names else ""))
            self.name.blockSignals(False)

    def _fill_backups(self) -> None:
        backups = self.session.backups
        ids = [b.id for b in backups]
        self.diff_button.setEnabled(bool(ids))
        if [self.backup.itemData(i) for i in range(self.backup.count())] == ids:
            return
        chosen = self.backup.currentData()
        self.backup.clear()
        for b in backups:
            self.backup.addItem(f"{b.created[:19].replace('T', ' ')}  {b.reason}  ({b.id})", b.id)
        if chosen in ids:
            self.backup.setCurrentIndex(ids.index(chosen))

    def _row_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            name = widgets.cell_text(self.table, rows[0].row(), 0)
            self.name.setCurrentText(name)
            snap = self.session.snapshot
            flag = next((f for f in snap.flag_states() if f.name == name), None) if snap else None
            if snap is not None and flag is not None and flag.type == "boolean" and not self.value.text():
                self.value.setText(js(not runs_on(snap, flag)))

    # --- validation and edits -----------------------------------------------------------------------

    def validate(self) -> tuple[str, Any] | None:
        """The assignment when the core's own checks accept it (``parse_assignment``,
        ``check_assignment``); else None, and the reason next to the field."""
        name, text = self.name.currentText().strip(), self.value.text().strip()
        snap = self.session.snapshot
        assignment: tuple[str, Any] | None = None
        if not name or not text:
            self.valid.setText("")
        elif snap is None or snap.status is None:
            self.valid.setText("the flags are not read yet")
        else:
            try:
                parsed = parse_assignment(f"{name}={text}")
                doc = snap.status.report.document
                check_assignment(parsed[0], parsed[1], snap.status.target.catalogue,
                                 doc if doc.valid else FlagDocument.parse("{}"), force=self.force.isChecked())
                self.valid.setText(f"<span style='color:#1b5e20'>✓ {name} = {js(parsed[1])}</span>")
                assignment = parsed
            except FlagdeckError as exc:
                self.valid.setText(f"<span style='color:#b71c1c'>{error_text(exc)}</span>")
        writing = self.session.exclusive is not None
        self.set_button.setEnabled(assignment is not None and not writing)
        self.unset_button.setEnabled(bool(name) and snap is not None and snap.status is not None and not writing)
        return assignment

    def set_value(self) -> None:
        assignment = self.validate()
        if assignment is None:
            return
        name, value = assignment
        live = self.session.snapshot is not None and self.session.snapshot.mode == "live"
        self.session.write_flag(name, value, reload=live and self.reload.isChecked(), source="console",
                                force=self.force.isChecked(), on_done=self._written, on_error=self.fail)

    def unset_value(self) -> None:
        name = self.name.currentText().strip()
        if not name:
            return
        live = self.session.snapshot is not None and self.session.snapshot.mode == "live"
        self.session.write_flag(None, removals=[name], reload=live and self.reload.isChecked(), source="console",
                                on_done=self._written, on_error=self.fail)

    def _written(self, result: flag_ops.WriteResult) -> None:
        self.say(write_summary(result), "ok")
        self.value.clear()

    def show_diff(self) -> None:
        ident = self.backup.currentData()
        if not ident:
            return
        self.diff.setPlainText("comparing…")
        self.session.run(f"Diff {ident}", lambda target, _t: flag_ops.diff_backup(target, ident),
                         lambda d: self.diff.setPlainText(diff_text(d)), self._diff_failed)

    def _diff_failed(self, exc: BaseException) -> None:
        self.diff.clear()
        self.fail(exc)

    def activated(self) -> None:
        self.refresh_view()
        self._fill_backups()
        self.session.list_backups()  # the diff box lists them
