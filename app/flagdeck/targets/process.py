"""Which process is the app: who holds a LevelDB ``LOCK``, who listens on a debug port (psutil).

The lock probe must not take the lock, nor even open the file: LevelDB locks ``LOCK`` with
``fcntl(F_SETLK)``, a record lock that belongs to the process, and closing *any* descriptor of that
file in the process drops it. A probe from one thread (discovery, evidence, verify) while another
holds the LevelDB open for writing would silently unlock it. So on Linux the probe reads
``/proc/locks`` (by device and inode); elsewhere it first asks the OS whether this process has the
file open, and only opens it (``F_GETLK``) when it does not.
"""

from __future__ import annotations

import errno
import os
import struct
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ProcInfo:
    pid: int
    name: str
    cmdline: list[str] = field(default_factory=list)
    exe: str = ""

    @classmethod
    def of(cls, pid: int) -> ProcInfo | None:
        import psutil  # in each function: an offline read or write never needs psutil (~20 ms to import)

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


def _open_here(lock_path: Path) -> bool:
    """Whether this process has ``lock_path`` open: a LevelDB of it is open here (LevelDB keeps its
    ``LOCK`` open while it holds the lock), so opening and closing it would drop that lock. Asked
    of the OS (psutil), so every LevelDB this process opens counts, whoever opened it."""
    import psutil

    wanted = os.path.realpath(lock_path)
    try:
        return any(os.path.realpath(f.path) == wanted for f in psutil.Process().open_files())
    except (psutil.Error, OSError):
        return False


def _proc_locks(lock_path: Path) -> list[int] | None:
    """The pids holding a record lock on ``lock_path`` (0: a process we cannot see, -1: an OFD lock)
    from ``/proc/locks``, without opening the file; None when ``/proc/locks`` cannot be read."""
    try:
        st = os.stat(lock_path)
    except FileNotFoundError:
        return []
    except OSError:
        return None
    try:
        with open("/proc/locks", encoding="ascii", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    wanted = (os.major(st.st_dev), os.minor(st.st_dev), st.st_ino)
    pids = []
    for line in lines:
        parts = line.split()
        # "1: POSIX  ADVISORY  WRITE 1234 fe:00:5308444 0 EOF"; "1: -> POSIX ..." is a blocked waiter
        if len(parts) < 6 or parts[1] == "->" or parts[1] not in ("POSIX", "OFDLCK"):
            continue
        try:
            major, minor, inode = parts[5].split(":")
            where = (int(major, 16), int(minor, 16), int(inode))
            pid = int(parts[4])
        except ValueError:
            continue
        if where == wanted:
            pids.append(pid)
    return pids


def _getlk(lock_path: Path) -> int | None:
    """None when nobody holds a write lock on the file; else the holder's pid (-1 if unknown)."""
    if sys.platform == "linux":
        pids = _proc_locks(lock_path)
        if pids is not None:
            if not pids:
                return None
            return next((p for p in pids if p > 0), -1)
    return _query_lock(lock_path)


def _query_lock(lock_path: Path) -> int | None:
    """:func:`_getlk` by asking the kernel on a descriptor of the file: only when this process has
    no LevelDB of it open (closing that descriptor would drop the process's lock)."""
    if _open_here(lock_path):
        return os.getpid()
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
    return _holder_by_open_files(lock_path)  # an OFD lock, or a process of another pid namespace


def _holder_by_open_files(lock_path: Path) -> ProcInfo | None:
    import psutil

    wanted = os.path.realpath(lock_path)
    for proc in psutil.process_iter(["pid"]):
        try:
            if any(os.path.realpath(f.path) == wanted for f in proc.open_files()):
                return ProcInfo.of(proc.pid)
        except (psutil.NoSuchProcess, psutil.AccessDenied, OSError):
            continue
    return None


# --- debug port ----------------------------------------------------------------------------------
#
# A debug port gives full control of the app to whoever connects, and any local user can connect
# to a loopback port. So before flagdeck sends anything, it checks who listens (psutil), on which
# addresses, and that the listener is the app itself. Measured on Chromium 156 and QtWebEngine
# 6.12 (Chromium 140): the browser process both listens on the port and holds the LevelDB LOCK.


def is_loopback_address(address: str) -> bool:
    """True for 127.0.0.0/8, ::1 and IPv4-mapped loopback (``::ffff:127.0.0.1``); False if unparsable."""
    import ipaddress  # here: an offline read or write never needs it

    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


@dataclass(frozen=True)
class Listener:
    """Who listens on a TCP port: ``pid`` when exactly one known process does, else None.

    ``pids`` lists every process seen listening (several means someone else bound the same port,
    e.g. on another loopback address); ``addresses`` every local address bound.
    """

    pid: int | None
    addresses: tuple[str, ...]
    pids: tuple[int, ...] = ()

    @property
    def loopback_only(self) -> bool:
        return bool(self.addresses) and all(is_loopback_address(a) for a in self.addresses)

    @property
    def exposed(self) -> tuple[str, ...]:
        """The bound addresses reachable from outside this machine (``0.0.0.0``, a LAN address...)."""
        return tuple(a for a in self.addresses if not is_loopback_address(a))


def port_listener(port: int) -> Listener | None:
    """Who listens on TCP ``port`` and on which addresses; None when nobody visible does.

    psutil cannot see other users' sockets' owners (pid None) and, on macOS, needs root for the
    system-wide table; then each process we may inspect is asked in turn. "None" can therefore
    mean "nobody we can see": pair it with :func:`port_accepts` before concluding nobody listens.
    """
    found = _listening_sockets(port)
    if not found:
        return None
    pids = tuple(sorted({pid for pid, _ in found if pid is not None}))
    unknown_owner = any(pid is None for pid, _ in found)
    single = pids[0] if len(pids) == 1 and not unknown_owner else None
    return Listener(single, tuple(sorted({addr for _, addr in found})), pids)


def _listening_sockets(port: int) -> list[tuple[int | None, str]]:
    import psutil

    try:
        conns = psutil.net_connections(kind="tcp")
    except psutil.AccessDenied:
        return _listening_sockets_per_process(port)
    return [
        (c.pid, c.laddr.ip.split("%")[0])
        for c in conns
        if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port
    ]


def _listening_sockets_per_process(port: int) -> list[tuple[int | None, str]]:
    import psutil

    found: list[tuple[int | None, str]] = []
    for proc in psutil.process_iter(["pid"]):
        try:
            getter = getattr(proc, "net_connections", None) or proc.connections
            conns = getter(kind="tcp")
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        found += [
            (proc.pid, c.laddr.ip.split("%")[0])
            for c in conns
            if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port
        ]
    return found


def port_accepts(port: int, host: str = "127.0.0.1", timeout: float = 1.0) -> bool:
    """True when a TCP connection to ``host:port`` is accepted (nothing is sent on it)."""
    import socket

    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def related(pid_a: int, pid_b: int) -> bool:
    """True when one process is the other, or an ancestor of it (the browser and its helpers)."""
    if pid_a == pid_b:
        return True
    return is_ancestor(pid_a, pid_b) or is_ancestor(pid_b, pid_a)


def is_ancestor(ancestor: int, pid: int) -> bool:
    """True when ``ancestor`` is a parent, grandparent... of ``pid``."""
    import psutil

    try:
        return any(p.pid == ancestor for p in psutil.Process(pid).parents())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def same_executable(a: ProcInfo, b: ProcInfo) -> bool:
    """Both run the same program: the same executable, or (macOS) inside the same ``.app`` bundle."""
    if a.exe and b.exe:
        if os.path.realpath(a.exe) == os.path.realpath(b.exe):
            return True
        bundle_a, bundle_b = _app_bundle(a.exe), _app_bundle(b.exe)
        return bundle_a is not None and bundle_a == bundle_b
    return bool(a.name) and a.name == b.name


def _app_bundle(exe: str) -> str | None:
    marker = ".app/"
    index = exe.find(marker)
    return exe[: index + len(marker) - 1] if index >= 0 else None


def same_app(listener_pid: int, holder_pid: int) -> bool:
    """True when the debug port's listener is the app that holds its storage.

    The same process (what Chromium and QtWebEngine do), or a parent/child pair running the same
    program (a browser whose storage service runs in a child process). A launcher, a shell or
    ``init`` is an ancestor of every app it started but runs another program, so it never passes;
    neither does a child of another program (a plugin or MCP server the app spawned).
    """
    if listener_pid == holder_pid:
        return True
    if not related(listener_pid, holder_pid):
        return False
    listener, holder = ProcInfo.of(listener_pid), ProcInfo.of(holder_pid)
    return listener is not None and holder is not None and same_executable(listener, holder)


def uid_of(pid: int) -> int | None:
    """The real user id of ``pid`` (None on Windows or when it cannot be read)."""
    import psutil

    try:
        return int(psutil.Process(pid).uids().real)
    except (AttributeError, psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def name_matches(info: ProcInfo, names: Sequence[str]) -> bool:
    """``info``'s name or executable's base name is one of ``names`` (case-insensitive, ``.exe`` optional)."""
    wanted = {_bare(n) for n in names}
    return _bare(info.name) in wanted or (bool(info.exe) and _bare(os.path.basename(info.exe)) in wanted)


def _bare(name: str) -> str:
    low = name.lower()
    return low[:-4] if low.endswith(".exe") else low


def find_by_names(names: list[str]) -> list[ProcInfo]:
    """Running processes whose name (or executable's base name) is one of ``names``."""
    import psutil

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
