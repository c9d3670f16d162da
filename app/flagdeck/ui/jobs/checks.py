"""Checks the app holds still for (writes wait for them): ``flagdeck verify`` and the trigger board
(``flagdeck triggers``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flagdeck.targets.resolve import Target
from flagdeck.ui.jobs.base import Job
from flagdeck.ui.workers import Task, error_text

if TYPE_CHECKING:
    from flagdeck.ui.session import TargetSession


class VerifyJob(Job):
    """The runbook's checks, saved; the tray badge follows the outcome."""

    kind = "check"
    title = "Verification"

    def __init__(self, session: TargetSession, *, full: bool = False, window: float = 3.0, watch: bool = True,
                 only: tuple[str, ...] | None = None, **kwargs: Any) -> None:
        super().__init__(session, "Verify", **kwargs)
        self.full, self.window, self.watch, self.only = full, window, watch, only

    def run(self, target: Target | None, task: Task) -> Any:
        from flagdeck.verify.runner import verify

        assert target is not None
        return verify(target, full=self.full, window=self.window, watch=self.watch, only=self.only,
                      progress=lambda cid, res: task.report((cid, res)))

    def result(self, value: Any) -> None:
        self.session.model.set_verified(value)
        if value.failed:
            self.session.notified.emit("Verification FAILED", "; ".join(f"{r.id}: {r.detail}" for r in value.failed),
                                       "error")
        else:
            manual = f"; {len(value.manual)} check(s) need a person" if value.manual else ""
            self.session.notified.emit("Verification passed", f"{value.target} ({value.mode}){manual}", "info")

    def failed(self, exc: BaseException) -> None:
        self.session.notified.emit("Verification did not run", error_text(exc), "error")

    def refused(self, why: str) -> None:
        self.session.notified.emit("Verification not started", why.replace("wait for it to finish",
                                                                           "verify when it has finished"), "warning")

    def describe(self, value: Any) -> str:
        return "FAILED: " + ", ".join(c.id for c in value.failed) if value.failed else "OK"


class TriggerCheckJob(Job):
    """Measure the signals and classify them into the runbook's triggers (the board is saved).
    ``auto``: started by the incident watch, not by a person (no row in the Log)."""

    kind = "check"
    title = "Trigger check"

    def __init__(self, session: TargetSession, *, auto: bool = False, **kwargs: Any) -> None:
        super().__init__(session, "Check triggers", logged=not auto, **kwargs)
        self.auto = auto

    def started(self) -> None:
        self.session.incident.check_started()

    def run(self, target: Target | None, task: Task) -> Any:
        from flagdeck import triggers

        assert target is not None
        # quick: the performance triggers reload the app for a minute (the Performance page runs them)
        return triggers.check(target, quick=True)

    def result(self, value: Any) -> None:
        self.session.incident.set_board(value)

    def failed(self, exc: BaseException) -> None:
        self.session.incident.check_failed(exc)

    def refused(self, why: str) -> None:
        self.session.incident.check_failed(None)
        if not self.auto:
            super().refused(why)

    def describe(self, value: Any) -> str:
        return str(value.level)
