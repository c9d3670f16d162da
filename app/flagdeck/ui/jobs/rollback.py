"""The emergency rollback: its plan (``rollback.plan.prepare``, a read) and its run (a write whose
steps are reported live to every view: ``rollbackProgress``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flagdeck.targets.resolve import Target
from flagdeck.ui.jobs.base import Job
from flagdeck.ui.texts import rollback_summary
from flagdeck.ui.workers import Task, error_text

if TYPE_CHECKING:
    from flagdeck.ui.session import TargetSession


class PrepareRollbackJob(Job):
    """The plan to confirm: which flag, which mode (live, restart, offline), its steps."""

    def __init__(self, session: TargetSession, *, flag: str | None = None, reload: bool = True,
                 restart: bool = False, **kwargs: Any) -> None:
        super().__init__(session, "Prepare rollback", **kwargs)
        self.flag, self.reload, self.restart = flag, reload, restart

    def run(self, target: Target | None, task: Task) -> Any:
        from flagdeck.rollback.plan import prepare

        assert target is not None
        return prepare(target, flag=self.flag, reload=self.reload, restart=self.restart)

    def describe(self, value: Any) -> str:
        return f"{value.mode}, {len(value.steps)} steps"


class RollbackJob(Job):
    """Run a confirmed Level-1 plan. The note typed in the confirmation goes with the backup, the
    record, the history row and the evidence."""

    kind = "write"
    title = "Rollback"

    def __init__(self, session: TargetSession, plan: Any, *, watch: bool = False, thorough: bool = False,
                 note: str | None = None, **kwargs: Any) -> None:
        super().__init__(session, "Emergency rollback", **kwargs)
        self.plan, self.watch, self.thorough = plan, watch, thorough
        self.note = note  # kept in the backup, the record, the history row and the evidence

    def started(self) -> None:
        activity = self.session.activity
        activity.rollback_running = True
        self.session.rollbackStarted.emit(self.plan)
        self.session.notified.emit("Rollback started", f"{self.plan.target.name}: {self.plan.flag} → false "
                                                       f"({self.plan.mode})", "info")

    def run(self, target: Target | None, task: Task) -> Any:
        from flagdeck.rollback.run import run as run_rollback

        return run_rollback(self.plan, progress=task.report, watch=self.watch, thorough=self.thorough, note=self.note)

    def progress(self, step: Any) -> None:
        self.session.activity.rollback_step = step.title if step.status == "running" else ""
        self.session.rollbackProgress.emit(step)
        self.session.changed.emit()

    def _ended(self) -> None:
        self.session.activity.rollback_running = False
        self.session.activity.rollback_step = ""

    def result(self, value: Any) -> None:
        self._ended()
        if value.verify is not None:
            self.session.model.set_verified(value.verify)
        title, message, level = rollback_summary(value)
        self.session.notified.emit(title, message, level)
        self.session.rollbackFinished.emit(value)

    def failed(self, exc: BaseException) -> None:
        self._ended()
        self.session.notified.emit("Rollback did not run", error_text(exc), "error")
        self.session.rollbackFinished.emit(exc)

    def refused(self, why: str) -> None:
        self.session.notified.emit("Rollback not started", why, "error")

    def describe(self, value: Any) -> str:
        return f"{value.outcome} in {value.seconds:.1f} s"
