"""What the host prints, also kept on disk like an Electron app's logs.

Every line goes to stdout and to ``<profile>/logs/demo.<YYYY-MM-DD>.log``; errors (page console
errors, renderer crashes, start-up failures) also to ``demo-error.<YYYY-MM-DD>.log``, the names
the demo preset (``resources/presets/demo.toml``) points flagdeck's evidence collection at.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

PROCESS_NAME = "flagdeck-demo"


class HostLog:
    def __init__(self, profile_dir: Path) -> None:
        self.dir = profile_dir / "logs"
        self.dir.mkdir(parents=True, exist_ok=True)

    def line(self, text: str, *, error: bool = False) -> None:
        print(text, file=sys.stdout, flush=True)
        now = datetime.now()
        stamped = f"{now.isoformat(timespec='milliseconds')} {text}\n"
        names = ["demo", "demo-error"] if error else ["demo"]
        for name in names:
            try:
                with open(self.dir / f"{name}.{now:%Y-%m-%d}.log", "a", encoding="utf-8") as fh:
                    fh.write(stamped)
            except OSError:
                pass  # a full or read-only disk must not stop the app


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
