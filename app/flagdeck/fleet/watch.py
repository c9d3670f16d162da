"""Following a source continuously: ``fleet sync --watch`` and the tray run this loop.

It syncs once at start, then again when the source says its flags changed (flagd: the file
changed; Unleash: a poll brought new flags), every ``interval`` while writes are pending (they
are retried), and every :data:`RESYNC` seconds anyway (a local change pins a flag; the app may
have been closed or given a debug port). Between those it only asks the source's health, which
costs nothing. A source that cannot be opened is retried every ``interval``.

Qt-free: ``on_report`` receives each :class:`Report` on the loop's thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flagdeck.errors import FlagdeckError
from flagdeck.fleet import agent
from flagdeck.fleet.connection import Connection
from flagdeck.fleet.source import Health, Source
from flagdeck.storage import durable
from flagdeck.targets.resolve import Target, resolve

RESYNC = 60.0


@dataclass(frozen=True)
class Report:
    """One event of the watch: a sync's result, or the source's health, or an error."""

    connection: Connection
    health: Health
    result: agent.SyncResult | None = None
    error: str | None = None


class Watcher:
    def __init__(self, conn: Connection, *, on_report: Callable[[Report], None], reload: bool = True,
                 durable_timeout: float = durable.DEFAULT_TIMEOUT, resync: float = RESYNC,
                 target: Target | None = None) -> None:
        self.conn = conn
        self.on_report = on_report
        self.reload, self.durable_timeout, self.resync = reload, durable_timeout, resync
        self._target = target
        self._changed = threading.Event()
        self.stop_event = threading.Event()

    def stop(self) -> None:
        self.stop_event.set()
        self._changed.set()

    def _tick(self) -> float:
        return max(1.0, min(self.conn.interval, 15.0))

    def run(self) -> None:
        source: Source | None = None
        try:
            while not self.stop_event.is_set():
                if source is None:
                    try:
                        source = Source(self.conn, on_change=self._changed.set)
                    except FlagdeckError as exc:
                        self.on_report(Report(self.conn, Health("error", str(exc)), error=str(exc)))
                        self.stop_event.wait(self.conn.interval)
                        continue
                    self._changed.set()
                self._loop(source)
        finally:
            if source is not None:
                source.close()

    def _loop(self, source: Source) -> None:
        last_sync = 0.0
        pending = False
        health = source.health()
        while not self.stop_event.is_set():
            due = self._changed.is_set() or time.monotonic() - last_sync >= (self._tick() if pending else self.resync)
            if due:
                self._changed.clear()
                last_sync = time.monotonic()
                result = self._sync(source)
                pending = result is None or bool(result.pending) or result.exit_code != 0
                health = source.health()
            else:
                now = source.health()
                if now.state != health.state:
                    health = now
                    self.on_report(Report(self.conn, now))
                    if now.state == "connected":
                        self._changed.set()  # back: what it missed may need applying
                        continue
            self._changed.wait(self._tick())

    def _sync(self, source: Source) -> agent.SyncResult | None:
        try:
            target = self._target or resolve(self.conn.target_options())
            result = agent.sync(target, source, reload=self.reload, durable_timeout=self.durable_timeout)
        except FlagdeckError as exc:
            self.on_report(Report(self.conn, source.health(), error=str(exc)))
            return None
        self.on_report(Report(self.conn, result.health, result))
        return result
