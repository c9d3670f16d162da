"""Pick the target: a preset (with what ``flagdeck targets`` discovers: installed, running, debug
port), a discovered running app, or a folder — the same options the CLI takes before a command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from flagdeck.errors import UsageError
from flagdeck.storage.origins import normalize_origin
from flagdeck.targets.resolve import TargetOptions
from flagdeck.ui import icons
from flagdeck.ui.console import widgets
from flagdeck.ui.session import TargetSession
from flagdeck.ui.workers import error_text


class TargetDialog(QDialog):
    def __init__(self, session: TargetSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.chosen: TargetOptions | None = None
        self.setWindowTitle("Choose the target — flagdeck")
        self.setWindowIcon(icons.app_icon())
        self.resize(760, 440)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.setSpacing(12)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._presets_tab(), icons.page_icon("target"), "Presets and running apps")
        self.tabs.addTab(self._folder_tab(), icons.page_icon("backups"), "A folder")
        layout.addWidget(self.tabs, 1)
        self.error = widgets.Banner()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Use this target")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._infos: list[Any] = []
        self._discover()

    # --- presets ------------------------------------------------------------------------------------

    def _presets_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        self.presets = widgets.table(["Preset", "App", "Installed", "Running", "Storage", "Debug port"], stretch=3)
        self.presets.doubleClicked.connect(lambda _i: self._accept())
        self.presets_note = widgets.muted("Looking for installed and running apps…")
        refresh = QPushButton(icons.page_icon("refresh"), "Look again")
        refresh.clicked.connect(self._discover)
        layout.addWidget(self.presets, 1)
        footer = QHBoxLayout()
        footer.setSpacing(12)
        footer.addWidget(self.presets_note, 1)  # the note takes the width, the button its own
        footer.addWidget(refresh, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(footer)
        return tab

    def _discover(self) -> None:
        from flagdeck.targets.discover import discover

        self.presets_note.setText("Looking for installed and running apps…")
        self.session.runner.run_task(lambda _t: discover(), self._show_infos,
                                     lambda e: self.presets_note.setText(error_text(e)), name="discover targets",
                                     quiet=True)

    def _show_infos(self, infos: list[Any]) -> None:
        self._infos = infos
        self.presets.setRowCount(0)
        current = self.session.options.target
        for row, i in enumerate(infos):
            running = ", ".join(f"{p.name} ({p.pid})" for p in i.running[:3]) or "—"
            widgets.set_row(self.presets, row, [
                widgets.item(i.name, data=i.name, bold=True, tip=i.source),
                widgets.item(i.display_name, tip=i.description),
                widgets.status_item("pass" if i.installed else "n/a", "yes" if i.installed else "no"),
                widgets.status_item("running" if i.running else "pending", running),
                widgets.item("locked by the app" if i.storage_locked else "free"),
                widgets.item(str(i.debug_port or "—")),
            ])
            if i.name == current:
                self.presets.selectRow(row)
        live = sum(1 for i in infos if i.running)
        self.presets_note.setText(f"{len(infos)} presets, {live} of them running — double-click one to use it")

    # --- a folder -----------------------------------------------------------------------------------

    def _folder_tab(self) -> QWidget:
        tab = QWidget()
        form = QFormLayout()
        opts = self.session.options
        self.user_data = QLineEdit(str(opts.user_data_dir or ""))
        self.user_data.setPlaceholderText("Electron userData dir, Chromium user-data dir or profile dir")
        self.leveldb = QLineEdit(str(opts.leveldb or ""))
        self.leveldb.setPlaceholderText("or the 'Local Storage/leveldb' folder itself")
        self.storage_key = QLineEdit(opts.storage_key or "")
        self.storage_key.setPlaceholderText("featureFlags")
        self.origin = QLineEdit(opts.origin or "")
        self.origin.setPlaceholderText("the origin holding the key (file://, https://app.example)")
        self.port = QSpinBox()
        self.port.setRange(0, 65535)
        self.port.setSpecialValueText("from DevToolsActivePort, if any")
        self.port.setValue(opts.debug_port or 0)
        form.addRow("User data", self._with_browse(self.user_data))
        form.addRow("LevelDB folder", self._with_browse(self.leveldb))
        form.addRow("Storage key", self.storage_key)
        form.addRow("Origin", self.origin)
        form.addRow("Debug port", self.port)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        note = widgets.muted("Live mode needs the app started with a loopback debug port "
                             "(--remote-debugging-port=N); flagdeck checks the port belongs to the app")
        outer = QVBoxLayout(tab)
        outer.setSpacing(12)
        outer.addLayout(form)
        outer.addWidget(note)
        outer.addStretch(1)
        return tab

    def _with_browse(self, edit: QLineEdit) -> QHBoxLayout:
        browse = QPushButton("Browse…")

        def pick() -> None:
            path = QFileDialog.getExistingDirectory(self, "Choose a folder", edit.text() or str(Path.home()))
            if path:
                edit.setText(path)
                self.tabs.setCurrentIndex(1)

        browse.clicked.connect(pick)
        row = QHBoxLayout()
        row.addWidget(edit, 1)
        row.addWidget(browse)
        return row

    # --- choosing -----------------------------------------------------------------------------------

    def options(self) -> TargetOptions:
        if self.tabs.currentIndex() == 0:
            rows = self.presets.selectionModel().selectedRows()
            if not rows:
                raise UsageError("pick a preset in the list")
            name = widgets.cell_data(self.presets, rows[0].row(), 0)
            return TargetOptions(target=str(name))
        user_data, leveldb = self.user_data.text().strip(), self.leveldb.text().strip()
        if not user_data and not leveldb:
            raise UsageError("give the app's user data folder or its LevelDB folder")
        for text in (user_data, leveldb):
            if text and not Path(text).expanduser().is_dir():
                raise UsageError(f"{text} is not a folder")
        origin = self.origin.text().strip()
        return TargetOptions(
            user_data_dir=Path(user_data).expanduser() if user_data else None,
            leveldb=Path(leveldb).expanduser() if leveldb else None,
            storage_key=self.storage_key.text().strip() or None,
            origin=normalize_origin(origin) if origin else None,
            debug_port=self.port.value() or None,
        )

    def _accept(self) -> None:
        try:
            self.chosen = self.options()
        except UsageError as exc:
            self.error.show_message(error_text(exc), "error")
            return
        self.accept()
