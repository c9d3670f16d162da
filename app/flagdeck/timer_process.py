"""The detached timer process: ``flagdeck timers wait ID``, one per timer, that fires it when due.

It must outlive the terminal that set the timer: a new session (no controlling terminal, so no
SIGHUP when the terminal closes), stdin/stdout/stderr on the null device, its own working
directory (the data dir, never a folder someone may unmount). It claims its timer (``timers.claim``)
for its whole life and records its pid in the timer's file; a second process for the same timer
exits at once. It sleeps in short steps (a suspended machine wakes it at most a step late), re-reads
the file each time (cancelled: it exits), fires, retries what is busy, and ends when the timer ends.
A desktop notification says how it ended (``notify-send`` on Linux, ``osascript`` on macOS, when
present; nothing otherwise: the history and ``timers/done/`` have it).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from flagdeck import paths, timer_fire, timers
from flagdeck.executable import flagdeck_command
from flagdeck.target_lock import target_lock

STEP = 30.0  # longest single sleep

_firing = False
_stop_after_fire = False


def command(ident: str) -> list[str]:
    return flagdeck_command("timers", "wait", ident)


def start(timer: timers.Timer) -> timers.Timer:
    """Start the detached process of ``timer``; returns the timer with the new process's pid.

    The process records its own pid once it holds the claim (a second one for the same timer exits).
    """
    kwargs: dict[str, Any] = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL,
                              "stderr": subprocess.DEVNULL, "close_fds": True, "cwd": str(paths.data_dir())}
    if sys.platform == "win32":
        kwargs["creationflags"] = (subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
                                   | subprocess.CREATE_NO_WINDOW)  # type: ignore[attr-defined]
    else:
        kwargs["start_new_session"] = True
    proc = subprocess.Popen(command(timer.id), **kwargs)
    _children.append(proc)
    _reap()
    return replace(timer, pid=proc.pid)


_children: list[subprocess.Popen[bytes]] = []


def _reap() -> None:
    """A long-lived spawner (the tray) collects its exited timer processes (no zombies)."""
    _children[:] = [p for p in _children if p.poll() is None]


def _on_term(signum: int, frame: Any) -> None:
    global _stop_after_fire
    if _firing:
        _stop_after_fire = True  # a write is under way: it finishes (one batch) and the file says how
        return
    raise SystemExit(0)


def run(ident: str) -> int:
    """The process's life. Exit 0 when the timer ended (or another process has it)."""
    global _firing
    if sys.platform != "win32":
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGINT, _on_term)
    mine = timers.claim(ident)
    if mine is None:
        return 0
    with mine:
        timer = timers.load(ident)
        if timer is None:
            return 0
        with target_lock(timer.target_slug, purpose="timer process"):
            current = timers.load(ident)
            if current is None:
                return 0
            timers.save(replace(current, pid=os.getpid()))
        next_at: datetime | None = None
        while True:
            timer = timers.load(ident)
            if timer is None:
                return 0
            when = max(timer.next_at, next_at) if next_at else timer.next_at
            left = (when - datetime.now(UTC)).total_seconds()
            if left > 0:
                time.sleep(min(left, STEP))
                continue
            _firing = True
            try:
                result = timer_fire.fire(ident, lock_wait=15.0)
            finally:
                _firing = False
            if result.final:
                desktop_notification(result)
                return 0
            next_at = result.timer.next_at
            if _stop_after_fire:
                return 0


def desktop_notification(result: timer_fire.FireResult) -> None:
    """Best effort: where a desktop shows notifications and has its usual tool."""
    if result.outcome in ("gone", "cancelled", "replaced"):
        return
    title = "flagdeck: timed toggle ended" if result.outcome != "dropped" else "flagdeck: timed toggle dropped"
    body = result.message
    try:
        if sys.platform.startswith("linux") and os.environ.get("DBUS_SESSION_BUS_ADDRESS") and shutil.which(
                "notify-send"):
            subprocess.run(["notify-send", "--app-name=flagdeck", "--icon=io.github.flagdeck", title, body],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
        elif sys.platform == "darwin" and shutil.which("osascript"):
            script = f"display notification {_applescript(body)} with title {_applescript(title)}"
            subprocess.run(["osascript", "-e", script], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=10)
    except (OSError, subprocess.SubprocessError):
        pass


def _applescript(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
