"""Fleet mode against a real Unleash (unleash-server 6 on Node, with a real PostgreSQL; one server
for the session, see ``tests/unleash_server.py``): a flag created through the admin API, flipped
there, reaches a closed app's profile written by a real QtWebEngine and the live demo target. The
API token lives in the keyring, never in a file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.conftest import FLAGS_ON, cli_json, run_cli
from tests.fleet_support import FLAG, stored_flags


def _flag(unleash: Any, on: bool) -> None:
    if not unleash.has_flag(FLAG):
        unleash.create_flag(FLAG)
    unleash.switch(FLAG, on)


def _connect(unleash: Any, *target: str, token: str | None = None) -> Any:
    return run_cli(*target, "--json", "fleet", "connect", "unleash", "--url", unleash.url, "--token-stdin",
                   "--interval", "1", input=(token or unleash.client_token) + "\n")


def _actions(out: dict[str, Any]) -> list[tuple[str, str]]:
    return [(o["outcome"], o["action"]) for o in out["outcomes"]]


def test_a_flag_flipped_in_unleash_reaches_a_closed_apps_profile(unleash: Any, qtwe_profile: Path,
                                                                file_keyring: Path) -> None:
    target = ["--user-data-dir", str(qtwe_profile)]
    leveldb = qtwe_profile / "Local Storage" / "leveldb"
    _flag(unleash, True)

    refused = _connect(unleash, *target, token="*:development.not-a-token")
    assert refused.returncode == 1 and "token was refused" in refused.stderr, refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr
    assert not (Path(os.environ["FLAGDECK_CONFIG_DIR"]) / "fleet" ).exists() or not any(
        (Path(os.environ["FLAGDECK_CONFIG_DIR"]) / "fleet").glob("*.json"))

    proc = _connect(unleash, *target)
    assert proc.returncode == 0, proc.stderr
    connected = json.loads(proc.stdout)
    assert connected["managed"] == [FLAG] and connected["health"]["state"] == "connected"
    [config] = (Path(os.environ["FLAGDECK_CONFIG_DIR"]) / "fleet").glob("*.json")
    assert unleash.client_token not in config.read_text() and "flagdeck-client-token" not in config.read_text()
    assert json.loads(config.read_text())["keyring"]["user"].startswith("fleet:")
    assert file_keyring.exists() and "fleet" in file_keyring.read_text()  # there, base64-encoded

    assert stored_flags(leveldb) == json.loads(FLAGS_ON)
    first = cli_json(*target, "fleet", "sync")
    assert first["outcomes"] == [] and first["flags"][0]["action"] == "in-sync", first

    _flag(unleash, False)  # the team's kill switch
    killed = cli_json(*target, "fleet", "sync")
    assert _actions(killed) == [("applied", "kill-switch")], (killed["flags"], killed["health"], killed["pins"])
    assert stored_flags(leveldb) == {FLAG: False}

    _flag(unleash, True)
    back = cli_json(*target, "fleet", "sync")
    assert _actions(back) == [("applied", "apply")] and back["outcomes"][0]["mode"] == "offline", back
    assert stored_flags(leveldb) == {FLAG: True}

    status = cli_json(*target, "fleet", "status")
    assert status["health"]["state"] == "connected" and status["flags"][0]["action"] == "in-sync"
    assert [o["action"] for o in status["last_outcomes"]] == ["kill-switch", "apply"]

    # The server out of reach: its last flags (UnleashClient's cache) still answer; stale, exit 1.
    kept = json.loads(config.read_text())
    config.write_text(json.dumps({**kept, "url": "http://127.0.0.1:9/api"}))
    stale = run_cli(*target, "--json", "fleet", "sync")
    out = json.loads(stale.stdout)
    assert stale.returncode == 1 and out["health"]["state"] == "stale" and out["outcomes"] == [], stale.stdout
    assert "not reached" in out["health"]["detail"] and out["flags"][0]["fleet"]["value"] is True
    config.write_text(json.dumps(kept))

    gone = cli_json(*target, "fleet", "disconnect")
    assert gone["note"] is None and "fleet" not in file_keyring.read_text()
    assert run_cli(*target, "fleet", "sync").returncode == 2


def test_a_flag_flipped_in_unleash_reaches_the_live_demo_target(unleash: Any, start_demo: Any,
                                                                file_keyring: Path) -> None:
    """Live: the write is confirmed on the app's disk and the page runs the new value; the kill
    switch runs the verified Level-1 rollback."""
    demo = start_demo()
    target = ["--user-data-dir", str(demo.profile)]
    _flag(unleash, False)
    assert _connect(unleash, *target).returncode == 0

    _flag(unleash, True)
    # Not on the app's disk yet (no reload, no wait for Chromium's commit): pending, not applied.
    unsaved = run_cli(*target, "--json", "fleet", "sync", "--no-reload", "--durable-timeout", "0")
    assert unsaved.returncode == 1, unsaved.stderr
    out = json.loads(unsaved.stdout)
    assert _actions(out) == [("pending", "apply")] and out["pending"][FLAG]["kind"] == "not-durable", out
    on = cli_json(*target, "fleet", "sync")  # the page is parked so Chromium commits: applied now
    assert on["pending"] == {} and _actions(on) in ([("applied", "apply")], []), on  # [] if Chromium was first
    if on["outcomes"]:
        assert on["outcomes"][0]["mode"] == "live" and on["outcomes"][0]["durability"]["state"] == "on-disk"
    status = cli_json(*target, "fleet", "status")
    [flag] = status["flags"]
    assert (flag["action"], flag["local"], flag["page"]) == ("in-sync", True, True), flag
    assert stored_flags(demo.profile / "Local Storage" / "leveldb") == {FLAG: True}

    _flag(unleash, False)
    killed = cli_json(*target, "fleet", "sync")
    assert _actions(killed) == [("applied", "kill-switch")], (killed["flags"], killed["health"], killed["pins"])
    assert ": verified" in killed["outcomes"][0]["detail"], killed["outcomes"][0]
    assert stored_flags(demo.profile / "Local Storage" / "leveldb") == {FLAG: False}
    assert cli_json(*target, "fleet", "status")["flags"][0]["page"] is False
