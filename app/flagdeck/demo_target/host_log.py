"""What the host prints, also kept on disk like an Electron app's logs.

Every line goes to stdout and to ``<profile>/logs/demo.<YYYY-MM-DD>.log``; errors (page console
errors, renderer crashes, start-up failures) also to ``demo-error.<YYYY-MM-DD>.log``, the names
the demo preset (``resources/presets/demo.toml``) points flagdeck's evidence collection at.

The files of the day stay open (line-buffered: a reader sees every whole line at once); the next
day's line opens the next day's file; :meth:`HostLog.close` at shutdown.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import TextIO

PROCESS_NAME = "flagdeck-demo"


class HostLog:
    def __init__(self, profile_dir: Path) -> None:
        self.dir = profile_dir / "logs"
        self.dir.mkdir(parents=True, exist_ok=True)
        self._files: dict[str, tuple[str, TextIO]] = {}  # log name → (day, open file)
        self._lock = threading.Lock()

    def line(self, text: str, *, error: bool = False) -> None:
        print(text, file=sys.stdout, flush=True)
        now = datetime.now()
        stamped = f"{now.isoformat(timespec='milliseconds')} {text}\n"
        day = f"{now:%Y-%m-%d}"
        with self._lock:
            for name in ("demo", "demo-error") if error else ("demo",):
                try:
                    self._file(name, day).write(stamped)
                except OSError:
                    pass  # a full or read-only disk must not stop the app

    def _file(self, name: str, day: str) -> TextIO:
        held = self._files.get(name)
        if held is not None and held[0] == day:
            return held[1]
        if held is not None:
            self._files.pop(name)
            with contextlib.suppress(OSError):
                held[1].close()
        fh = open(self.dir / f"{name}.{day}.log", "a", encoding="utf-8", buffering=1)  # noqa: SIM115
        self._files[name] = (day, fh)
        return fh

    def close(self) -> None:
        with self._lock:
            for _, fh in self._files.values():
                with contextlib.suppress(OSError):
                    fh.close()
            self._files.clear()


def set_process_name(name: str = PROCESS_NAME) -> None:
    """Name the process (Linux ``comm``) so flagdeck finds it by the preset's process name."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME
    except (OSError, AttributeError):
        pass
