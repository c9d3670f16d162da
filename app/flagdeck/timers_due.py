"""What every flagdeck command runs first: fire overdue timed toggles (``timer_fire.fire_overdue``).

Import-light on purpose (``os`` and ``sys`` only): with no timer stored, the cost is one directory
listing; the timers module (and the write path behind it) is imported only when a timer exists.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

SKIP = ("tray", "demo-target")  # the tray fires timers itself; the demo target is an app, not a command


def timers_dir() -> str:
    """``<data dir>/timers`` as ``paths.data_dir`` finds it, without importing platformdirs on Linux."""
    env = os.environ.get("FLAGDECK_DATA_DIR")
    if env:
        return os.path.join(env, "timers")
    if sys.platform.startswith("linux"):
        base = os.environ.get("XDG_DATA_HOME", "").strip() or os.path.expanduser("~/.local/share")
        return os.path.join(base, "flagdeck", "timers")
    from flagdeck import paths

    return str(paths.data_dir() / "timers")


def any_stored() -> bool:
    try:
        return any(name.endswith(".json") for name in os.listdir(timers_dir()))
    except OSError:
        return False


def before_command(args: Any, say: Callable[[str], None]) -> None:
    """Fire the overdue timers nobody else handles, and say so on stderr (not for the timer process
    itself, the tray, or the demo target)."""
    if getattr(args, "command", None) in SKIP or getattr(args, "timers_cmd", None) == "wait":
        return
    if not any_stored():
        return
    from flagdeck import timer_fire

    timer_fire.fire_overdue(say)
