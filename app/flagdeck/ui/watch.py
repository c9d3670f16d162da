"""Watches that keep the tray's read of a target true: on disk, or live over DevTools.

- :class:`FileWatch` (the app closed, or running without a debug port): a QFileSystemWatcher on
  the LevelDB folder, its ``.log`` files (Chromium appends there) and the user-data dir (a
  ``DevToolsActivePort`` appearing means the app started with a port). Bursts are coalesced.
- :class:`DevToolsWatch` (the app live): its own DevTools session to a page of the origin, opened
  past the same gate as every live store (``live_store.check_debug_port``); it hears changes of the
  flag key and page loads as DevTools events (see the class for what it sees and keeps). The
  session closing (the app quit or crashed) is the watch dying.

Each emits ``changed(reason)`` when the flags may have changed and ``lost(reason)`` when it can no
longer vouch for anything; the session then marks the state unknown and reads again. Opening and
closing a DevTools session happen on a worker thread.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal, Slot

from flagdeck.targets.resolve import Target
from flagdeck.ui.workers import Task, TaskRunner

if TYPE_CHECKING:  # DevTools (websockets) load when a live watch opens, not before the tray's icon
    from flagdeck.storage.cdp import CDPSession

log = logging.getLogger("flagdeck.ui.watch")

DEBOUNCE_MS = 300
MAX_DELAY_S = 1.5
LIVENESS_MS = 3000


class FileWatch(QObject):
    changed = Signal(str)
    lost = Signal(str)
    kind = "files"

    def __init__(self, target: Target, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.leveldb_dir = target.leveldb_dir
        self.user_data_dir = target.user_data_dir
        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(self._dir_changed)
        self.watcher.fileChanged.connect(self._file_changed)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self._fire)
        self._first: float | None = None
        self._reason = ""
        self._watch_paths()

    @property
    def alive(self) -> bool:
        return str(self.leveldb_dir) in self.watcher.directories()

    def _watch_paths(self) -> None:
        wanted = [p for p in (self.leveldb_dir, self.user_data_dir) if p is not None and p.is_dir()]
        try:
            wanted += [p for p in self.leveldb_dir.iterdir() if p.suffix == ".log" or p.name == "CURRENT"]
        except OSError:
            pass
        have = set(self.watcher.directories()) | set(self.watcher.files())
        new = [str(p) for p in wanted if str(p) not in have]
        if new:
            self.watcher.addPaths(new)

    @Slot(str)
    def _dir_changed(self, path: str) -> None:
        if not Path(path).is_dir():
            self.lost.emit(f"{path} is gone")
            return
        self._watch_paths()
        self._schedule("files changed")

    @Slot(str)
    def _file_changed(self, path: str) -> None:
        self._schedule("storage written")

    def _schedule(self, reason: str) -> None:
        now = time.monotonic()
        self._reason = reason
        if self._first is None:
            self._first = now
        if now - self._first >= MAX_DELAY_S:
            self._fire()
        else:
            self._timer.start()

    def _fire(self) -> None:
        self._timer.stop()
        self._first = None
        self.changed.emit(self._reason)

    def close(self) -> None:
        self._timer.stop()
        paths = self.watcher.directories() + self.watcher.files()
        if paths:
            self.watcher.removePaths(paths)


class _Bridge(QObject):
    """Carries events from the DevTools reader thread to the UI thread (a queued signal)."""

    fired = Signal(str)


def open_session(target: Target, origin: str) -> CDPSession:
    """The watch's own DevTools session (worker thread): gate, page of ``origin``, no buffering."""
    from flagdeck.errors import LiveError
    from flagdeck.storage import cdp
    from flagdeck.storage.cdp import CDPSession
    from flagdeck.storage.live_store import check_debug_port

    assert target.debug_port is not None
    check_debug_port(target.debug_port, leveldb_dir=target.leveldb_dir, process_names=target.process_names)
    pages = [p for p in cdp.list_targets(target.debug_port) if p.origin == origin]
    if not pages:
        raise LiveError(f"no open page of {origin} to watch")
    return CDPSession(pages[0].ws_url, timeout=5, buffer_events=False)


def _same_origin(storage_id: dict[str, Any], origin: str) -> bool:
    key = str(storage_id.get("storageKey") or "").rstrip("/")
    return storage_id.get("securityOrigin") == origin or (bool(key) and key == origin.rstrip("/"))


STORAGE_EVENTS = frozenset({"DOMStorage.domStorageItemAdded", "DOMStorage.domStorageItemUpdated",
                            "DOMStorage.domStorageItemRemoved", "DOMStorage.domStorageItemsCleared"})


class DevToolsWatch(QObject):
    """Hears the flag key change in the running app, live, from DevTools events.

    ``DOMStorage.enable`` makes the page send an event for *every* localStorage change, secrets
    included, with old and new values. This watch keeps none of them (its session has
    ``buffer_events=False``, so an event exists only while the listener runs) and reads only an
    event's method, key and origin: an event of another key is dropped unread, its values never
    looked at, parsed or logged (past the JSON decoding of the message itself, which every DevTools
    message needs). Events of the flag key (and ``domStorageItemsCleared``) of the watched origin
    and page loads become ``changed`` / ``reloaded``; what the flags are is then read as usual.
    """

    changed = Signal(str)
    lost = Signal(str)
    reloaded = Signal()
    kind = "devtools"

    def __init__(self, target: Target, origin: str, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.target, self.origin, self.storage_key = target, origin, target.storage_key
        self.port = target.debug_port
        self.runner = runner
        self.session: CDPSession | None = None
        self._closed = False
        self._bridge = _Bridge(self)
        self._bridge.fired.connect(self._on_event)
        self._liveness = QTimer(self, interval=LIVENESS_MS)
        self._liveness.timeout.connect(self._check_alive)
        runner.run_task(self._open, self._opened, self._failed, name="watch over DevTools", quiet=True)

    @property
    def alive(self) -> bool:
        return self.session is not None and not self.session.closed

    def _open(self, task: Task) -> CDPSession:
        session = open_session(self.target, self.origin)
        session.add_listener(self._listen)  # reader thread: keep it short
        session.call("DOMStorage.enable")
        session.call("Page.enable")
        return session

    def _listen(self, event: dict[str, Any]) -> None:
        """Reader thread: the method, then the key, then the origin; nothing else of an event."""
        if self._closed:
            return
        method = event.get("method")
        if method == "Page.loadEventFired":
            self._bridge.fired.emit("reload")
            return
        if method not in STORAGE_EVENTS:
            return
        params = event.get("params") or {}
        if method != "DOMStorage.domStorageItemsCleared" and params.get("key") != self.storage_key:
            return  # another key: dropped unread
        if _same_origin(params.get("storageId") or {}, self.origin):
            self._bridge.fired.emit("storage")

    def _opened(self, session: CDPSession) -> None:
        if self._closed:
            self.runner.run_task(lambda _t: session.close(), name="close DevTools watch", quiet=True)
            return
        self.session = session
        self._liveness.start()
        log.info("watching %s over DevTools port %s", self.origin, self.port)
        self.changed.emit("watch opened")

    def _failed(self, exc: BaseException) -> None:
        if not self._closed:
            self.lost.emit(f"cannot watch over DevTools: {exc}")

    @Slot(str)
    def _on_event(self, what: str) -> None:
        if self._closed:
            return
        if what == "reload":
            self.reloaded.emit()
        else:
            self.changed.emit("storage changed")

    def _check_alive(self) -> None:
        if self.session is not None and self.session.closed and not self._closed:
            self._liveness.stop()
            self.lost.emit("the DevTools connection closed (the app quit or restarted)")

    def close(self) -> None:
        self._closed = True
        self._liveness.stop()
        session, self.session = self.session, None
        if session is not None:
            self.runner.run_task(lambda _t: session.close(), name="close DevTools watch", quiet=True)
