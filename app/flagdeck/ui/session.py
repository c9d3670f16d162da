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
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from flagdeck import flag_ops, paths
from flagdeck.errors import FlagdeckError, TargetBusy
from flagdeck.targets.resolve import Target, TargetOptions, resolve
from flagdeck.ui import state
from flagdeck.ui.action_log import ActionLog
from flagdeck.ui.state import Activity, Badge, FlagShape, Snapshot
from flagdeck.ui.texts import js, options_label, rollback_summary, short_name, write_summary
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
        self._refreshing = False
        self._again = False
        self._pending_reload = False
        self.last_error: str | None = None
        self.backups: list[Any] = []  # the target's backups, newest first (listed with each read)
        self.last_verify: Any = None  # the newest VerifyReport this process made

        self._revalidate = QTimer(self, interval=REVALIDATE_MS)
        self._revalidate.timeout.connect(self._tick)
        self._retry = QTimer(self, singleShot=True, interval=RETRY_FIRST_MS)
        self._retry.timeout.connect(lambda: self.refresh("retry"))
        self._soon = QTimer(self, singleShot=True, interval=AFTER_LOSS_MS)
        self._soon.timeout.connect(lambda: self.refresh("watch lost"))
        self._reports = QFileSystemWatcher(self)
        self._reports.directoryChanged.connect(lambda _p: self.refresh("verification saved"))
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
        return state.tooltip(self.shape_snapshot(), self.shape(), self.badge(), activity=self.activity_text())

    def shape_snapshot(self) -> Snapshot | None:
        if self.snapshot is None:
            return None
        return replace(self.snapshot, watched=self.watch.kind if self.watch_alive and self.watch else None,
                       pending_reload=self._pending_reload)

    @property
    def exclusive(self) -> str | None:
        """The write action running now (rollback, restore, launch...), if any."""
        return self._exclusive

    # --- the target ---------------------------------------------------------------------------------

    def set_options(self, opts: TargetOptions) -> None:
        self.options = opts
        self.target = None
        self.snapshot = None
        self.backups = []
        self.last_verify = None
        self._pending_reload = False
        self.activity.verify_failed = False
        self.activity.verify_failed_ids = ()
        self._set_watch(None)
        self.targetChanged.emit()
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
        """Read the target's flags (on a worker); coalesced while a read or a write runs."""
        if self._refreshing or self._exclusive:
            self._again = True
            return
        self._refreshing = True
        self._retry.stop()
        opts = self.options

        def work(task: Task) -> tuple[Target, Any, dict[str, Any] | None, list[Any]]:
            from flagdeck.backups import BackupStore
            from flagdeck.verify.runner import latest_report

            target = resolve(opts)
            try:
                status: Any = flag_ops.status(target)
            except FlagdeckError as exc:
                status = exc
            page = read_page_flags(target, status) if isinstance(status, flag_ops.StatusResult) else (None, "")
            return target, (status, page), latest_report(target), BackupStore().list(target.slug)

        log.debug("refresh (%s)", reason)
        self.runner.run_task(work, lambda r: self._read(opts, r), lambda e: self._read_failed(opts, e),
                             name="read flags", quiet=True)

    def _finish_refresh(self) -> None:
        self._refreshing = False
        self.changed.emit()
        if self._again and not self._exclusive:
            self._again = False
            self.refresh("again")

    def _read(self, opts: TargetOptions, result: tuple[Target, Any, dict[str, Any] | None, list[Any]]) -> None:
        target, (status, page), report, self.backups = result
        if opts != self.options:  # another target was picked meanwhile
            self._refreshing = False
            self.refresh("target changed")
            return
        self.target = target
        now = datetime.now(UTC)
        if isinstance(status, BaseException):
            self._read_failed(opts, status, target=target)
            return
        self.snapshot = Snapshot(target.name, status, checked_at=now, page_flags=page[0], page_source=page[1])
        self.last_error = None
        if report is not None and "results" in report:  # a verification report (not a trigger board)
            self.activity.verify_failed = bool(report.get("failed"))
            self.activity.verify_failed_ids = tuple(report.get("failed") or ())
        self._ensure_watch(target, status)
        if status.mode == "live" and not isinstance(self.watch, DevToolsWatch):
            # live, but no page of the origin to watch (starting, or closing): look again soon
            self._retry.start()
            self._retry.setInterval(min(RETRY_MS, self._retry.interval() * 2))
        else:
            self._retry.setInterval(RETRY_FIRST_MS)
        self._finish_refresh()

    def _read_failed(self, opts: TargetOptions, exc: BaseException, target: Target | None = None) -> None:
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
        self._retry.start()
        self._retry.setInterval(min(RETRY_MS, self._retry.interval() * 2))  # for the next failure
        self._finish_refresh()

    def _ensure_watch(self, target: Target, status: flag_ops.StatusResult) -> None:
        # no stored key yet: the app's only origin is where it will appear (as verify picks its page)
        origin = status.origin or target.origin or (status.origins[0] if len(status.origins) == 1 else None)
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
        reads pause meanwhile). Errors reach ``on_error`` (and ``actionFailed``) as exceptions.
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
        self.activity.running.append(action)

        def work(task: Task) -> Any:
            return func(resolve(opts) if needs_target else None, task)  # type: ignore[arg-type]

        def end() -> None:
            if action in self.activity.running:
                self.activity.running.remove(action)
            if exclusive:
                self._exclusive = None
                self.refresh("after " + action)

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

        self.changed.emit()
        return self.runner.run_task(work, done, failed, on_progress=on_progress, name=action, quiet=quiet)

    # --- the flows every view shares ----------------------------------------------------------------

    def write_flag(self, name: str, value: Any, *, reload: bool, source: str, force: bool = False,
                   on_done: Callable[[Any], None] | None = None,
                   on_error: Callable[[BaseException], None] | None = None) -> Task | None:
        """``flags set NAME=VALUE [--reload]``: one backed-up write (and a reload when live)."""
        text = f"Set {name} = {js(value)}"

        def done(result: flag_ops.WriteResult) -> None:
            if result.mode == "live" and result.changed and not result.reloaded:
                self._pending_reload = True
            elif result.reloaded:
                self._pending_reload = False
            self.notified.emit(f"{name} set", write_summary(result), "info")
            if on_done is not None:
                on_done(result)

        def failed(exc: BaseException) -> None:
            self.notified.emit(f"Could not set {name}", error_text(exc), "error")
            if on_error is not None:
                on_error(exc)

        return self.run(text, lambda target, _t: flag_ops.write_flags(
            target, assignments=[(name, value)], reload=reload, reason="flags set", note=f"from the {source}"),
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
        """``flagdeck verify``: the runbook's checks, saved; the tray badge follows the outcome."""
        from flagdeck.verify.runner import verify

        def work(target: Target, task: Task) -> Any:
            return verify(target, full=full, window=window, watch=watch, only=only,
                          progress=lambda cid, res: task.report((cid, res)))

        def done(report: Any) -> None:
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
            self.notified.emit("Verification did not run", error_text(exc), "error")

        return self.run("Verify", work, done, failed, on_progress=on_progress, source=source,
                        describe=lambda r: "FAILED: " + ", ".join(c.id for c in r.failed) if r.failed else "OK")

    def _verified(self, report: Any) -> None:
        self.last_verify = report
        self.activity.verify_failed = bool(report.failed)
        self.activity.verify_failed_ids = tuple(r.id for r in report.failed)
        self.verified.emit(report)
        self.changed.emit()


# --- reads ------------------------------------------------------------------------------------------


def read_page_flags(target: Target, status: flag_ops.StatusResult) -> tuple[dict[str, Any] | None, str]:
    """Live: the flags the running page uses (``PageProbe.page_flags``, what ``verify``'s flag check
    reads), on a short session past the same gate; (None, why) when there is no page to ask."""
    if status.mode != "live" or target.debug_port is None:
        return None, ""
    origin = status.origin or target.origin or (status.origins[0] if len(status.origins) == 1 else None)
    if origin is None:
        return None, "no page origin"
    from flagdeck.probe.page import PageProbe
    from flagdeck.storage.live_store import connect_live

    try:
        with connect_live(target.debug_port, leveldb_dir=target.leveldb_dir,
                          process_names=target.process_names) as live:
            return PageProbe(live.page_session(origin), origin).page_flags(target.storage_key)
    except FlagdeckError as exc:
        return None, str(exc)
