"""Run core work off the UI thread: ``runner.run_task(func, on_done, on_error)`` over a QThreadPool.

As Picard's ``run_task``: ``func(task)`` runs on a pool thread; its return value reaches
``on_done`` and an exception ``on_error`` on the UI thread (queued signals); ``task.report(x)``
from inside ``func`` reaches ``on_progress`` there too, and ``task.cancel_event`` is what a Cancel
button sets. The UI thread therefore never waits for a reload, a DevTools call or a LevelDB write.

:class:`InlineRunner` is the test double: the same interface, ``func`` runs at once on the caller's
thread, so a test can assert on the outcome right after the call.

Errors are shown as one line (:func:`error_text`); an unexpected exception is logged with its
traceback to the tray log and shown as one line too, never as a traceback dialog.
"""

from __future__ import annotations

import copy
import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from flagdeck.errors import FlagdeckError

log = logging.getLogger("flagdeck.ui")

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


def error_text(exc: BaseException) -> str:
    """The one line a user sees for a failure (as the CLI prints it, without ``flagdeck:``, its
    command-line hints said the GUI's way: ``gui_words.for_gui``)."""
    from flagdeck.ui.gui_words import for_gui

    if isinstance(exc, FlagdeckError):
        return for_gui(str(exc))
    if isinstance(exc, OSError):
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror or exc}{where}"
    return f"internal error ({type(exc).__name__}: {exc}); details in the flagdeck log"


class Task(QObject):
    """One piece of work. Lives on the UI thread; its signals are emitted from the pool thread and
    delivered (queued) to the slots below, which call the user's callbacks on the UI thread."""

    _finished = Signal(object)
    _raised = Signal(object)
    _progress = Signal(object)
    ended = Signal()
    callbackFailed = Signal(object)  # an exception a callback raised on the UI thread

    def __init__(self, name: str, quiet: bool, on_done: Done | None, on_error: Failed | None,
                 on_progress: Callable[[Any], None] | None) -> None:
        super().__init__()
        self.name = name
        self.quiet = quiet  # background refresh: does not make the tray icon say "busy"
        self.cancel_event = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None
        self.finished = False
        self._on_done, self._on_error, self._on_progress = on_done, on_error, on_progress
        self._finished.connect(self._deliver_done)
        self._raised.connect(self._deliver_error)
        self._progress.connect(self._deliver_progress)

    # --- called on the pool thread ----------------------------------------------------------------

    def report(self, value: Any) -> None:
        """Send a progress value to the UI (a copy: the core may mutate its step objects later)."""
        self._progress.emit(copy.copy(value))

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def cancel(self) -> None:
        self.cancel_event.set()

    # --- delivered on the UI thread ---------------------------------------------------------------

    @Slot(object)
    def _deliver_done(self, result: Any) -> None:
        self.result, self.finished = result, True
        try:
            if self._on_done is not None:
                self._call(self._on_done, result)
        finally:
            self.ended.emit()

    @Slot(object)
    def _deliver_error(self, exc: BaseException) -> None:
        self.error, self.finished = exc, True
        try:
            if self._on_error is not None:
                self._call(self._on_error, exc)
            else:
                log.warning("%s failed: %s", self.name, error_text(exc))
        finally:
            self.ended.emit()

    @Slot(object)
    def _deliver_progress(self, value: Any) -> None:
        if self._on_progress is not None and not self.finished:
            self._call(self._on_progress, value)

    def _call(self, callback: Callable[[Any], None], value: Any) -> None:
        """A callback that raises is a bug of the view: logged with its traceback and reported
        (``TaskRunner.callbackFailed``), never the end of the process."""
        try:
            callback(value)
        except Exception as exc:
            log.exception("%s: a callback raised", self.name)
            self.callbackFailed.emit(exc)


class _Job(QRunnable):
    def __init__(self, task: Task, func: Callable[[Task], Any]) -> None:
        super().__init__()
        self.task, self.func = task, func
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self.func(self.task)
        except BaseException as exc:  # everything reaches the UI as one line
            if not isinstance(exc, FlagdeckError | OSError):
                log.exception("%s raised", self.task.name)
            self.task._raised.emit(exc)
        else:
            self.task._finished.emit(result)


class TaskRunner(QObject):
    """Starts tasks on its own pool and knows how many non-quiet ones run (the tray's busy badge)."""

    busyChanged = Signal(bool)
    tasksChanged = Signal()
    callbackFailed = Signal(str, object)  # task name, the exception one of its callbacks raised

    def __init__(self, max_threads: int = 4, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self.pool.setExpiryTimeout(30_000)
        self._running: dict[int, Task] = {}
        self._waiting: dict[Task, Callable[[Task], Any]] = {}
        self._ids = itertools.count(1)

    @property
    def running(self) -> list[Task]:
        return list(self._running.values())

    @property
    def busy(self) -> bool:
        return any(not t.quiet for t in self._running.values())

    def run_task(self, func: Callable[[Task], Any], on_done: Done | None = None, on_error: Failed | None = None,
                 *, on_progress: Callable[[Any], None] | None = None, name: str = "task",
                 quiet: bool = False, start: bool = True) -> Task:
        """Start ``func(task)`` on the pool. ``start=False``: the task is listed (and counts as
        busy) but waits until :meth:`start_task` (a write waiting for a verification to end)."""
        task = Task(name, quiet, on_done, on_error, on_progress)
        key = next(self._ids)
        was_busy = self.busy
        self._running[key] = task
        task.ended.connect(lambda: self._ended(key))
        task.callbackFailed.connect(lambda exc: self.callbackFailed.emit(task.name, exc))
        if self.busy != was_busy:
            self.busyChanged.emit(self.busy)
        self.tasksChanged.emit()
        if start:
            self._start(task, func)
        else:
            self._waiting[task] = func
        return task

    def start_task(self, task: Task) -> None:
        """Start a task made with ``start=False``."""
        func = self._waiting.pop(task, None)
        if func is not None:
            self._start(task, func)

    def discard(self, task: Task) -> None:
        """Drop a task made with ``start=False`` that will never start (refused)."""
        self._waiting.pop(task, None)
        key = next((k for k, t in self._running.items() if t is task), None)
        if key is not None:
            self._ended(key)

    def cancel_all(self) -> None:
        """Ask every running task to stop (quit): each sees ``task.cancelled``; waiting ones never start."""
        for task in list(self._waiting):
            self.discard(task)
        for task in self._running.values():
            task.cancel()

    def waiting(self, task: Task) -> bool:
        """The task was made with ``start=False`` and has not been started yet."""
        return task in self._waiting

    def _start(self, task: Task, func: Callable[[Task], Any]) -> None:
        self.pool.start(_Job(task, func))

    def _ended(self, key: int) -> None:
        was_busy = self.busy
        self._running.pop(key, None)
        if self.busy != was_busy:
            self.busyChanged.emit(self.busy)
        self.tasksChanged.emit()

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Block until the pool is idle (quit, tests); True when it is."""
        return bool(self.pool.waitForDone(timeout_ms))


class InlineRunner(TaskRunner):
    """Test double: runs ``func`` on the calling thread and delivers the callbacks before returning."""

    def _start(self, task: Task, func: Callable[[Task], Any]) -> None:
        job = _Job(task, func)
        job.setAutoDelete(False)
        job.run()
        # the signals were emitted on this thread: delivery was direct, callbacks already ran
