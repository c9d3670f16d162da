"""One writer per target: an exclusive lock file per target slug in flagdeck's data dir.

Two flagdeck processes (CLI and tray, or two CLIs) writing the same target would interleave
read-modify-write cycles of the flag document; the second waits here, then gives up with
``TargetBusy``. The lock is ``flock`` (POSIX) / ``msvcrt.locking`` (Windows), released by the
OS if the holder dies, so a killed flagdeck never leaves a stale lock.

The lock belongs to an open file description, so two threads of one process exclude each other
too. A thread that holds the lock may take it again (nested blocks are free): a rollback or a
comparison holds it across all its steps, and the writes inside take it once more.

A waiter says so while it waits (a shared ``flock`` on ``<slug>.wait``): a long holder that can
stop early (a performance comparison between two runs) asks :func:`someone_waits` and makes way.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from flagdeck import paths
from flagdeck.errors import TargetBusy

DEFAULT_WAIT = 15.0

_held = threading.local()  # .paths: the lock files this thread holds


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


def _lock_path(slug: str) -> Path:
    return paths.sub_dir("locks") / f"{slug}.lock"


def _held_here() -> set[str]:
    held: set[str] | None = getattr(_held, "paths", None)
    if held is None:
        held = _held.paths = set()
    return held


@contextlib.contextmanager
def target_lock(slug: str, *, wait: float | None = None, purpose: str = "write") -> Iterator[None]:
    """Hold the writer lock of ``slug`` for the block; wait up to ``wait`` seconds for it.

    Free when the calling thread holds it already (the outer block keeps it and its purpose)."""
    path = _lock_path(slug)
    held = _held_here()
    key = str(path)
    if key in held:
        yield
        return
    wait = default_wait() if wait is None else wait
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if not try_lock(fd):
            with _waiting(path):
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
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)
    finally:
        os.close(fd)  # closing drops the lock


def _wait_path(lock: Path) -> Path:
    return lock.with_suffix(".wait")


@contextlib.contextmanager
def _waiting(lock: Path) -> Iterator[None]:
    """Be seen waiting for ``lock`` (a shared lock on its ``.wait`` file) for the block."""
    if sys.platform == "win32":  # no shared flock: a holder cannot tell; it finishes, the waiter waits
        yield
        return
    import fcntl

    fd = os.open(_wait_path(lock), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)  # a holder's probe holds it exclusively for an instant only
        yield
    finally:
        os.close(fd)


def someone_waits(slug: str) -> bool:
    """Whether another flagdeck (or another thread of this one) waits for the writer lock of ``slug``."""
    if sys.platform == "win32":
        return False
    import fcntl

    try:
        fd = os.open(_wait_path(_lock_path(slug)), os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _read_holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 200).decode("utf-8", "replace").strip()
    except OSError:
        return ""
    pid, _, purpose = text.partition(" ")
    return f" (pid {pid}, {purpose})" if pid.isdigit() else ""

