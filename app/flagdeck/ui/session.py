"""One target as every view shares it: its model, the action gate, and the runner of jobs.

- :class:`~flagdeck.ui.target_model.TargetModel`: the last read, the watch, the backoff, the
  backups and the verification badge;
- :class:`~flagdeck.ui.action_gate.ActionGate`: one write at a time, checks that writes wait for;
- :meth:`TargetSession.start`: a job (``jobs/``) through the gate, the Log and a worker; an
  exception in its result never ends the process: it is logged, told, and the action marked failed.

Signals let every view follow the same events: a rollback started from the tray shows its steps
live on the console's Rollback page, a verification from either updates the Verify page and the
tray badge.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance

from flagdeck.errors import FlagdeckError, TargetBusy
from flagdeck.targets.resolve import Target, TargetOptions, resolve
from flagdeck.ui import state
from flagdeck.ui.action_gate import ActionGate, Busy
from flagdeck.ui.action_log import ActionLog, LogRecord
from flagdeck.ui.incident import IncidentWatch
from flagdeck.ui.jobs.base import CallJob, Job
from flagdeck.ui.state import Activity, Badge, FlagShape, Link, Snapshot
from flagdeck.ui.target_model import TargetModel
from flagdeck.ui.workers import Task, TaskRunner, error_text

log = logging.getLogger("flagdeck.ui.session")

FLAG_CHANGING = ("FlagWriteJob", "RollbackJob", "RestoreJob", "ReloadJob")  # the trigger board is due after these


class TargetSession(QObject):
    notified = Signal(str, str, str)  # title, message, level
    rollbackStarted = Signal(object)  # RollbackPlan
    rollbackProgress = Signal(object)  # StepResult
    rollbackFinished = Signal(object)  # RollbackResult | BaseException
    actionFailed = Signal(str, str)  # action, one-line error
    jobEnded = Signal(object)  # the Job (done, failed or refused)

    def __init__(self, runner: TaskRunner, log_: ActionLog, options: TargetOptions, *,
                 auto_check: Callable[[], bool] = lambda: True, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.action_log = log_
        self.gate = ActionGate(on_change=lambda: self.model.changed.emit())
        self.model = TargetModel(runner, options, paused=lambda: self.gate.writing is not None, parent=self)
        self.incident = IncidentWatch(self, auto_check, parent=self)
        self.demo_target: Target | None = None  # the demo target this process started (stopped at quit)
        self.internal_errors: list[str] = []  # job callbacks that raised (told and marked failed)
        runner.busyChanged.connect(lambda _b: self.model.changed.emit())

    # --- the model, as the views read it ------------------------------------------------------------

    @property
    def changed(self) -> SignalInstance:
        return self.model.changed

    @property
    def targetChanged(self) -> SignalInstance:
        return self.model.targetChanged

    @property
    def backupsChanged(self) -> SignalInstance:
        return self.model.backupsChanged

    @property
    def verified(self) -> SignalInstance:
        return self.model.verified

    @property
    def options(self) -> TargetOptions:
        return self.model.options

    @property
    def target(self) -> Target | None:
        return self.model.target

    @property
    def snapshot(self) -> Snapshot | None:
        return self.model.snapshot

    @property
    def activity(self) -> Activity:
        return self.model.activity

    @property
    def backups(self) -> list[Any]:
        return self.model.backups

    @property
    def backups_listed(self) -> bool:
        return self.model.backups_listed

    @property
    def last_verify(self) -> Any:
        return self.model.last_verify

    @property
    def watch(self) -> Any:
        return self.model.watch

    @property
    def watch_alive(self) -> bool:
        return self.model.watch_alive

    @property
    def exclusive(self) -> str | None:
        """The write running now (or waiting for a check), if any."""
        return self.gate.writing

    @property
    def verifying(self) -> bool:
        """A check (verification, trigger check) runs now."""
        return self.gate.checking

    def shape(self) -> FlagShape:
        return self.model.shape()

    def badge(self) -> Badge:
        return self.model.badge()

    def link(self) -> Link:
        return self.model.link()

    def flags_known(self) -> bool:
        return self.model.flags_known()

    def shape_snapshot(self) -> Snapshot | None:
        return self.model.shape_snapshot()

    def label(self) -> str:
        return self.model.label()

    def location(self) -> str:
        return self.model.location()

    def refresh(self, reason: str = "") -> None:
        self.model.refresh(reason)

    def list_backups(self) -> None:
        self.model.list_backups()

    def set_options(self, opts: TargetOptions) -> None:
        self.model.set_options(opts)

    def start_watching(self) -> None:
        self.model.start()

    def stop(self) -> None:
        self.model.stop()

    def activity_text(self) -> str:
        names = [t.name for t in self.runner.running if not t.quiet]
        if self.activity.rollback_running:
            step = self.activity.rollback_step
            return "rollback running" + (f": {step}" if step else "")
        if names:
            return "working: " + ", ".join(names)
        pending = self.model.pending()
        if pending:
            return f"reload pending: the page runs the old {', '.join(pending)}"
        if self.activity.verify_failed:
            failed = ", ".join(self.activity.verify_failed_ids)
            return "last verification FAILED" + (f" ({failed})" if failed else "")
        return ""

    def tooltip(self) -> str:
        return state.tooltip(self.shape_snapshot(), self.shape(), self.badge(), activity=self.activity_text(),
                             known=self.flags_known())

    # --- running jobs -------------------------------------------------------------------------------

    def start(self, job: Job) -> Task | None:
        """Take ``job`` through prepare, the gate, the Log and a worker. Returns its task (waiting
        for a check to end, or running), or None when it was refused."""
        record = self.action_log.start(job.name, self.label(), job.source) if job.logged else None
        try:
            job.prepare()
        except Exception as exc:  # a FlagdeckError is the input's fault; anything else a bug: both told
            if not isinstance(exc, FlagdeckError):
                log.exception("%s: prepare failed", job.name)
            self._refuse(job, record, exc)
            return None
        opts = self.options

        how = job.source if job.source in ("tray", "console") else "tray"

        def work(task: Task) -> Any:
            from flagdeck import history

            with history.recorded_as(how):  # the history's "How": the view that asked
                return job.run(resolve(opts) if job.needs_target else None, task)

        task = self.runner.run_task(work, lambda value: self._done(job, record, value),
                                    lambda exc: self._failed(job, record, exc), on_progress=job.reported,
                                    name=job.name, quiet=not job.logged, start=False)
        job.task = task
        if job.kind == "read":
            self.runner.start_task(task)
            return task
        try:
            now = self.gate.admit(job.name, job.kind, lambda: self.runner.start_task(task))
        except Busy as exc:
            self.runner.discard(task)
            self._refuse(job, record, TargetBusy(str(exc)))
            return None
        if not now:
            self.notified.emit(f"{job.name}: waiting", "a verification is running; this starts as soon as it has "
                                                       "finished", "info")
        self._guard(job, record, job.started)
        self.changed.emit()
        return task

    def _refuse(self, job: Job, record: LogRecord | None, exc: BaseException) -> None:
        """Not started (bad input, or another write holds the target): told once, on the Log."""
        why = error_text(exc)
        if record is not None:
            self.action_log.finish(record, "failed", why)
        self.actionFailed.emit(job.name, why)
        self._guard(job, None, lambda: job.refused(why))
        if job.on_error is not None:
            self._guard(job, None, lambda: job.on_error(exc))  # type: ignore[misc]
        self.jobEnded.emit(job)

    def _end(self, job: Job) -> None:
        if job.kind != "read":
            self.gate.release(job.name, job.kind)
        if job.kind == "write":
            self.model.resume("after " + job.name)
        if type(job).__name__ in FLAG_CHANGING:
            self.incident.due("after " + job.name)

    def _done(self, job: Job, record: LogRecord | None, value: Any) -> None:
        self._end(job)
        if record is not None:  # the Log says it ended before the views react (a view that fails re-marks it)
            cancelled = bool(getattr(value, "cancelled", False))
            self.action_log.finish(record, "cancelled" if cancelled else "ok", self._describe(job, value))
        if self._guard(job, record, lambda: job.result(value)) and job.on_done is not None:
            self._guard(job, record, lambda: job.on_done(value))  # type: ignore[misc]
        self.jobEnded.emit(job)
        self.changed.emit()

    def _failed(self, job: Job, record: LogRecord | None, exc: BaseException) -> None:
        self._end(job)
        text = error_text(exc)
        if record is not None:
            self.action_log.finish(record, "failed", text)
        self.actionFailed.emit(job.name, text)
        self._guard(job, None, lambda: job.failed(exc))
        if job.on_error is not None:
            self._guard(job, None, lambda: job.on_error(exc))  # type: ignore[misc]
        self.jobEnded.emit(job)
        self.changed.emit()

    def _describe(self, job: Job, value: Any) -> str:
        try:
            return job.describe(value)
        except Exception:
            log.exception("describing the result of %s", job.name)
            return ""

    def _guard(self, job: Job, record: LogRecord | None, call: Callable[[], Any]) -> bool:
        """Run a job's UI-thread callback; an exception is a bug of the view: logged with its
        traceback, told, and the action (``record``) marked failed. The process goes on."""
        try:
            call()
            return True
        except Exception as exc:
            log.exception("%s: showing its result failed", job.name)
            text = error_text(exc)
            self.internal_errors.append(f"{job.name}: {text}")
            if record is not None:
                self.action_log.finish(record, "failed", text)
            self.notified.emit(f"{job.name} failed", text, "error")
            return False

    # --- the shapes every view uses -----------------------------------------------------------------

    def run(self, action: str, func: Callable[[Target, Task], Any], on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None, *,
            on_progress: Callable[[Any], None] | None = None,
            source: str = "console", exclusive: bool = False, describe: Callable[[Any], str] | None = None,
            quiet: bool = False, needs_target: bool = True) -> Task | None:
        """``func(target, task)`` as a job (:class:`CallJob`): ``exclusive`` makes it a write; a
        refusal reaches ``on_error`` as ``TargetBusy``."""
        return self.start(CallJob(self, action, func, kind="write" if exclusive else "read", describe=describe,
                                  on_progress=on_progress, source=source, logged=not quiet,
                                  needs_target=needs_target, on_done=on_done, on_error=on_error))

    def write_flag(self, name: str | None, value: Any = None, *, reload: bool, source: str, force: bool = False,
                   removals: Sequence[str] = (), on_done: Callable[[Any], None] | None = None,
                   on_error: Callable[[BaseException], None] | None = None) -> Task | None:
        """``flags set NAME=VALUE`` (``name`` None: nothing set) and/or ``flags unset`` of
        ``removals``, ``[--reload]``: one backed-up write (and a reload when live)."""
        from flagdeck.ui.jobs.flags import FlagWriteJob

        return self.start(FlagWriteJob(self, [(name, value)] if name is not None else [], removals, reload=reload,
                                       force=force, source=source, on_done=on_done, on_error=on_error))

    def start_rollback(self, plan: Any, *, source: str, watch: bool = False, thorough: bool = False,
                       note: str | None = None) -> Task | None:
        from flagdeck.ui.jobs.rollback import RollbackJob

        return self.start(RollbackJob(self, plan, watch=watch, thorough=thorough, note=note, source=source))

    def start_verify(self, *, source: str, full: bool = False, window: float = 3.0, watch: bool = True,
                     only: tuple[str, ...] | None = None, on_progress: Callable[[Any], None] | None = None,
                     on_done: Callable[[Any], None] | None = None) -> Task | None:
        """``flagdeck verify``: refused while a write runs; after a running check, it waits."""
        from flagdeck.ui.jobs.checks import VerifyJob

        return self.start(VerifyJob(self, full=full, window=window, watch=watch, only=only, source=source,
                                    on_done=on_done, on_progress=on_progress))
