"""Is a write on the app's disk? Read back, never assumed.

Offline, a write is one synced LevelDB batch: on disk when it returns. Live, Chromium keeps a
localStorage change in memory and commits it to its LevelDB later: 5 s after the first change,
then 24-40 s and more as its commit rate limiter stretches the delay (measured on Debian's
Chromium 156); a crash in between loses it, and a reload does not change that. What commits at
once is the origin's last page letting go of its storage: parked on a page of another origin
(:meth:`LiveStore.park`), the app's storage area has no binding left and Chromium writes it
within a fraction of a second. Either way the only proof is the disk itself, read through private
snapshot copies (the app keeps running; its folder is never opened).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from flagdeck.errors import FlagdeckError

DEFAULT_TIMEOUT = 15.0
_POLL = 0.05

State = Literal["on-disk", "memory-only", "unconfirmed"]


@dataclass(frozen=True)
class Durability:
    """Where a write stands: ``on-disk`` (read back from the app's LevelDB), ``memory-only``
    (the app holds it but had not written it when flagdeck stopped waiting: a crash loses it), or
    ``unconfirmed`` (flagdeck cannot read the app's disk)."""

    state: State
    seconds: float | None
    how: str
    detail: str

    @property
    def ok(self) -> bool:
        return self.state == "on-disk"

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state, "seconds": None if self.seconds is None else round(self.seconds, 3),
                "how": self.how, "detail": self.detail}


def offline() -> Durability:
    return Durability("on-disk", 0.0, "synced LevelDB write batch", "on disk (offline write, synced)")


def on_disk(seconds: float, how: str) -> Durability:
    return Durability("on-disk", seconds, how, f"on disk in {seconds:.2f} s ({how})")


def memory_only(waited: float, how: str) -> Durability:
    return Durability(
        "memory-only", waited, how,
        f"in the app's memory only: not on its disk after {waited:.1f} s ({how}); a crash now loses it. "
        "Run it again with --reload (the page is parked for a moment so Chromium writes at once), "
        "or close the app gracefully",
    )


def unconfirmed() -> Durability:
    return Durability(
        "unconfirmed", None, "no profile folder",
        "written in the app's memory; flagdeck cannot confirm it reached the disk because it does not "
        "know the app's profile folder: give it with --user-data-dir DIR (or --leveldb DIR) next to --debug-port",
    )


def _signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and mtimes of the LevelDB files: cheap to read, changes with every commit."""
    try:
        return tuple(sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns) for e in os.scandir(folder)
                            if e.name not in ("LOCK", "LOG", "LOG.old")))
    except OSError:
        return ()


def holds(leveldb_dir: Path, origin: str, expected: Mapping[str, str | None]) -> bool:
    """True when the LevelDB on disk holds every ``expected`` value (None: key absent) for ``origin``."""
    from flagdeck.storage.leveldb_store import LevelDBStore

    with LevelDBStore.open_read(leveldb_dir) as disk:
        return all(disk.get(origin, key) == value for key, value in expected.items())


def wait_on_disk(leveldb_dir: Path, origin: str, expected: Mapping[str, str | None], *,
                 timeout: float = DEFAULT_TIMEOUT) -> float | None:
    """Seconds until the app's LevelDB holds ``expected``, or None past ``timeout``.

    A snapshot is read only when the folder's files changed since the last one (a commit always
    changes the log), so waiting costs a ``stat`` per poll, not a copy of the folder.
    """
    start = time.monotonic()
    seen: tuple[tuple[str, int, int], ...] | None = None
    while True:
        sig = _signature(leveldb_dir)
        if sig != seen:
            try:
                if holds(leveldb_dir, origin, expected):
                    return time.monotonic() - start
                seen = sig
            except FlagdeckError:
                seen = None  # a snapshot taken mid-compaction: read again
        if time.monotonic() - start >= timeout:
            return None
        time.sleep(_POLL)
