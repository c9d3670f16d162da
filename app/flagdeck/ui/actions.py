"""Flows started from the tray menu or the console: what needs a person between jobs.

- a quick toggle: one click writes the flag (and reloads the page when live), then offers Undo for
  :data:`UNDO_SECONDS` (the notification, the tray menu, the console's status bar); asking first is
  a setting (``UiSettings.confirm_toggle``, off by default);
- the emergency rollback: the plan prepared on a worker, shown for confirmation, then run (an app
  without a debug port is offered the restart plan);
- restore: the diff shown first, then a restore that only passes while the storage still differs
  exactly as shown.

The open dialog is kept in ``self.dialog`` (tests answer it; a second request raises it again).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from flagdeck import flag_ops
from flagdeck.errors import NeedsRestart
from flagdeck.storage.flags import js_repr as js
from flagdeck.ui.jobs.backups import BackupJob, DiffJob, RestoreJob
from flagdeck.ui.jobs.flags import FlagWriteJob, ReloadJob
from flagdeck.ui.jobs.rollback import PrepareRollbackJob, RollbackJob
from flagdeck.ui.session import TargetSession
from flagdeck.ui.settings import UiSettings
from flagdeck.ui.state import runs_on
from flagdeck.ui.workers import Task, error_text

UNDO_SECONDS = 10


@dataclass(frozen=True)
class UndoOffer:
    """A quick toggle that can be taken back: the flag's stored value before it (or its absence)."""

    flag: str
    before_present: bool
    before: Any
    title: str  # the notification that offered it (a click on it undoes)
    expires: float  # time.monotonic()

    def seconds_left(self) -> int:
        return max(0, round(self.expires - time.monotonic()))

    def text(self) -> str:
        back = f"back to {js(self.before)}" if self.before_present else "back to its default (unset)"
        return f"Undo: {self.flag} {back}"


class Flows(QObject):
    dialogOpened = Signal(object)  # the QDialog just shown
    undoChanged = Signal()  # an Undo was offered, used or expired

    def __init__(self, session: TargetSession, settings: UiSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.settings = settings
        self.dialog: QDialog | None = None
        self.preparing = False
        self.offer: UndoOffer | None = None
        self._expiry = QTimer(self, singleShot=True)
        self._expiry.timeout.connect(self._expire)
        session.targetChanged.connect(self._expire)

    def _show(self, dialog: Any) -> None:
        if self.dialog is not None:
            self.dialog.close()
        self.dialog = dialog
        dialog.finished.connect(lambda _r, d=dialog: self._closed(d))
        dialog.present()
        self.dialogOpened.emit(dialog)

    def _closed(self, dialog: QDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()

    # --- a flag toggle ------------------------------------------------------------------------------

    def toggle_flag(self, name: str, *, source: str, parent: QWidget | None = None) -> Task | None:
        """Flip a boolean flag from what the app does now: what the running page uses, else the stored
        value or the default (``"false"`` counts as ON, as in the app). One click: written, reloaded
        when live, Undo offered."""
        snap = self.session.snapshot
        flag = next((f for f in snap.flag_states() if f.name == name), None) if snap else None
        if snap is None or flag is None:
            self.session.notified.emit(f"Cannot set {name}", "the flags are not known yet; wait for a read", "warning")
            return None
        return self.set_flag(name, not runs_on(snap, flag), source=source, parent=parent, undoable=True)

    def set_flag(self, name: str, value: Any, *, source: str, parent: QWidget | None = None,
                 force: bool = False, undoable: bool = False, on_done: Callable[[Any], None] | None = None,
                 on_error: Callable[[BaseException], None] | None = None) -> Task | None:
        live = self.session.snapshot is not None and self.session.snapshot.mode == "live"
        if not live or not self.settings.confirm_toggle:
            return self._write(name, value, reload=live, source=source, force=force, undoable=undoable,
                               on_done=on_done, on_error=on_error)
        from flagdeck.ui.dialogs import ReloadOfferDialog  # here: the tray shows its icon without them

        dialog = ReloadOfferDialog(self.session.label(), name, value, parent)

        def answered(code: int) -> None:
            if code in (ReloadOfferDialog.RELOAD, ReloadOfferDialog.WRITE_ONLY):
                if dialog.dont_ask.isChecked():
                    self.settings.confirm_toggle = False
                self._write(name, value, reload=code == ReloadOfferDialog.RELOAD, source=source, force=force,
                            undoable=undoable, on_done=on_done, on_error=on_error)

        dialog.finished.connect(answered)
        self._show(dialog)
        return None

    def _write(self, name: str, value: Any, *, reload: bool, source: str, force: bool, undoable: bool,
               on_done: Callable[[Any], None] | None, on_error: Callable[[BaseException], None] | None
               ) -> Task | None:
        job = FlagWriteJob(self.session, [(name, value)], reload=reload, force=force, source=source,
                           undo_hint=undoable and UNDO_SECONDS, on_error=on_error)

        def done(result: flag_ops.WriteResult) -> None:
            change = next((c for c in result.changes if c.flag == name), None)
            if undoable and change is not None:
                self._offer(UndoOffer(name, change.before_present, change.before, job.notice_title(result),
                                      time.monotonic() + UNDO_SECONDS))
            if on_done is not None:
                on_done(result)

        job.on_done = done
        return self.session.start(job)

    def _offer(self, offer: UndoOffer) -> None:
        self.offer = offer
        self._expiry.start(UNDO_SECONDS * 1000)
        self.undoChanged.emit()

    def _expire(self) -> None:
        if self.offer is not None:
            self.offer = None
            self._expiry.stop()
            self.undoChanged.emit()

    def undo(self, *, source: str = "tray") -> Task | None:
        """Take the last quick toggle back (while it is offered): the stored value before it is
        written again, or the flag removed when nothing was stored; reloaded when live."""
        offer = self.offer
        if offer is None:
            return None
        self._expire()
        live = self.session.snapshot is not None and self.session.snapshot.mode == "live"
        if offer.before_present:
            job = FlagWriteJob(self.session, [(offer.flag, offer.before)], reload=live, force=True, source=source,
                               note=f"undo of a quick toggle, from the {source}")
        else:
            job = FlagWriteJob(self.session, removals=[offer.flag], reload=live, source=source,
                               note=f"undo of a quick toggle, from the {source}")
        return self.session.start(job)

    def reload_now(self, *, source: str) -> Task | None:
        """A stored change the page does not run yet: reload the page now."""
        return self.session.start(ReloadJob(self.session, source=source))

    # --- the emergency rollback ---------------------------------------------------------------------

    def emergency_rollback(self, *, source: str, parent: QWidget | None = None, restart: bool = False,
                           flag: str | None = None, reload: bool = True,
                           on_plan: Callable[[Any], None] | None = None) -> None:
        """Prepare the plan on a worker, show it, run it when confirmed."""
        if self.session.activity.rollback_running or self.preparing:
            if self.dialog is not None:
                self.dialog.raise_()
                self.dialog.activateWindow()
            return

        def planned(plan: Any) -> None:
            self.preparing = False
            if on_plan is not None:
                on_plan(plan)
            from flagdeck.ui.dialogs import RollbackConfirmDialog

            dialog = RollbackConfirmDialog(plan, parent)

            def answered(code: int) -> None:
                if code == QDialog.DialogCode.Accepted:
                    self.session.start(RollbackJob(self.session, plan, source=source, **dialog.options()))

            dialog.finished.connect(answered)
            self._show(dialog)

        def failed(exc: BaseException) -> None:
            self.preparing = False
            if isinstance(exc, NeedsRestart) and not restart:
                self._offer_restart(exc, source=source, parent=parent, flag=flag, on_plan=on_plan)
            else:
                self.session.notified.emit("Rollback not started", error_text(exc), "error")

        self.preparing = True
        job = PrepareRollbackJob(self.session, flag=flag, reload=reload, restart=restart, source=source,
                                 on_done=planned, on_error=failed)
        if self.session.start(job) is None:
            self.preparing = False

    def _offer_restart(self, exc: NeedsRestart, *, source: str, parent: QWidget | None, flag: str | None,
                       on_plan: Callable[[Any], None] | None) -> None:
        box = QMessageBox(QMessageBox.Icon.Question, "Emergency rollback — flagdeck",
                          f"{error_text(exc)}.\n\nflagdeck can close the app gracefully, write the flag on disk and "
                          "start the app again with a loopback debug port. Prepare that plan?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, parent)
        box.setDefaultButton(QMessageBox.StandardButton.Yes)

        def present() -> None:
            box.show()
            box.raise_()
            box.activateWindow()

        box.present = present  # type: ignore[attr-defined]

        def answered(code: int) -> None:
            if box.standardButton(box.clickedButton()) == QMessageBox.StandardButton.Yes:
                self.emergency_rollback(source=source, parent=parent, restart=True, flag=flag, on_plan=on_plan)

        box.finished.connect(answered)
        self._show(box)

    # --- restore ------------------------------------------------------------------------------------

    def restore(self, backup_id: str, scope: str, *, source: str, parent: QWidget | None = None,
                on_done: Callable[[Any], None] | None = None) -> None:
        """Show the diff, then restore if the storage still differs exactly as shown."""

        def shown(diff: flag_ops.DiffResult) -> None:
            from flagdeck.ui.dialogs import RestoreConfirmDialog

            dialog = RestoreConfirmDialog(diff, scope, parent)

            def answered(code: int) -> None:
                if code == QDialog.DialogCode.Accepted:
                    self.session.start(RestoreJob(self.session, diff, scope, source=source, on_done=on_done))

            dialog.finished.connect(answered)
            self._show(dialog)

        def failed(exc: BaseException) -> None:
            self.session.notified.emit("Cannot show the diff", error_text(exc), "error")

        self.session.start(DiffJob(self.session, backup_id, source=source, on_done=shown, on_error=failed))

    # --- a backup -----------------------------------------------------------------------------------

    def take_backup(self, *, source: str, note: str | None = None,
                    on_done: Callable[[Any], None] | None = None) -> Task | None:
        return self.session.start(BackupJob(self.session, note=note, source=source, on_done=on_done))
