"""How to run this flagdeck again: the bundle's executable, the venv's ``flagdeck`` script, or
``python -m flagdeck``. Used for the detached timer process, the autostart entry and the desktop
entry, so each points at the flagdeck that is running now (a bundle, or a clone's venv)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


def frozen() -> bool:
    """True inside the PyInstaller bundle (``sys.executable`` is flagdeck itself)."""
    return bool(getattr(sys, "frozen", False))


def flagdeck_command(*args: str) -> list[str]:
    """An argv that runs ``flagdeck ARGS`` with this very installation, not whatever is on PATH.

    In a venv that is this interpreter with ``-m flagdeck`` (no PATH, no script needed)."""
    if frozen():
        return [sys.executable, *args]
    return [sys.executable, "-m", "flagdeck", *args]


def launcher() -> list[str]:
    """The program a desktop entry or autostart entry starts (arguments follow it): the bundle's
    executable, else the ``flagdeck`` script beside this interpreter, else one on PATH, else
    ``python -m flagdeck``; always absolute paths."""
    if frozen():
        return [str(Path(sys.executable).resolve())]
    script = Path(sys.executable).with_name("flagdeck.exe" if os.name == "nt" else "flagdeck")
    if script.is_file():
        return [str(script.absolute())]
    found = shutil.which("flagdeck")
    if found:
        return [str(Path(found).absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "flagdeck"]


def demo_target_command(*options: str) -> list[str]:
    """An argv that starts the demo target (a QtWebEngine app) with this installation: the bundle
    runs it as its ``demo-target`` command (``python -m`` does not exist there)."""
    if frozen():
        return [sys.executable, "demo-target", *options]
    return [sys.executable, "-m", "flagdeck.demo_target", *options]
