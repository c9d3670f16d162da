"""The UI's model of one target: its last read, the watch that keeps it true, the retry backoff,
the backups cache and the verification badge.

The state shown comes only from reads confirmed by a watch (``watch.py``); when the watch dies,
the read is old or it failed, the flag is *unknown*. Reads run on the worker pool, one at a time
(a read asked for meanwhile runs once after it), and pause while a write runs (:attr:`paused`):
the write's end reads again. Nothing here starts an action; actions are jobs (``jobs/``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from flagdeck import flag_ops, paths
from flagdeck.errors import FlagdeckError
from flagdeck.targets.resolve import Target, TargetOptions, resolve
from flagdeck.ui import state
from flagdeck.ui.state import Activity, Badge, FlagShape, Link, Snapshot
from flagdeck.ui.texts import options_label, short_name
from flagdeck.ui.watch import DevToolsWatch, FileWatch
from flagdeck.ui.workers import Task, TaskRunner, error_text

log = logging.getLogger("flagdeck.ui.session")

REVALIDATE_MS = 60_000  # coarse: re-draws staleness, re-reads a read older than state.STALE_AFTER_S
RETRY_FIRST_MS = 1_000  # a read failed or saw no page: look again soon (an exiting app holds on a moment)...
RETRY_MS = 15_000  # ...doubling up to this while it keeps failing (target not found, unreadable)
AFTER_LOSS_MS = 700  # a watch died: give the app a moment to let go of its storage, then read


class TargetModel(QObject):
    changed = Signal()  # snapshot, watch or badge changed
    targetChanged = Signal()  # another target was picked
    backupsChanged = Signal()  # ``backups`` was listed again
    verified = Signal(object)  # VerifyReport (made here or read back)

    def __init__(self, runner: TaskRunner, options: TargetOptions, *, paused: Callable[[], bool] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.options = options
        self.paused = paused or (lambda: False)  # a write runs: reads wait for its end
        self.target: Target | None = None
        self.snapshot: Snapshot | None = None
        self.activity = Activity()
        self.watch: FileWatch | DevToolsWatch | None = None
        self.last_error: str | None = None
        self.pending_reload = False  # live: this process wrote without a reload; cleared at the next page load
        # The target's backups, newest first: listed when a view needs them (list_backups) and after
        # every write, never on the read path.
        self.backups: list[Any] = []
        self.backups_listed = False  # False: ``backups`` is not known yet (not "none")
        self.last_verify: Any = None  # the newest VerifyReport this process made
        self._refreshing = False
        self._again = False
        self._reading: set[str] = set()  # quiet reads running now (_read_once), and those asked again
        self._read_again: set[str] = set()

        self._revalidate = QTimer(self, interval=REVALIDATE_MS)
        self._revalidate.timeout.connect(self._tick)
        self._retry_ms = RETRY_FIRST_MS  # the delay of the next retry (doubles while reads keep failing)
        self._retry = QTimer(self, singleShot=True)
        self._retry.timeout.connect(lambda: self.refresh("retry"))
        self._soon = QTimer(self, singleShot=True, interval=AFTER_LOSS_MS)
        self._soon.timeout.connect(lambda: self.refresh("watch lost"))
        self._reports = QFileSystemWatcher(self)  # a verification saved (by any flagdeck): the badge follows
        self._reports.directoryChanged.connect(lambda _p: self.read_report())

    # --- lifetime -----------------------------------------------------------------------------------

    def start(self) -> None:
        self._reports.addPath(str(paths.sub_dir("verify")))
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

    def link(self) -> Link:
        """How the app is reached: live over DevTools, or its disk (closed, or no debug port)."""
        return state.link_of(self.shape_snapshot())

    def badge(self) -> Badge:
        return state.badge(rollback_running=self.activity.rollback_running, busy=self.runner.busy,
                           verify_failed=self.activity.verify_failed, pending_reload=bool(self.pending()))

    def pending(self) -> list[str]:
        """Flags written but not in effect in the running page yet (it has not reloaded since)."""
        return state.pending_flags(self.shape_snapshot()) if self.flags_known() else []

    def shape_snapshot(self) -> Snapshot | None:
        """The last read, with how it is watched and whether a reload is pending."""
        if self.snapshot is None:
            return None
        return replace(self.snapshot, watched=self.watch.kind if self.watch_alive and self.watch else None,
                       pending_reload=self.pending_reload)

    def label(self) -> str:
        """The target's short name: a preset's name, or the last part of a folder's path."""
        return short_name(self.target.name) if self.target else options_label(self.options)

    def location(self) -> str:
        """Where the target's storage is (the full path of a folder target, the preset's profile)."""
        if self.target is not None:
            return str(self.target.user_data_dir or self.target.leveldb_dir)
        opts = self.options
        return str(opts.user_data_dir or opts.leveldb or f"preset {opts.target or 'demo'}")

    # --- the target ---------------------------------------------------------------------------------

    def set_options(self, opts: TargetOptions) -> None:
        self.options = opts
        self.target = None
        self.snapshot = None
        self.backups = []
        self.backups_listed = False
        self.last_verify = None
        self.pending_reload = False
        self._retry_ms = RETRY_FIRST_MS
        self.activity.verify_failed = False
        self.activity.verify_failed_ids = ()
        self._set_watch(None)
        self.targetChanged.emit()
        self.backupsChanged.emit()
        self.changed.emit()
        self.refresh("target changed")

    # --- reading ------------------------------------------------------------------------------------

    def refresh(self, reason: str = "") -> None:
        """Read the target's flags (on a worker); coalesced while a read or a write runs.

        One ``flag_ops.status`` per read: the stored flags and, live, what the page runs (on the
        same connection). Backups and verification reports are not read here (see
        :meth:`list_backups`, :meth:`read_report`).
        """
        if self._refreshing or self.paused():
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

    def resume(self, reason: str) -> None:
        """A write ended: read again (its backup too)."""
        self._again = False
        self.refresh(reason)
        self.list_backups()

    def _finish_refresh(self) -> None:
        self._refreshing = False
        self.changed.emit()
        if self._again and not self.paused():
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
            self.read_report()  # the badge starts from the last saved verification
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

    def list_backups(self) -> None:
        """List the target's backups (a worker; coalesced): a view that shows them asks, and every
        write ends with it. ``backupsChanged`` follows."""
        opts, known = self.options, self.target

        def work(_task: Task) -> list[Any]:
            from flagdeck.backups import BackupStore

            return BackupStore().list((known or resolve(opts)).slug)

        def apply(backups: list[Any]) -> None:
            self.backups, self.backups_listed = backups, True
            self.backupsChanged.emit()

        self._read_once("list backups", work, apply, again=self.list_backups)

    def read_report(self) -> None:
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

        self._read_once("read verification", work, apply, again=self.read_report)

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

    # --- what the jobs tell the model ---------------------------------------------------------------

    def wrote(self, result: flag_ops.WriteResult) -> None:
        """A flag write finished: live without a reload, the page runs the old value until it loads."""
        if result.mode == "live" and result.changed and not result.reloaded:
            self.pending_reload = True
        elif result.reloaded:
            self.pending_reload = False
        self.changed.emit()

    def set_verified(self, report: Any) -> None:
        self.last_verify = report
        self.activity.verify_failed = bool(report.failed)
        self.activity.verify_failed_ids = tuple(r.id for r in report.failed)
        self.verified.emit(report)
        self.changed.emit()

    # --- watching -----------------------------------------------------------------------------------

    def _ensure_watch(self, target: Target, status: flag_ops.StatusResult) -> None:
        origin = status.page_origin  # the key's origin, else the app's only page (flag_ops.status)
        if status.mode == "live" and origin:
            current = self.watch
            same = (isinstance(current, DevToolsWatch) and current.port == target.debug_port
                    and current.origin == origin and not (current.session is not None and current.session.closed))
            if not same:
                self._set_watch(DevToolsWatch(target, origin, self.runner))
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
        if self.pending_reload:
            self.pending_reload = False
            self.changed.emit()
        self.refresh("page loaded")

    def _tick(self) -> None:
        snap = self.snapshot
        if snap is not None and snap.checked_at is not None:
            age = (datetime.now(UTC) - snap.checked_at).total_seconds()
            if age > state.STALE_AFTER_S:
                self.refresh("revalidate")
        self.changed.emit()
