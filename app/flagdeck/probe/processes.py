"""The app's processes from the outside (psutil): renderer processes, their memory and CPU."""

from __future__ import annotations

import time
from dataclasses import dataclass

import psutil


@dataclass(frozen=True)
class ProcSample:
    time: float
    rss_mb: float
    cpu_percent: float  # of one core, summed over the processes, since the previous sample


def renderer_processes(owner_pid: int) -> list[psutil.Process]:
    """Descendants of the app's main process that are renderers.

    Chromium and Electron renderers say ``--type=renderer``. QtWebEngine forks them from its
    zygote without rewriting the command line, so there a renderer is a zygote's zygote child.
    """
    try:
        children = psutil.Process(owner_pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    found = []
    for child in children:
        try:
            cmdline = child.cmdline()
            parent = child.parent()
            forked = "--type=zygote" in cmdline and parent is not None and "--type=zygote" in parent.cmdline()
            if "--type=renderer" in cmdline or forked:
                found.append(child)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def app_tree(owner_pid: int) -> list[psutil.Process]:
    """The app's main process and all its descendants; [] when it is gone or not ours to see."""
    try:
        root = psutil.Process(owner_pid)
        return [root, *root.children(recursive=True)]
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return []


class Sampler:
    """Samples RSS and CPU of a fixed set of processes (renderers, or the whole app)."""

    def __init__(self, procs: list[psutil.Process]) -> None:
        self.procs = procs
        for p in procs:
            try:
                p.cpu_percent(None)  # prime: the first call always says 0
            except psutil.Error:
                pass

    def sample(self) -> ProcSample:
        rss = cpu = 0.0
        for p in self.procs:
            try:
                with p.oneshot():
                    rss += p.memory_info().rss
                    cpu += p.cpu_percent(None)
            except psutil.Error:
                continue
        return ProcSample(time.monotonic(), rss / 1e6, cpu)


def slope_per_minute(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, per minute."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mx = sum(t for t, _ in points) / n
    my = sum(v for _, v in points) / n
    var = sum((t - mx) ** 2 for t, _ in points)
    if var == 0:
        return 0.0
    return 60.0 * sum((t - mx) * (v - my) for t, v in points) / var
