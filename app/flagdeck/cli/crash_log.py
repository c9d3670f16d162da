"""flagdeck's own log file, where a bug's traceback goes instead of the terminal.

``<data dir>/logs/flagdeck.log`` (folder 0700, file 0600: a traceback can quote stored values),
appended to, one block per failure (time, version, command, traceback); past 1 MiB it becomes
``flagdeck.log.1`` and a new file starts. The command line itself is not written: its values can
be secrets (a webhook URL).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from flagdeck import __version__, paths

LOG_NAME = "flagdeck.log"
MAX_BYTES = 1 << 20


def log_path() -> Path:
    return paths.sub_dir("logs") / LOG_NAME


def record(exc: BaseException, *, command: str | None = None, where: str = "command") -> Path:
    """Append ``exc``'s traceback to the log file; returns its path (raises ``OSError`` when it cannot)."""
    import platform  # here: only a crash pays for these imports
    import traceback

    path = log_path()
    try:
        if path.stat().st_size > MAX_BYTES:
            os.replace(path, path.with_name(LOG_NAME + ".1"))
    except FileNotFoundError:
        pass
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    head = (f"=== {stamp} flagdeck {__version__} (Python {platform.python_version()}), "
            f"{where} {command or '-'}\n")
    text = head + "".join(traceback.format_exception(exc)) + "\n"
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    try:
        if os.name == "posix":
            os.fchmod(fd, 0o600)
        os.write(fd, text.encode("utf-8", "backslashreplace"))
    finally:
        os.close(fd)
    return path


def one_line(exc: BaseException, limit: int = 200) -> str:
    """``Type: message`` on one line (a message can hold newlines), at most ``limit`` characters."""
    try:
        message = str(exc)
    except Exception:  # an exception whose text cannot be made
        message = "?"
    text = " ".join(f"{type(exc).__name__}: {message}".split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
