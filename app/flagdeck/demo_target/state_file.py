"""What a running demo target tells the outside world through its profile folder.

``<profile>/demo-target.json``: pid, DevTools port, argv and command (for people and tests),
version, status (``starting`` → ``loading`` → ``ready`` | ``renderer-crashed`` → ``exited``) and
renderer-crash records. It stays after exit, with status ``exited``. flagdeck never runs its
``command``: a relaunch is ``python -m flagdeck.demo_target`` with, in flagdeck's own demo folder
only, the recorded ``argv`` once the demo target's parser accepts it (``options.relaunch_command``).

``<profile>/DevToolsActivePort``: like Chromium's own file (port, then the browser websocket path),
present only while the debug port is open.

Writes are atomic (``private_files``: temp file + ``os.replace``, 0600) so a reader never sees
half a file. :func:`read_state` is the one reader of ``demo-target.json``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from flagdeck.private_files import read_json, write_bytes
from flagdeck.verify.result import now_iso

STATE_NAME = "demo-target.json"
PORT_FILE_NAME = "DevToolsActivePort"
DEFAULT_BROWSER_PATH = "/devtools/browser"


class StateFile:
    """``demo-target.json``: a dict kept in memory and rewritten whole on every change."""

    def __init__(self, profile_dir: Path, initial: dict[str, Any]) -> None:
        self.path = profile_dir / STATE_NAME
        self.data: dict[str, Any] = dict(initial)
        self.write()

    def update(self, **fields: Any) -> None:
        self.data.update(fields)
        self.data["updatedAt"] = now_iso()
        self.write()

    def write(self) -> None:
        write_bytes(self.path, (json.dumps(self.data, indent=2, sort_keys=True) + "\n").encode("utf-8"))


def read_state(profile_dir: Path) -> dict[str, Any] | None:
    """The last state a demo target wrote into ``profile_dir`` (None when absent or unreadable)."""
    data = read_json(profile_dir / STATE_NAME)
    return data if isinstance(data, dict) else None


def write_port_file(profile_dir: Path, port: int, browser_path: str = DEFAULT_BROWSER_PATH) -> None:
    write_bytes(profile_dir / PORT_FILE_NAME, f"{port}\n{browser_path}\n".encode())


def remove_port_file(profile_dir: Path) -> None:
    (profile_dir / PORT_FILE_NAME).unlink(missing_ok=True)


def browser_ws_path(port: int, *, attempts: int = 20, delay: float = 0.25) -> str | None:
    """The browser websocket path from ``/json/version`` (call off the Qt thread: the DevTools
    HTTP handler answers on Chromium's UI thread, which is the Qt main thread)."""
    from urllib.parse import urlparse

    from flagdeck.errors import LiveError
    from flagdeck.storage.cdp import browser_version

    for _ in range(attempts):
        try:
            ws_url = str(browser_version(port).get("webSocketDebuggerUrl", ""))
        except LiveError:
            time.sleep(delay)
            continue
        return urlparse(ws_url).path or None
    return None
