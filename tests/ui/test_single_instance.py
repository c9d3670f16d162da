"""One instance per user: the local server, its small versioned JSON messages, a stale socket, and
the name derived from the user and the config dir (the end-to-end hand-off is in test_tray_e2e)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from flagdeck.ui import single_instance
from flagdeck.ui.single_instance import InstanceServer, decode, encode, send, server_name

CLIENT = """
import json, sys
from PySide6.QtNetwork import QLocalSocket
from flagdeck.ui.single_instance import decode, send
if sys.argv[1] == "raw":
    sock = QLocalSocket()
    sock.connectToServer(sys.argv[2])
    assert sock.waitForConnected(3000)
    sock.write(sys.argv[3].encode() + b"\\n")
    sock.waitForBytesWritten(3000)
    sock.waitForReadyRead(3000)
    print(json.dumps(decode(bytes(sock.readAll().data()))))
elif sys.argv[1] == "listen":
    from flagdeck.ui.single_instance import InstanceServer
    print(json.dumps(InstanceServer(sys.argv[2]).listen()))
else:
    print(json.dumps(send(json.loads(sys.argv[2]), name=sys.argv[3], timeout_ms=3000)))
"""


def client(qtbot: Any, *args: str) -> Any:
    """A second launch: another process, while this one's event loop serves it."""
    proc = subprocess.Popen([sys.executable, "-c", CLIENT, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=15_000)
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def test_show_request_reaches_the_running_instance(qtbot: Any) -> None:
    server = InstanceServer()
    assert server.listen()
    seen: list[dict[str, Any]] = []
    server.requested.connect(seen.append)
    reply = client(qtbot, "send", json.dumps({"cmd": "show", "page": "rollback"}), server.name)
    assert reply == {"v": 1, "ok": True, "pid": os.getpid()}
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert seen == [{"v": 1, "cmd": "show", "page": "rollback"}]
    server.close()


def test_unknown_commands_and_versions_are_refused(qtbot: Any) -> None:
    server = InstanceServer()
    assert server.listen()
    seen: list[dict[str, Any]] = []
    server.requested.connect(seen.append)
    bad_cmd = client(qtbot, "raw", server.name, json.dumps({"v": 1, "cmd": "rm -rf"}))
    bad_version = client(qtbot, "raw", server.name, json.dumps({"v": 2, "cmd": "show"}))
    not_json = client(qtbot, "raw", server.name, "not json")
    assert bad_cmd["ok"] is False and "unknown command" in bad_cmd["error"]
    assert bad_version["ok"] is False and "protocol version 2" in bad_version["error"]
    assert not_json["ok"] is False
    assert seen == []
    server.close()


def test_a_second_server_does_not_take_over(qtbot: Any) -> None:
    first = InstanceServer()
    assert first.listen()
    assert client(qtbot, "listen", first.name) is False
    assert first.server.isListening()
    first.close()


def test_stale_socket_of_a_crashed_instance_is_replaced(tmp_path: Path) -> None:
    import socket as pysocket

    from PySide6.QtCore import QDir

    name = server_name()
    path = Path(QDir.tempPath()) / name
    stale = pysocket.socket(pysocket.AF_UNIX)
    stale.bind(str(path))  # a socket file nobody listens on, as a killed tray leaves it
    stale.close()
    assert path.exists()
    server = InstanceServer()
    assert server.listen()
    server.close()


def test_name_depends_on_user_and_config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import getpass

    first = server_name()
    assert first.startswith(f"flagdeck-{''.join(c for c in getpass.getuser() if c.isalnum())}-")
    monkeypatch.setenv("FLAGDECK_CONFIG_DIR", str(tmp_path / "other"))
    assert server_name() != first
    assert send({"cmd": "ping"}, timeout_ms=300) is None  # nobody runs for this config dir


def test_messages_are_small_versioned_json() -> None:
    assert encode({"cmd": "show"}) == b'{"v":1,"cmd":"show"}\n'
    with pytest.raises(ValueError):
        decode(b"x" * (single_instance.MAX_MESSAGE + 1))
    with pytest.raises(ValueError):
        decode(b"[1]")
