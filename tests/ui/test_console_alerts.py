"""Team alerts from the console (``flagdeck notify``): set up a webhook (its URL to the keyring),
send a test to a real local HTTP receiver, see the outbox, remove it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from flagdeck import notify


@pytest.fixture
def receiver() -> Iterator[list[dict[str, Any]]]:
    bodies: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0)))))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    bodies.append({"url": f"http://127.0.0.1:{server.server_address[1]}/hooks/team-a/secret"})
    try:
        yield bodies
    finally:
        server.shutdown()
        server.server_close()


def test_setup_test_and_remove(console_on: Any, live_demo: Any, file_keyring: Path,
                               receiver: list[dict[str, Any]]) -> None:
    from flagdeck.ui.console.alerts_dialog import AlertsDialog

    shell, console = console_on(live_demo)
    console.team_alerts()
    dialog = console.alerts
    assert isinstance(dialog, AlertsDialog)
    shell.qtbot.waitUntil(lambda: "Keyring:" in dialog.keyring.text(), timeout=10_000)
    dialog.name.setText("team-a")
    dialog.kind.setCurrentIndex(dialog.kind.findData("json"))
    dialog.url.setText(receiver[0]["url"])
    dialog.add()
    shell.qtbot.waitUntil(lambda: dialog.hooks.rowCount() == 1, timeout=10_000)
    assert dialog.hooks.item(0, 2).text() == f"{receiver[0]['url'].split('/hooks')[0]}/hooks/…"
    assert "secret" not in dialog.hooks.item(0, 2).text() and dialog.url.text() == ""
    dialog.hooks.selectRow(0)
    dialog.test()
    shell.qtbot.waitUntil(lambda: len(receiver) == 2, timeout=20_000)
    assert receiver[1]["event"] == "test"
    shell.qtbot.waitUntil(lambda: "delivered" in dialog.banner.text.text(), timeout=10_000)
    assert dialog.outbox.text() == "Outbox: 0 waiting, 0 failed"
    dialog.remove()
    shell.qtbot.waitUntil(lambda: dialog.hooks.rowCount() == 0, timeout=10_000)
    assert notify.status().webhooks == []
    log = console.show_page("log")
    actions = [log.table.item(r, 1).text() for r in range(log.table.rowCount())]
    assert "Set up a team alert webhook" in actions and "Test team alert" in actions
    dialog.close()
