"""System facts for a bundle: OS, Python, flagdeck and app versions, the command line, memory, and
the app's process tree (names, pids, RSS) from psutil. Nothing here needs the app to cooperate."""

from __future__ import annotations

import os
import platform
import sys
from typing import Any

import psutil

from flagdeck import __version__
from flagdeck.probe.processes import app_tree
from flagdeck.targets import process
from flagdeck.targets.process import ProcInfo


def app_root_pid(target: Any, owner: ProcInfo | None) -> int | None:
    """The app's main process: the DevTools listener or the LevelDB LOCK holder, walked up to the
    topmost ancestor of the same executable (renderers and helpers hang below it). Never found by
    name: another instance of the app may run on another profile."""
    pid = owner.pid if owner else None
    if pid is None:
        holder = process.lock_holder(target.lock_file)
        pid = holder.pid if holder else None
    if pid is None:  # not running on this profile (a process of the same name may run on another)
        return None
    try:
        proc = psutil.Process(pid)
        exe = proc.exe()
        while (parent := proc.parent()) is not None:
            try:
                if parent.exe() != exe:
                    break
            except (psutil.AccessDenied, psutil.ZombieProcess):
                break
            proc = parent
        return proc.pid
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return pid


def process_tree(root_pid: int | None) -> list[dict[str, Any]]:
    """The app's processes: pid, parent, name, type (``--type=`` of Chromium), RSS in MB."""
    if root_pid is None:
        return []
    out = []
    for p in app_tree(root_pid):
        try:
            with p.oneshot():
                kind = next((a.split("=", 1)[1] for a in p.cmdline() if a.startswith("--type=")), "browser"
                            if p.pid == root_pid else "")
                out.append({"pid": p.pid, "ppid": p.ppid(), "name": p.name(), "type": kind,
                            "rss_mb": round(p.memory_info().rss / 1e6, 1),
                            "started": round(p.create_time(), 3)})
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return out


def system_info(*, argv: list[str], app_version: str | None, root_pid: int | None) -> dict[str, Any]:
    vm = psutil.virtual_memory()
    tree = process_tree(root_pid)
    return {
        "os": {"system": platform.system(), "release": platform.release(), "version": platform.version(),
               "machine": platform.machine(), "platform": platform.platform()},
        "python": {"version": platform.python_version(), "implementation": platform.python_implementation(),
                   "executable": sys.executable},
        "flagdeck_version": __version__,
        "app_version": app_version,
        "command_line": argv,
        "pid": os.getpid(),
        "cpu_count": psutil.cpu_count(),
        "memory": {"total_mb": round(vm.total / 1e6), "available_mb": round(vm.available / 1e6),
                   "percent_used": vm.percent},
        "app_processes": tree,
        "app_rss_mb": round(sum(p["rss_mb"] for p in tree), 1),
    }
