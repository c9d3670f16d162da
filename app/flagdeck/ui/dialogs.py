"""Confirmations that say what will happen: the rollback plan, the reload offer, a restore's diff.

Each is non-blocking (``open()`` + ``finished``), so the event loop keeps running and tests can
answer it; each renders a core result value (``RollbackPlan``, ``DiffResult``) and decides nothing.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from flagdeck import describe
from flagdeck.storage.flags import js_repr as js
from flagdeck.ui import icons
from flagdeck.ui.gui_words import for_gui
from flagdeck.ui.texts import short_name

MODE_TEXT = {
    "live": "The app is running and answers over DevTools: flagdeck writes the flag live and reloads the page.",
    "restart": "The app runs but cannot be reached live: flagdeck closes it gracefully, writes the flag on disk "
               "and starts it again with a loopback debug port.",
    "offline": "The app is closed: flagdeck writes the flag on disk; the app reads it at its next start.",
}


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 1.25)
    font.setBold(True)
    label.setFont(font)
    label.setWordWrap(True)
    return label


def _wrapped(text: str, *, muted: bool = False) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if muted:
        label.setProperty("muted", True)
    return label


def _raise(dialog: QDialog) -> None:
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()


class RollbackConfirmDialog(QDialog):
    """The plan from ``rollback.plan.prepare``, its steps numbered, and Roll back / Cancel."""

    def __init__(self, plan: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plan = plan
        self.setWindowTitle("Emergency rollback (Level 1) — flagdeck")
        self.setWindowIcon(icons.app_icon())
        self.setMinimumWidth(640)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.addWidget(_heading(f"Roll back {short_name(plan.target.name)}?"))
        where = plan.target.user_data_dir or plan.target.leveldb_dir
        layout.addWidget(_wrapped(str(where), muted=True))
        layout.addWidget(_wrapped(f"Set <b>{plan.flag}</b> to <b>false</b> — {MODE_TEXT.get(plan.mode, plan.mode)}"))
        layout.addWidget(QLabel("<b>What will happen</b>"))
        self.steps = QListWidget()
        self.steps.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.steps.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.steps.setIconSize(QSize(16, 16))
        self.steps.setWordWrap(True)
        self.steps.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for number, step in enumerate(plan.steps, 1):
            entry = QListWidgetItem(icons.status_icon("pending"), f"{number}.  {step.title}")
            entry.setSizeHint(QSize(0, 26))
            self.steps.addItem(entry)
        self.steps.setFixedHeight(26 * len(plan.steps) + 6)
        layout.addWidget(self.steps)
        if plan.launch is not None:
            command = QLabel(f"Relaunch: <code>{' '.join(plan.launch.argv)}</code>")
            command.setWordWrap(True)
            command.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(command)
        for note in plan.notes:
            layout.addWidget(_wrapped(f"Note: {for_gui(note)}", muted=True))
        form = QFormLayout()
        form.setContentsMargins(0, 6, 0, 0)
        self.note = QLineEdit()
        self.note.setPlaceholderText("incident link or a few words (kept with the backup and the record)")
        form.addRow("Note:", self.note)
        self.watch = QCheckBox("Add the memory/CPU watch to the verification")
        self.thorough = QCheckBox("Thorough verification instead of the fast pass")
        form.addRow("", self.watch)
        form.addRow("", self.thorough)
        layout.addLayout(form)
        buttons = QDialogButtonBox()
        self.go = QPushButton(icons.page_icon("rollback"), "&Roll back now")
        self.go.setObjectName("danger")
        self.go.setDefault(True)
        buttons.addButton(self.go, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def options(self) -> dict[str, Any]:
        return {"note": self.note.text().strip() or None, "watch": self.watch.isChecked(),
                "thorough": self.thorough.isChecked()}

    def present(self) -> None:
        _raise(self)
        self.go.setFocus()


class ReloadOfferDialog(QDialog):
    """Before a live toggle: set and reload (the page reads flags once, at load), or set only."""

    RELOAD, WRITE_ONLY = 1, 2

    def __init__(self, target_name: str, flag: str, value: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Set {flag} — flagdeck")
        self.setWindowIcon(icons.app_icon())
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(10)
        self.heading = _heading(f"Set {flag} to {js(value)}?")
        layout.addWidget(self.heading)
        layout.addWidget(_wrapped(f"The app ({target_name}) is running. Its page reads the flags once, when it "
                                  "loads: reload it now so the change applies. A backup is taken first either way."))
        self.dont_ask = QCheckBox("Don't ask again: a quick toggle writes and reloads at once (Undo is offered)")
        layout.addWidget(self.dont_ask)
        buttons = QDialogButtonBox()
        self.reload = QPushButton("Set and &reload")
        self.reload.setObjectName("primary")
        self.reload.setDefault(True)
        self.write_only = QPushButton("&Set only")
        buttons.addButton(self.reload, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.write_only, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.reload.clicked.connect(lambda: self.done(self.RELOAD))
        self.write_only.clicked.connect(lambda: self.done(self.WRITE_ONLY))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def present(self) -> None:
        _raise(self)
        self.reload.setFocus()


def diff_text(diff: Any) -> str:
    """A ``DiffResult`` as the CLI's ``flagdeck diff`` prints it (flags, then names of other keys)."""
    return describe.diff_text(diff, arrow="→")


SCOPE_TEXT = {
    "flags": "the flag key only",
    "entries": "every entry of the origin (keys added since are removed)",
    "folder": "the whole LevelDB folder as copied (the app must be closed)",
}


class RestoreConfirmDialog(QDialog):
    """A restore's diff first ("what changes back"), then Restore / Cancel."""

    def __init__(self, diff: Any, scope: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.diff = diff
        self.setWindowTitle(f"Restore backup {diff.backup.id} — flagdeck")
        self.setWindowIcon(icons.app_icon())
        self.setMinimumSize(600, 360)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.addWidget(_heading(f"Restore {SCOPE_TEXT.get(scope, scope)} from backup {diff.backup.id}?"))
        layout.addWidget(_wrapped("What differs between the backup and now — restoring puts the backup's side "
                                  "back; the state now is backed up first."))
        text = QPlainTextEdit(diff_text(diff))
        text.setReadOnly(True)
        text.setFont(QFont("monospace"))
        layout.addWidget(text)
        buttons = QDialogButtonBox()
        self.go = QPushButton("&Restore")
        self.go.setObjectName("danger")
        buttons.addButton(self.go, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def present(self) -> None:
        _raise(self)
