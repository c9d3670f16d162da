"""Backups: take one (a write: it reads the app's storage under the writer lock), diff one against
now (a read), restore one (a write that only goes through while the storage still differs exactly
as the diff shown)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flagdeck import flag_ops
from flagdeck.errors import NeedsConfirmation
from flagdeck.targets.resolve import Target
from flagdeck.ui.jobs.base import Job
from flagdeck.ui.workers import Task, error_text

if TYPE_CHECKING:
    from flagdeck.ui.session import TargetSession


class BackupJob(Job):
    kind = "write"
    title = "Backup"

    def __init__(self, session: TargetSession, *, note: str | None = None, **kwargs: Any) -> None:
        super().__init__(session, "Take backup", **kwargs)
        self.note = note

    def run(self, target: Target | None, task: Task) -> Any:
        assert target is not None
        return flag_ops.take_backup(target, note=self.note)

    def result(self, value: Any) -> None:
        self.session.notified.emit("Backup taken", f"{value.id} ({value.mode}, {value.entry_count} entries"
                                                   f"{', folder copy' if value.folder_copy else ''})", "info")

    def failed(self, exc: BaseException) -> None:
        self.session.notified.emit("Backup failed", error_text(exc), "error")

    def describe(self, value: Any) -> str:
        return str(value.id)


class DiffJob(Job):
    """What differs between a backup and the storage now."""

    def __init__(self, session: TargetSession, backup_id: str, **kwargs: Any) -> None:
        super().__init__(session, f"Diff {backup_id}", **kwargs)
        self.backup_id = backup_id

    def run(self, target: Target | None, task: Task) -> flag_ops.DiffResult:
        assert target is not None
        return flag_ops.diff_backup(target, self.backup_id)


class RestoreJob(Job):
    kind = "write"
    title = "Restore"

    def __init__(self, session: TargetSession, diff: flag_ops.DiffResult, scope: str, **kwargs: Any) -> None:
        self.diff, self.scope, self.backup_id = diff, scope, diff.backup.id
        super().__init__(session, f"Restore {self.backup_id} ({scope})", **kwargs)

    def _same(self, now: flag_ops.DiffResult) -> bool:
        return now.flag_changes == self.diff.flag_changes and now.entries == self.diff.entries

    def run(self, target: Target | None, task: Task) -> Any:
        assert target is not None
        return flag_ops.restore_backup(target, self.backup_id, scope=self.scope, confirm=self._same)  # type: ignore[arg-type]

    def result(self, value: Any) -> None:
        safety = value.safety_backup.id if value.safety_backup else "-"
        self.session.notified.emit("Backup restored", f"{self.scope} from {self.backup_id}; the state before is in "
                                                      f"backup {safety}", "info")

    def failed(self, exc: BaseException) -> None:
        if isinstance(exc, NeedsConfirmation):
            exc = NeedsConfirmation("the storage changed since the diff was shown; nothing was written",
                                    hint="look at the new diff and restore again")
        self.session.notified.emit("Restore failed", error_text(exc), "error")

    def describe(self, value: Any) -> str:
        return f"{value.scope} from {value.restored_from.id}"
