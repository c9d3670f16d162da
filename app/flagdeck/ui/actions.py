"""Flows started from the tray menu or the console: a confirmation, then a core call on a worker.

- toggle a flag: ``flags set NAME=VALUE`` (live: offered with a reload, as ``--reload``);
- emergency rollback: ``rollback.plan.prepare`` on a worker, the plan shown for confirmation, then
  ``rollback.run`` (an app without a debug port is offered the ``--restart`` plan);
- restore: ``flag_ops.diff_backup`` shown first, then ``restore_backup`` whose confirmation only
  passes if the storage still differs exactly as shown.

The open dialog is kept in ``self.dialog`` (tests answer it; a second request raises it again).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QWidget

from flagdeck import flag_ops
from flagdeck.errors import NeedsConfirmation, NeedsRestart
from flagdeck.targets.resolve import Target
from flagdeck.ui.session import TargetSession
from flagdeck.ui.settings import UiSettings
from flagdeck.ui.state import runs_on
from flagdeck.ui.workers import Task, error_text


class Flows(QObject):
    dialogOpened = Signal(object)  # the QDialog just shown

    def __init__(self, session: TargetSession, settings: UiSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.settings = settings
        self.dialog: QDialog | None = None
        self.preparing = False

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

    def toggle_flag(self, name: str, *, source: str, parent: QWidget | None = None) -> None:
        """Flip a boolean flag from what the app does now: what the running page uses, else the stored
        value or the default (``"false"`` counts as ON, as in the app)."""
        snap = self.session.snapshot
        flag = next((f for f in snap.flag_states() if f.name == name), None) if snap else None
        if snap is None or flag is None:
            self.session.notified.emit(f"Cannot set {name}", "the flags are not known yet; wait for a read", "warning")
            return
        self.set_flag(name, not runs_on(snap, flag), source=source, parent=parent)

    def set_flag(self, name: str, value: Any, *, source: str, parent: QWidget | None = None,
                 force: bool = False, on_done: Callable[[Any], None] | None = None,
                 on_error: Callable[[BaseException], None] | None = None) -> None:
        live = self.session.snapshot is not None and self.session.snapshot.mode == "live"
        if not live or self.settings.always_reload:
            self.session.write_flag(name, value, reload=live, source=source, force=force, on_done=on_done,
                                    on_error=on_error)
            return
        from flagdeck.ui.dialogs import ReloadOfferDialog  # here: the tray shows its icon without them

        dialog = ReloadOfferDialog(self.session.label(), name, value, parent)

        def answered(code: int) -> None:
            if code in (ReloadOfferDialog.RELOAD, ReloadOfferDialog.WRITE_ONLY):
                if dialog.always.isChecked() and code == ReloadOfferDialog.RELOAD:
                    self.settings.always_reload = True
                self.session.write_flag(name, value, reload=code == ReloadOfferDialog.RELOAD, source=source,
                                        force=force, on_done=on_done, on_error=on_error)

        dialog.finished.connect(answered)
        self._show(dialog)

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
        from flagdeck.rollback.plan import prepare

        self.preparing = True

        def planned(plan: Any) -> None:
            self.preparing = False
            if on_plan is not None:
                on_plan(plan)
            from flagdeck.ui.dialogs import RollbackConfirmDialog

            dialog = RollbackConfirmDialog(plan, parent)

            def answered(code: int) -> None:
                if code == QDialog.DialogCode.Accepted:
                    self.session.start_rollback(plan, source=source, **dialog.options())

            dialog.finished.connect(answered)
            self._show(dialog)

        def failed(exc: BaseException) -> None:
            self.preparing = False
            if isinstance(exc, NeedsRestart) and not restart:
                self._offer_restart(exc, source=source, parent=parent, flag=flag, on_plan=on_plan)
            else:
                self.session.notified.emit("Rollback not started", error_text(exc), "error")

        self.session.run("Prepare rollback", lambda target, _t: prepare(target, flag=flag, reload=reload,
                                                                        restart=restart),
                         planned, failed, source=source, describe=lambda p: f"{p.mode}, {len(p.steps)} steps")

    def _offer_restart(self, exc: NeedsRestart, *, source: str, parent: QWidget | None, flag: str | None,
                       on_plan: Callable[[Any], None] | None) -> None:
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(QMessageBox.Icon.Question, "Emergency rollback — flagdeck",
                          f"{exc.message}.\n\nflagdeck can close the app gracefully, write the flag on disk and "
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
                if code != QDialog.DialogCode.Accepted:
                    return

                def same(now: flag_ops.DiffResult) -> bool:
                    return now.flag_changes == diff.flag_changes and now.entries == diff.entries

                def done(result: Any) -> None:
                    safety = result.safety_backup.id if result.safety_backup else "-"
                    self.session.notified.emit("Backup restored", f"{scope} from {backup_id}; the state before is "
                                                                  f"in backup {safety}", "info")
                    if on_done is not None:
                        on_done(result)

                def failed(exc: BaseException) -> None:
                    if isinstance(exc, NeedsConfirmation):
                        exc = NeedsConfirmation("the storage changed since the diff was shown; nothing was "
                                                "written", hint="look at the new diff and restore again")
                    self.session.notified.emit("Restore failed", error_text(exc), "error")

                self.session.run(f"Restore {backup_id} ({scope})",
                                 lambda target, _t: flag_ops.restore_backup(target, backup_id, scope=scope,  # type: ignore[arg-type]
                                                                            confirm=same),
                                 done, failed, source=source, exclusive=True,
                                 describe=lambda r: f"{r.scope} from {r.restored_from.id}")

            dialog.finished.connect(answered)
            self._show(dialog)

        def failed(exc: BaseException) -> None:
            self.session.notified.emit("Cannot show the diff", error_text(exc), "error")

        self.session.run(f"Diff {backup_id}", lambda target, _t: flag_ops.diff_backup(target, backup_id), shown,
                         failed, source=source)

    # --- a backup -----------------------------------------------------------------------------------

    def take_backup(self, *, source: str, note: str | None = None,
                    on_done: Callable[[Any], None] | None = None) -> Task | None:
        def done(backup: Any) -> None:
            self.session.notified.emit("Backup taken", f"{backup.id} ({backup.mode}, {backup.entry_count} entries"
                                                       f"{', folder copy' if backup.folder_copy else ''})", "info")
            if on_done is not None:
                on_done(backup)

        def failed(exc: BaseException) -> None:
            self.session.notified.emit("Backup failed", error_text(exc), "error")

        def work(target: Target, _t: Task) -> Any:
            return flag_ops.take_backup(target, note=note)

        return self.session.run("Take backup", work, done, failed, source=source, exclusive=True,
                                describe=lambda b: b.id)
