"""Which process is the app: who holds a LevelDB ``LOCK``, who listens on a debug port (psutil).

The lock probe must not take the lock: POSIX record locks belong to a process, and closing any
descriptor of the file drops all of them, which would silently unlock a LevelDB this process has
open. So the probe only asks (``F_OFD_GETLK`` on Linux, ``F_GETLK`` elsewhere).
"""

from __future__ import annotations

import errno
import ipaddress
import os
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path

import psutil


@dataclass(frozen=True)
class ProcInfo:
    pid: int
    name: str
    cmdline: list[str] = field(default_factory=list)
    exe: str = ""

    @classmethod
    def of(cls, pid: int) -> ProcInfo | None:
        try:
            proc = psutil.Process(pid)
            with proc.oneshot():
                try:
                    cmdline = proc.cmdline()
                    exe = proc.exe()
                except (psutil.AccessDenied, psutil.ZombieProcess):
                    cmdline, exe = [], ""
                return cls(pid, proc.name(), cmdline, exe)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return None

    def to_json(self) -> dict[str, object]:
        return {"pid": self.pid, "name": self.name, "exe": self.exe}


# --- LevelDB LOCK --------------------------------------------------------------------------------

_F_WRLCK = 1 if sys.platform == "linux" else 3  # fcntl.F_WRLCK, spelled out for the struct
_F_UNLCK = 2


def _flock_struct(pid: int = 0) -> bytes:
    if sys.platform == "linux":
        # struct flock { short l_type; short l_whence; off_t l_start; off_t l_len; pid_t l_pid; }
        return struct.pack("@hhqqi", _F_WRLCK, os.SEEK_SET, 0, 0, pid).ljust(32, b"\0")
    # BSD/macOS: { off_t l_start; off_t l_len; pid_t l_pid; short l_type; short l_whence; }
    return struct.pack("@qqihh", 0, 0, pid, _F_WRLCK, os.SEEK_SET)


def _getlk(lock_path: Path) -> int | None:
    """None when nobody holds a write lock on the file; else the holder's pid (-1 if unknown)."""
    import fcntl

    try:
        fd = os.open(lock_path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        linux = sys.platform == "linux"
        cmd = getattr(fcntl, "F_OFD_GETLK", fcntl.F_GETLK) if linux else fcntl.F_GETLK
        try:
            res = fcntl.fcntl(fd, cmd, _flock_struct())
        except OSError as exc:
            if exc.errno in (errno.EINVAL, errno.EBADF):
                # A write-lock query on a read-only descriptor: reopen read-write.
                os.close(fd)
                fd = os.open(lock_path, os.O_RDWR)
                res = fcntl.fcntl(fd, cmd, _flock_struct())
            else:
                raise
        if linux:
            l_type, _, _, _, l_pid = struct.unpack("@hhqqi", res[:28])
        else:
            _, _, l_pid, l_type, _ = struct.unpack("@qqihh", res[: struct.calcsize("@qqihh")])
        if l_type == _F_UNLCK:
            return None
        return l_pid if l_pid > 0 else -1
    finally:
        os.close(fd)


def _windows_locked(lock_path: Path) -> bool:
    try:
        fd = os.open(lock_path, os.O_RDWR)
    except FileNotFoundError:
        return False
    except PermissionError:
        return True
    os.close(fd)
    return False


def lock_probe(lock_path: Path) -> bool:
    """True when a process holds the LevelDB ``LOCK`` file (the app is running)."""
    if sys.platform == "win32":
        return _windows_locked(lock_path)
    return _getlk(lock_path) is not None


def lock_holder(lock_path: Path) -> ProcInfo | None:
    """The process holding ``lock_path``, when it can be told."""
    if sys.platform == "win32":
        return _holder_by_open_files(lock_path) if _windows_locked(lock_path) else None
    pid = _getlk(lock_path)
    if pid is None:
        return None
    if pid > 0:
        return ProcInfo.of(pid)
    return _holder_by_proc_locks(lock_path) or _holder_by_open_files(lock_path)


def _holder_by_proc_locks(lock_path: Path) -> ProcInfo | None:
    try:
        st = lock_path.stat()
        with open("/proc/locks", encoding="ascii") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split()
        try:
            pid = int(parts[4])
            inode = int(parts[5].rsplit(":", 1)[1])
        except (IndexError, ValueError):
            continue
        if inode == st.st_ino and pid > 0:
            return ProcInfo.of(pid)
    return None


def _holder_by_open_files(lock_path: Path) -> ProcInfo | None:
    wanted = os.path.realpath(lock_path)
    for proc in psutil.process_iter(["pid"]):
        try:
            if any(os.path.realpath(f.path) == wanted for f in proc.open_files()):
                return ProcInfo.of(proc.pid)
        except (psutil.NoSuchProcess, psutil.AccessDenied, OSError):
            continue
    return None


# --- debug port ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listener:
    pid: int | None
    addresses: tuple[str, ...]

    @property
    def loopback_only(self) -> bool:
        return bool(self.addresses) and all(ipaddress.ip_address(a).is_loopback for a in self.addresses)


def port_listener(port: int) -> Listener | None:
    """Who listens on TCP ``port`` and on which addresses; None when nobody does."""
    pids: set[int | None] = set()
    addresses: list[str] = []
    try:
        conns = psutil.net_connections(kind="tcp")
    except psutil.AccessDenied:
        return None
    for conn in conns:
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
            pids.add(conn.pid)
            addresses.append(conn.laddr.ip.split("%")[0])
    if not addresses:
        return None
    known = [p for p in pids if p is not None]
    return Listener(known[0] if len(known) == 1 else None, tuple(sorted(set(addresses))))


def related(pid_a: int, pid_b: int) -> bool:
    """True when one process is the other, or an ancestor of it (the browser and its helpers)."""
    if pid_a == pid_b:
        return True
    for low, high in ((pid_a, pid_b), (pid_b, pid_a)):
        try:
            if any(p.pid == high for p in psutil.Process(low).parents()):
                return True
        except psutil.NoSuchProcess:
            continue
    return False


def find_by_names(names: list[str]) -> list[ProcInfo]:
    """Running processes whose name (or executable's base name) is one of ``names``."""
    wanted = {n.lower() for n in names}
    found: list[ProcInfo] = []
    for proc in psutil.process_iter(["pid", "name", "exe"]):
        name = (proc.info.get("name") or "").lower()
        exe = os.path.basename(proc.info.get("exe") or "").lower()
        if name in wanted or exe in wanted:
            info = ProcInfo.of(proc.pid)
            if info is not None:
                found.append(info)
    return found
