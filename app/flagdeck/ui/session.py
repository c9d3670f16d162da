"""The UI's model of one target: its last read, the watch that keeps it true, what runs on it.

Shared by the tray and the console. Reads and actions call the core on the worker pool
(:meth:`TargetSession.run` resolves the target there, fresh, so a relaunched app's new debug port
is used). The state shown comes only from reads confirmed by a watch (``watch.py``); when the
watch dies, the read is old or it failed, the flag is *unknown*.

Signals let every view follow the same events: a rollback started from the tray shows its steps
live on the console's Rollback page, a verification from either updates the Verify page and the
tray badge.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from flagdeck import flag_ops, paths
from flagdeck.errors import FlagdeckError, TargetBusy
from flagdeck.storage.flags import js_repr as js
from flagdeck.targets.resolve import Target, TargetOptions, resolve
from flagdeck.ui import state
from flagdeck.ui.action_log import ActionLog
from flagdeck.ui.state import Activity, Badge, FlagShape, Snapshot
from flagdeck.ui.texts import options_label, rollback_summary, short_name, write_summary
from flagdeck.ui.watch import DevToolsWatch, FileWatch
from flagdeck.ui.workers import Task, TaskRunner, error_text

log = logging.getLogger("flagdeck.ui.session")

REVALIDATE_MS = 60_000  # coarse: re-draws staleness, re-reads a read older than state.STALE_AFTER_S
RETRY_FIRST_MS = 1_000  # a read failed or saw no page: look again soon (an exiting app holds on a moment)...
RETRY_MS = 15_000  # ...doubling up to this while it keeps failing (target not found, unreadable)
AFTER_LOSS_MS = 700  # a watch died: give the app a moment to let go of its storage, then read


class TargetSession(QObject):
    changed = Signal()  # snapshot or activity changed
    targetChanged = Signal()  # (another target was picked)
    backupsChanged = Signal()  # ``backups`` was listed again
    notified = Signal(str, str, str)  # title, message, level
    rollbackStarted = Signal(object)  # RollbackPlan
    rollbackProgress = Signal(object)  # StepResult
    rollbackFinished = Signal(object)  # RollbackResult | BaseException
    verified = Signal(object)  # VerifyReport
    actionFailed = Signal(str, str)  # action, one-line error

    def __init__(self, runner: TaskRunner, log_: ActionLog, options: TargetOptions,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.action_log = log_
        self.options = options
        self.target: Target | None = None
        self.snapshot: Snapshot | None = None
        self.activity = Activity()
        self.watch: FileWatch | DevToolsWatch | None = None
        self._exclusive: str | None = None
        self._verifying = False
        self._after_verify: Task | None = None  # the write waiting for the running verification
        self._refreshing = False
        self._again = False
        self._pending_reload = False
        self.last_error: str | None = None
        # The target's backups, newest first: listed when a view needs them (list_backups) and after
        # every exclusive action, never on the read path.
        self.backups: list[Any] = []
        self.backups_listed = False  # False: ``backups`` is not known yet (not "none")
        self._reading: set[str] = set()  # quiet reads running now (_read_once), and those asked again
        self._read_again: set[str] = set()
        self.last_verify: Any = None  # the newest VerifyReport this process made

        self._revalidate = QTimer(self, interval=REVALIDATE_MS)
        self._revalidate.timeout.connect(self._tick)
        self._retry_ms = RETRY_FIRST_MS  # the delay of the next retry (doubles while reads keep failing)
        self._retry = QTimer(self, singleShot=True)
        self._retry.timeout.connect(lambda: self.refresh("retry"))
        self._soon = QTimer(self, singleShot=True, interval=AFTER_LOSS_MS)
        self._soon.timeout.connect(lambda: self.refresh("watch lost"))
        self._reports = QFileSystemWatcher(self)  # a verification saved (by any flagdeck): the badge follows
        self._reports.directoryChanged.connect(lambda _p: self._read_report())
        runner.busyChanged.connect(lambda _b: self.changed.emit())

    # --- lifetime -----------------------------------------------------------------------------------

    def start(self) -> None:
        reports = paths.sub_dir("verify")
        self._reports.addPath(str(reports))
        self._revalidate.start()
        self.refresh("start")

    def stop(self) -> None:
        self._revalidate.stop()
        self._retry.stop()
        self._soon.stop()
        self._set_watch(None)

    # --- what to draw -------------------------------------------------------------------------------

    @property
    def watch_alive(self) -> bool:
        return self.watch is not None and self.watch.alive

    def shape(self, now: datetime | None = None) -> FlagShape:
        return state.flag_shape(self.snapshot, now or datetime.now(UTC), watch_alive=self.watch_alive)

    def flags_known(self) -> bool:
        """The last read's flags may be shown and toggled (``state.flags_known``)."""
        return state.flags_known(self.snapshot, datetime.now(UTC), watch_alive=self.watch_alive)

    def badge(self) -> Badge:
        return state.badge(rollback_running=self.activity.rollback_running, busy=self.runner.busy,
                           verify_failed=self.activity.verify_failed)

    def activity_text(self) -> str:
        names = [t.name for t in self.runner.running if not t.quiet]
        if self.activity.rollback_running:
            step = self.activity.rollback_step
            return "rollback running" + (f": {step}" if step else "")
        if names:
            return "working: " + ", ".join(names)
        if self.activity.verify_failed:
            failed = ", ".join(self.activity.verify_failed_ids)
            return "last verification FAILED" + (f" ({failed})" if failed else "")
        return ""

    def tooltip(self) -> str:
        return state.tooltip(self.shape_snapshot(), self.shape(), self.badge(), activity=self.activity_text(),
                             known=self.flags_known())

    def shape_snapshot(self) -> Snapshot | None:
        if self.snapshot is None:
            return None
        return replace(self.snapshot, watched=self.watch.kind if self.watch_alive and self.watch else None,
                       pending_reload=self._pending_reload)

    @property
    def exclusive(self) -> str | None:
        """The write action running now (rollback, restore, launch...), if any."""
        return self._exclusive

    @property
    def verifying(self) -> bool:
        """A verification started here (tray or console) is running."""
        return self._verifying

    # --- the target ---------------------------------------------------------------------------------

    def set_options(self, opts: TargetOptions) -> None:
        self.options = opts
        self.target = None
        self.snapshot = None
        self.backups = []
        self.backups_listed = False
        self.last_verify = None
        self._pending_reload = False
        self._retry_ms = RETRY_FIRST_MS
        self.activity.verify_failed = False
        self.activity.verify_failed_ids = ()
        self._set_watch(None)
        self.targetChanged.emit()
        self.backupsChanged.emit()
        self.changed.emit()
        self.refresh("target changed")

    def label(self) -> str:
        """The target's short name: a preset's name, or the last part of a folder's path."""
        return short_name(self.target.name) if self.target else options_label(self.options)

    def location(self) -> str:
        """Where the target's storage is (the full path of a folder target, the preset's profile)."""
        if self.target is not None:
            return str(self.target.user_data_dir or self.target.leveldb_dir)
        opts = self.options
        return str(opts.user_data_dir or opts.leveldb or f"preset {opts.target or 'demo'}")

    # --- reading and watching -----------------------------------------------------------------------

    def refresh(self, reason: str = "") -> None:
        """Read the target's flags (on a worker); coalesced while a read or a write runs.

        One ``flag_ops.status`` per read: the stored flags and, live, what the page runs (on the
        same connection). Backups and verification reports are not read here (see
        :meth:`list_backups`, :meth:`_read_report`).
        """
        if self._refreshing or self._exclusive:
            self._again = True
            return
        self._refreshing = True
        self._retry.stop()
        opts = self.options

        def work(task: Task) -> tuple[Target, flag_ops.StatusResult | FlagdeckError]:
            target = resolve(opts)
            try:
                return target, flag_ops.status(target)
            except FlagdeckError as exc:
                return target, exc

        log.debug("refresh (%s)", reason)
        self.runner.run_task(work, lambda r: self._read(opts, r), lambda e: self._read_failed(opts, e),
                             name="read flags", quiet=True)

    def _finish_refresh(self) -> None:
        self._refreshing = False
        self.changed.emit()
        if self._again and not self._exclusive:
            self._again = False
            self.refresh("again")

    def _outdated(self, opts: TargetOptions) -> bool:
        """A read of a target that is no longer the one shown: dropped, and the new one read."""
        if opts == self.options:
            return False
        self._refreshing = False
        self._again = False
        self.refresh("target changed")
        return True

    def _read(self, opts: TargetOptions, result: tuple[Target, flag_ops.StatusResult | FlagdeckError]) -> None:
        if self._outdated(opts):
            return
        target, status = result
        first = self.target is None
        self.target = target
        if first:
            self._read_report()  # the badge starts from the last saved verification
        if isinstance(status, BaseException):
            self._read_failed(opts, status, target=target)
            return
        self.snapshot = Snapshot(target.name, status, checked_at=datetime.now(UTC))
        self.last_error = None
        self._ensure_watch(target, status)
        if status.mode == "live" and not isinstance(self.watch, DevToolsWatch):
            self._retry_soon()  # live, but no page of the origin to watch (starting, or closing)
        else:
            self._retry_ms = RETRY_FIRST_MS
        self._finish_refresh()

    def _read_failed(self, opts: TargetOptions, exc: BaseException, target: Target | None = None) -> None:
        if self._outdated(opts):
            return
        name = target.name if target else options_label(opts)
        self.snapshot = Snapshot.failed(name, exc, datetime.now(UTC))
        self.last_error = error_text(exc)
        current = self.watch
        if target is not None and target.leveldb_dir.is_dir():
            # the folder is there (a corrupt or unreadable read): a change on disk wakes us
            if not (isinstance(current, FileWatch) and current.leveldb_dir == target.leveldb_dir):
                self._set_watch(FileWatch(target))
        else:
            self._set_watch(None)
        self._retry_soon()
        self._finish_refresh()

    def _retry_soon(self) -> None:
        """Read again after the current delay; the next failure waits twice as long (up to RETRY_MS)."""
        self._retry.start(self._retry_ms)
        self._retry_ms = min(RETRY_MS, self._retry_ms * 2)

    def _ensure_watch(self, target: Target, status: flag_ops.StatusResult) -> None:
        origin = status.page_origin  # the key's origin, else the app's only page (flag_ops.status)
        if status.mode == "live" and origin:
            current = self.watch
            same = (isinstance(current, DevToolsWatch) and current.port == target.debug_port
                    and current.origin == origin and not (current.session is not None and current.session.closed))
            if not same:
                watch = DevToolsWatch(target, origin, self.runner)
                self._set_watch(watch)
            return
        current = self.watch
        if not (isinstance(current, FileWatch) and current.leveldb_dir == target.leveldb_dir and current.alive):
            self._set_watch(FileWatch(target))

    def list_backups(self) -> None:
        """List the target's backups (a worker; coalesced): a view that shows them asks, and every
        exclusive action ends with it. ``backupsChanged`` follows."""
        opts, known = self.options, self.target

        def work(_task: Task) -> list[Any]:
            from flagdeck.backups import BackupStore

            return BackupStore().list((known or resolve(opts)).slug)

        def apply(backups: list[Any]) -> None:
            self.backups, self.backups_listed = backups, True
            self.backupsChanged.emit()

        self._read_once("list backups", work, apply, again=self.list_backups)

    def _read_report(self) -> None:
        """The newest saved verification of the target (``latest_report``: not trigger boards) sets
        the failed badge; read when the target is first read and when ``verify/`` changes."""
        target = self.target
        if target is None:
            return

        def work(_task: Task) -> dict[str, Any] | None:
            from flagdeck.verify.runner import latest_report

            return latest_report(target)

        def apply(report: dict[str, Any] | None) -> None:
            if report is not None:
                self.activity.verify_failed = bool(report.get("failed"))
                self.activity.verify_failed_ids = tuple(report.get("failed") or ())
                self.changed.emit()

        self._read_once("read verification", work, apply, again=self._read_report)

    def _read_once(self, name: str, work: Callable[[Task], Any], apply: Callable[[Any], None], *,
                   again: Callable[[], None]) -> None:
        """Run a quiet read on a worker, one of each ``name`` at a time: asked again while it runs,
        ``again`` runs once after it. ``apply`` gets the result unless another target was picked
        meanwhile; a failed read is dropped (the next ask reads again)."""
        if name in self._reading:
            self._read_again.add(name)
            return
        self._reading.add(name)
        opts = self.options

        def done(result: Any) -> None:
            if opts == self.options:
                apply(result)
            finished()

        def finished(_exc: BaseException | None = None) -> None:
            self._reading.discard(name)
            if name in self._read_again:
                self._read_again.discard(name)
                again()

        self.runner.run_task(work, done, finished, name=name, quiet=True)

    def _set_watch(self, watch: FileWatch | DevToolsWatch | None) -> None:
        old, self.watch = self.watch, watch
        if old is not None:
            old.close()
            old.deleteLater()
        if watch is not None:
            watch.changed.connect(self._watch_changed)
            watch.lost.connect(self._watch_lost)
            if isinstance(watch, DevToolsWatch):
                watch.reloaded.connect(self._page_reloaded)

    def _watch_changed(self, reason: str) -> None:
        if self.sender() is self.watch:
            self.changed.emit()  # e.g. the watch just opened: the read it confirms is current
            self.refresh(reason)

    def _watch_lost(self, reason: str) -> None:
        if self.sender() is not self.watch:
            return
        log.info("watch lost: %s", reason)
        self._set_watch(None)
        self.changed.emit()  # no watch: the state is unknown until the next read
        self._soon.start()

    def _page_reloaded(self) -> None:
        if self._pending_reload:
            self._pending_reload = False
            self.changed.emit()
        self.refresh("page loaded")

    def _tick(self) -> None:
        snap = self.snapshot
        if snap is not None and snap.checked_at is not None:
            age = (datetime.now(UTC) - snap.checked_at).total_seconds()
            if age > state.STALE_AFTER_S:
                self.refresh("revalidate")
        self.changed.emit()

    # --- running actions ----------------------------------------------------------------------------

    def run(self, action: str, func: Callable[[Target, Task], Any], on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None, *,
            on_progress: Callable[[Any], None] | None = None,
            source: str = "console", exclusive: bool = False, describe: Callable[[Any], str] | None = None,
            quiet: bool = False, needs_target: bool = True) -> Task | None:
        """Run ``func(target, task)`` on a worker, logged; the target is resolved there, fresh
        (``needs_target=False``: ``func`` gets None, for work that makes its own target).

        ``exclusive``: a write that must not overlap another (refused with a message while one runs;
        reads pause meanwhile) nor a verification (it waits for a running one to finish: the checks
        would record the write's flip and reload as the app's failure). Errors reach ``on_error``
        (and ``actionFailed``) as exceptions.
        """
        if exclusive and self._exclusive:
            message = f"{self._exclusive} is running; wait for it to finish"
            self.actionFailed.emit(action, message)
            if on_error is not None:
                on_error(TargetBusy(message))
            return None
        opts = self.options
        record = None if quiet else self.action_log.start(action, self.label(), source)
        if exclusive:
            self._exclusive = action

        def work(task: Task) -> Any:
            return func(resolve(opts) if needs_target else None, task)  # type: ignore[arg-type]

        def end() -> None:
            if exclusive:
                self._exclusive = None
                self.refresh("after " + action)
                self.list_backups()  # a write takes a backup (a restore two)

        def done(result: Any) -> None:
            end()
            cancelled = bool(getattr(result, "cancelled", False))
            text = describe(result) if describe else ""
            if record is not None:
                self.action_log.finish(record, "cancelled" if cancelled else "ok", text)
            if on_done is not None:
                on_done(result)
            self.changed.emit()

        def failed(exc: BaseException) -> None:
            end()
            text = error_text(exc)
            if record is not None:
                self.action_log.finish(record, "failed", text)
            self.actionFailed.emit(action, text)
            if on_error is not None:
                on_error(exc)
            self.changed.emit()

        waits = exclusive and self._verifying
        task = self.runner.run_task(work, done, failed, on_progress=on_progress, name=action, quiet=quiet,
                                    start=not waits)
        if waits:
            self._after_verify = task
            self.notified.emit(f"{action}: waiting", "a verification is running; this starts as soon as it has "
                                                    "finished", "info")
        self.changed.emit()
        return task

    def _verify_ended(self) -> None:
        """A verification started here has finished: the write that waited for it starts now."""
        self._verifying = False
        task, self._after_verify = self._after_verify, None
        if task is not None:
            self.runner.start_task(task)

    # --- the flows every view shares ----------------------------------------------------------------

    def write_flag(self, name: str | None, value: Any = None, *, reload: bool, source: str, force: bool = False,
                   removals: Sequence[str] = (), on_done: Callable[[Any], None] | None = None,
                   on_error: Callable[[BaseException], None] | None = None) -> Task | None:
        """``flags set NAME=VALUE`` (``name`` None: nothing set) and/or ``flags unset`` of
        ``removals``, ``[--reload]``: one backed-up write (and a reload when live). A live write
        without a reload marks the page as not reloaded until its next load."""
        assignments = [(name, value)] if name is not None else []
        removed = list(removals)
        parts = [f"Set {n} = {js(v)}" for n, v in assignments] + ([f"Unset {', '.join(removed)}"] if removed else [])
        names = ", ".join([n for n, _ in assignments] + removed)
        verb = "set" if not removed else "unset" if not assignments else "changed"

        def done(result: flag_ops.WriteResult) -> None:
            if result.mode == "live" and result.changed and not result.reloaded:
                self._pending_reload = True
            elif result.reloaded:
                self._pending_reload = False
            if result.durable_ok:
                self.notified.emit(f"{names} {verb}", write_summary(result), "info")
            else:  # in the running app but not on its disk: a crash now would undo it
                self.notified.emit(f"{names} {verb}, NOT SAVED to disk", write_summary(result), "error")
            if on_done is not None:
                on_done(result)

        def failed(exc: BaseException) -> None:
            self.notified.emit(f"Could not {'set' if verb == 'changed' else verb} {names}", error_text(exc), "error")
            if on_error is not None:
                on_error(exc)

        return self.run("; ".join(parts), lambda target, _t: flag_ops.write_flags(
            target, assignments=assignments, removals=removed, force=force, reload=reload,
            reason="flags unset" if verb == "unset" else "flags set", note=f"from the {source}"),
            done, failed, source=source, exclusive=True, describe=write_summary)

    def start_rollback(self, plan: Any, *, source: str, watch: bool = False, thorough: bool = False,
                       note: str | None = None) -> Task | None:
        """Run a prepared Level-1 plan: steps reported live (``rollbackProgress``), notified at the end."""
        from flagdeck.rollback.run import run as run_rollback

        def work(_target: Target, task: Task) -> Any:
            return run_rollback(plan, progress=task.report, watch=watch, thorough=thorough,
                                note=note or f"from the flagdeck {source}")

        def progress(step: Any) -> None:
            self.activity.rollback_step = step.title if step.status == "running" else ""
            self.rollbackProgress.emit(step)
            self.changed.emit()

        def done(result: Any) -> None:
            self.activity.rollback_running = False
            self.activity.rollback_step = ""
            if result.verify is not None:
                self._verified(result.verify)
            title, message, level = rollback_summary(result)
            self.notified.emit(title, message, level)
            self.rollbackFinished.emit(result)

        def failed(exc: BaseException) -> None:
            self.activity.rollback_running = False
            self.activity.rollback_step = ""
            self.notified.emit("Rollback did not run", error_text(exc), "error")
            self.rollbackFinished.emit(exc)

        if self._exclusive:
            self.actionFailed.emit("Emergency rollback", f"{self._exclusive} is running; wait for it to finish")
            self.notified.emit("Rollback not started", f"{self._exclusive} is running; wait for it to finish",
                               "error")
            return None
        self.activity.rollback_running = True
        self.rollbackStarted.emit(plan)
        self.notified.emit("Rollback started", f"{plan.target.name}: {plan.flag} → false ({plan.mode})", "info")
        task = self.run("Emergency rollback", work, done, failed, on_progress=progress, source=source,
                        exclusive=True, describe=lambda r: f"{r.outcome} in {r.seconds:.1f} s")
        if task is None:
            self.activity.rollback_running = False
        return task

    def start_verify(self, *, source: str, full: bool = False, window: float = 3.0, watch: bool = True,
                     only: tuple[str, ...] | None = None, on_progress: Callable[[Any], None] | None = None,
                     on_done: Callable[[Any], None] | None = None) -> Task | None:
        """``flagdeck verify``: the runbook's checks, saved; the tray badge follows the outcome.

        Refused while a write runs (a rollback, restore, launch or comparison flips the flag or
        reloads the app under the checks: they would record a false failure) or another
        verification runs; a write asked for meanwhile waits for it (:meth:`run`)."""
        from flagdeck.verify.runner import verify

        if self._exclusive or self._verifying:
            why = (f"{self._exclusive} is running; verify when it has finished" if self._exclusive
                   else "a verification is running already")
            self.actionFailed.emit("Verify", why)
            self.notified.emit("Verification not started", why, "warning")
            return None

        def work(target: Target, task: Task) -> Any:
            return verify(target, full=full, window=window, watch=watch, only=only,
                          progress=lambda cid, res: task.report((cid, res)))

        def done(report: Any) -> None:
            self._verify_ended()
            self._verified(report)
            if report.failed:
                self.notified.emit("Verification FAILED", ", ".join(f"{r.id}: {r.detail}" for r in report.failed)[:300],
                                   "error")
            else:
                manual = f"; {len(report.manual)} check(s) need a person" if report.manual else ""
                self.notified.emit("Verification passed", f"{report.target} ({report.mode}){manual}", "info")
            if on_done is not None:
                on_done(report)

        def failed(exc: BaseException) -> None:
            self._verify_ended()
            self.notified.emit("Verification did not run", error_text(exc), "error")

        self._verifying = True
        return self.run("Verify", work, done, failed, on_progress=on_progress, source=source,
                        describe=lambda r: "FAILED: " + ", ".join(c.id for c in r.failed) if r.failed else "OK")

    def _verified(self, report: Any) -> None:
        self.last_verify = report
        self.activity.verify_failed = bool(report.failed)
        self.activity.verify_failed_ids = tuple(r.id for r in report.failed)
        self.verified.emit(report)
        self.changed.emit()
