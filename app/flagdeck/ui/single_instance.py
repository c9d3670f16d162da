"""One tray per user: a second launch hands over to the running one (as Vorta and qutebrowser).

The first instance listens on a ``QLocalServer`` whose name is derived from the user and
flagdeck's config dir (so test runs with private dirs do not meet); the socket is restricted to
the user. A later launch connects and sends one small versioned JSON message per line::

    {"v": 1, "cmd": "show", "page": "flags"}      -> {"v": 1, "ok": true, "pid": 1234}

``show`` brings the console forward (a ``--hidden`` start sends ``ping`` instead and leaves it).
Unknown versions or commands get ``ok: false`` and an error; nothing else is ever executed.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from flagdeck import paths

PROTOCOL = 1
COMMANDS = ("show", "ping")
MAX_MESSAGE = 16 * 1024


def server_name() -> str:
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    digest = hashlib.sha256(f"{user}\0{paths.config_dir()}".encode()).hexdigest()[:12]
    safe = "".join(c for c in user if c.isalnum())[:24] or "user"
    return f"flagdeck-{safe}-{digest}"


def encode(message: dict[str, Any]) -> bytes:
    return (json.dumps({"v": PROTOCOL, **message}, separators=(",", ":")) + "\n").encode("utf-8")


def decode(data: bytes) -> dict[str, Any]:
    """A request or reply; raises ValueError for anything that is not one v1 JSON object."""
    if len(data) > MAX_MESSAGE:
        raise ValueError("message too long")
    value = json.loads(data.decode("utf-8").strip() or "null")
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    if value.get("v") != PROTOCOL:
        raise ValueError(f"unsupported protocol version {value.get('v')!r}")
    return value


def send(message: dict[str, Any], *, name: str | None = None, timeout_ms: int = 2000) -> dict[str, Any] | None:
    """Send ``message`` to the running instance; its reply, or None when none runs."""
    sock = QLocalSocket()
    sock.connectToServer(name or server_name())
    if not sock.waitForConnected(timeout_ms):
        return None
    sock.write(encode(message))
    sock.flush()
    sock.waitForBytesWritten(timeout_ms)
    data = b""
    while b"\n" not in data and len(data) < MAX_MESSAGE:
        if not sock.waitForReadyRead(timeout_ms):
            break
        data += bytes(sock.readAll().data())
    sock.disconnectFromServer()
    try:
        return decode(data)
    except ValueError:
        return {"v": PROTOCOL, "ok": False, "error": "no valid reply from the running flagdeck"}


class InstanceServer(QObject):
    """Listens for later launches; emits ``requested(message)`` for each valid command."""

    requested = Signal(dict)

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or server_name()
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> bool:
        """Start listening unless another instance answers; a socket a crashed instance left behind
        is removed. (Asked first: with ``UserAccessOption`` Qt binds elsewhere and renames the socket
        into place, which would silently replace a live instance's socket.)"""
        if send({"cmd": "ping"}, name=self.name, timeout_ms=500) is not None:
            return False
        QLocalServer.removeServer(self.name)
        return bool(self.server.listen(self.name))

    def close(self) -> None:
        self.server.close()

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            sock = self.server.nextPendingConnection()
            self._buffers[sock] = b""
            sock.readyRead.connect(lambda s=sock: self._read(s))
            sock.disconnected.connect(lambda s=sock: self._drop(s))

    def _drop(self, sock: QLocalSocket) -> None:
        self._buffers.pop(sock, None)
        sock.deleteLater()

    def _read(self, sock: QLocalSocket) -> None:
        data = self._buffers.get(sock, b"") + bytes(sock.readAll().data())
        if b"\n" not in data and len(data) < MAX_MESSAGE:
            self._buffers[sock] = data
            return
        self._buffers[sock] = b""
        try:
            message = decode(data.split(b"\n", 1)[0])
            if message.get("cmd") not in COMMANDS:
                raise ValueError(f"unknown command {message.get('cmd')!r}")
            reply: dict[str, Any] = {"ok": True, "pid": os.getpid()}
        except ValueError as exc:
            message, reply = {}, {"ok": False, "error": str(exc)}
        sock.write(encode(reply))
        sock.flush()
        if message:
            self.requested.emit(message)
