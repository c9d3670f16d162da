"""The CLI in live mode against running Chromium and QtWebEngine pages (no fake CDP)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import cli_json, needs_chromium, run_cli
from tests.live_support import FILE, LiveApp, listener_process, start_app

ON = '{"USE_UNIFIED_DB_SERVICE":true}'
OFF = '{"USE_UNIFIED_DB_SERVICE":false}'
PAGES = {FILE: {"featureFlags": ON, "persist:cherry-studio": '{"a":"b"}', "keep": "☃"}}


@pytest.fixture(params=[pytest.param("chromium", marks=needs_chromium), "qtwebengine"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveApp]:
    running = start_app(request.param, tmp_path / "ud", PAGES)
    try:
        yield running
    finally:
        running.kill()


def test_live_write_with_reload(app: LiveApp) -> None:
    ud = ("--user-data-dir", str(app.user_data_dir), "--debug-port", str(app.port))
    status = cli_json(*ud, "status")
    assert status["mode"] == "live" and status["origin"] == FILE
    assert status["report"]["flags"][0]["enabled"] is True

    out = cli_json(*ud, "flags", "set", "USE_UNIFIED_DB_SERVICE=false", "--reload")
    assert (out["mode"], out["before"], out["after"], out["reloaded"]) == ("live", ON, OFF, True)
    assert out["durability"]["state"] == "on-disk"
    assert app.page_eval(FILE, "localStorage.getItem('featureFlags')") == OFF
    assert app.page_eval(FILE, "localStorage.getItem('keep')") == "☃"
    backups = cli_json(*ud, "backups")
    assert [(b["mode"], b["flag_value"], b["folder_copy"]) for b in backups] == [("live", ON, False)]
    # Durable means on the disk: a crash right now (SIGKILL of the app and its helpers) keeps it.
    app.kill()
    disk = cli_json("--user-data-dir", str(app.user_data_dir), "status")
    assert disk["mode"] == "offline" and disk["report"]["document"]["raw"] == OFF


def test_a_live_write_not_on_disk_in_time_fails_loudly(app: LiveApp) -> None:
    """Without --reload flagdeck waits for Chromium's own commit (5 s and more); past the limit the
    write is reported as in the app's memory only, exit 1, never as success."""
    ud = ("--user-data-dir", str(app.user_data_dir), "--debug-port", str(app.port))
    proc = run_cli(*ud, "flags", "set", "USE_UNIFIED_DB_SERVICE=false", "--durable-timeout", "0.3")
    assert proc.returncode == 1, proc.stderr
    assert "NOT DURABLE: in the app's memory only" in proc.stdout
    assert "Traceback" not in proc.stderr
    history = cli_json(*ud, "history")
    assert history[0]["outcome"] == "failed" and "memory only" in history[0]["message"]
    proc = run_cli(*ud, "--json", "flags", "unset", "USE_UNIFIED_DB_SERVICE", "--durable-timeout", "0.3")
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["durability"]["state"] == "memory-only"
    assert "in the app's memory only" in proc.stderr


def test_live_restore(app: LiveApp) -> None:
    ud = ("--user-data-dir", str(app.user_data_dir), "--debug-port", str(app.port))
    first = cli_json(*ud, "flags", "set", "USE_UNIFIED_DB_SERVICE=false", "--reload")
    out = cli_json(*ud, "restore", first["backup"]["id"], "--yes", "--reload")
    assert out["durability"]["state"] == "on-disk" and out["reloaded"] is True
    assert app.page_eval(FILE, "localStorage.getItem('featureFlags')") == ON
    app.kill()
    assert cli_json("--user-data-dir", str(app.user_data_dir), "status")["report"]["document"]["raw"] == ON


@pytest.mark.parametrize("bind", ["0.0.0.0", "127.0.0.1"])
def test_refuses_a_port_that_is_not_the_apps(app: LiveApp, bind: str) -> None:
    with listener_process(bind) as (port, _pid):
        proc = run_cli("--user-data-dir", str(app.user_data_dir), "--debug-port", str(port), "--json",
                       "flags", "set", "USE_UNIFIED_DB_SERVICE=false")
    assert proc.returncode == 2, proc.stderr
    assert json.loads(proc.stdout)["error"]["kind"] == "unsafe-debug-port"
    assert ("loopback" in proc.stderr) if bind == "0.0.0.0" else ("not the app" in proc.stderr
                                                                     or "belongs to" in proc.stderr)
    assert app.page_eval(FILE, "localStorage.getItem('featureFlags')") == ON  # nothing sent


@needs_chromium
def test_devtools_active_port_is_found_and_goes_stale(tmp_path: Path) -> None:
    app = start_app("chromium", tmp_path / "ud", PAGES)
    try:
        assert cli_json("--user-data-dir", str(app.user_data_dir), "status")["mode"] == "live"
    finally:
        app.close()
    status = cli_json("--user-data-dir", str(app.user_data_dir), "status")
    assert status["mode"] == "offline"
    assert any("nothing listens on debug port" in n for n in status["notes"])
    out = cli_json("--user-data-dir", str(app.user_data_dir), "flags", "set", "USE_UNIFIED_DB_SERVICE=false")
    assert out["mode"] == "offline"


def test_a_debug_port_alone_finds_the_profile_the_app_holds(app: LiveApp) -> None:
    """Known only by its port (no profile found where the options point): the profile is the
    one the app behind the port holds open, so the write is still confirmed on its disk."""
    out = cli_json("--debug-port", str(app.port), "flags", "set", "USE_UNIFIED_DB_SERVICE=false", "--reload")
    assert out["target"]["leveldb_dir"] == str(app.leveldb)
    assert out["durability"]["state"] == "on-disk"
    assert app.page_eval(FILE, "localStorage.getItem('featureFlags')") == OFF


def test_a_debug_port_without_a_profile_says_durability_cannot_be_confirmed(tmp_path: Path) -> None:
    with listener_process("127.0.0.1") as (port, _pid):
        proc = run_cli("--debug-port", str(port), "flags", "set", "USE_UNIFIED_DB_SERVICE=false")
    assert proc.returncode == 2, proc.stderr
    assert "could not be confirmed on its disk" in proc.stderr and "--user-data-dir" in proc.stderr
    assert "Traceback" not in proc.stderr
