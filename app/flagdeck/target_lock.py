"""One writer per target: an exclusive lock file per target slug in flagdeck's data dir.

Two flagdeck processes (CLI and tray, or two CLIs) writing the same target would interleave
read-modify-write cycles of the flag document; the second waits here, then gives up with
``TargetBusy``. The lock is ``flock`` (POSIX) / ``msvcrt.locking`` (Windows), released by the
OS if the holder dies, so a killed flagdeck never leaves a stale lock.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator

from flagdeck import paths
from flagdeck.errors import TargetBusy

DEFAULT_WAIT = 15.0


def default_wait() -> float:
    """``FLAGDECK_LOCK_WAIT`` seconds, else 15."""
    try:
        return float(os.environ.get("FLAGDECK_LOCK_WAIT", DEFAULT_WAIT))
    except ValueError:
        return DEFAULT_WAIT


def try_lock(fd: int) -> bool:
    """Take an exclusive lock on ``fd`` without waiting; False when another process holds it."""
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


@contextlib.contextmanager
def target_lock(slug: str, *, wait: float | None = None, purpose: str = "write") -> Iterator[None]:
    """Hold the writer lock of ``slug`` for the block; wait up to ``wait`` seconds for it."""
    wait = default_wait() if wait is None else wait
    path = paths.sub_dir("locks") / f"{slug}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait
        delay = 0.01
        while not try_lock(fd):
            if time.monotonic() >= deadline:
                holder = _read_holder(fd)
                raise TargetBusy(
                    f"another flagdeck{holder} is writing this target; gave up after {wait:g} s",
                    hint="wait for it to finish and try again",
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"{os.getpid()} {purpose}\n".encode())
        yield
    finally:
        os.close(fd)  # closing drops the lock


def _read_holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 200).decode("utf-8", "replace").strip()
    except OSError:
        return ""
    pid, _, purpose = text.partition(" ")
    return f" (pid {pid}, {purpose})" if pid.isdigit() else ""
