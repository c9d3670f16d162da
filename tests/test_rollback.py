"""Level-1 rollback end to end: on a real Chromium page and on the real demo target."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flagdeck.storage.leveldb_store import LevelDBStore
from flagdeck.targets import launch
from tests.conftest import needs_chromium, run_cli
from tests.engines.chromium import page_app

ON = '{"USE_UNIFIED_DB_SERVICE":true}'
OFF = '{"USE_UNIFIED_DB_SERVICE":false}'

# The seed app's flag init (Cherry Studio featureFlags.ts), without exposing window.featureFlags:
# flagdeck must read the effective flags from the page's own [FeatureFlags] console line.
SEED_PAGE = """<!doctype html><title>seed app</title><script>
const defaults = { USE_UNIFIED_DB_SERVICE: false };
const flags = { ...defaults };
try {
  const stored = localStorage.getItem('featureFlags');
  if (stored) {
    const parsed = JSON.parse(stored);
    for (const key of Object.keys(parsed)) {
      if (key in defaults) {
        flags[key] = parsed[key];
        console.log(`[FeatureFlags] ${key} set to ${parsed[key]} via localStorage`);
      }
    }
  }
} catch (e) { console.warn('[FeatureFlags] Failed to parse featureFlags from localStorage', e); }
console.log('[FeatureFlags] Current flags:', flags);
document.title = 'unified=' + flags.USE_UNIFIED_DB_SERVICE;
</script>"""


def test_capture_takes_the_error_logs_by_the_evidence_rules(tmp_path: Path) -> None:
    """The pre-rollback capture copies the app's error logs as an evidence bundle takes them: the
    preset's log folder (``logs`` when it names none), the last lines of each, within a day."""
    import os
    import stat
    import time
    from types import SimpleNamespace

    from flagdeck.evidence import files
    from flagdeck.rollback.capture import Capture, capture_logs

    profile = tmp_path / "ud"
    (profile / "logs").mkdir(parents=True)
    lines = [f"2099-01-01T00:00:00Z error {n}\n" for n in range(files.MAX_LINES + 500)]
    (profile / "logs" / "app-error.log").write_text("".join(lines))
    (profile / "logs" / "info.log").write_text("not an error log\n")
    old = profile / "logs" / "old-error.log"
    old.write_text("last week\n")
    os.utime(old, (time.time() - 7 * 86400,) * 2)
    (tmp_path / "cap").mkdir()
    cap = Capture(tmp_path / "cap")
    capture_logs(SimpleNamespace(user_data_dir=profile, preset=None), cap)  # type: ignore[arg-type]
    assert cap.files["error_logs"] == "logs/" and cap.counts["error_log_files"] == 1 and not cap.manual
    copied = tmp_path / "cap" / "logs" / "app-error.log"
    assert copied.read_text().splitlines() == [line.rstrip("\n") for line in lines[-files.MAX_LINES:]]
    assert stat.S_IMODE(copied.stat().st_mode) == 0o600
    assert sorted(p.name for p in copied.parent.iterdir()) == ["app-error.log"]

    nowhere = Capture(tmp_path / "cap")
    capture_logs(SimpleNamespace(user_data_dir=tmp_path / "no-such-profile", preset=None), nowhere)  # type: ignore[arg-type]
    assert nowhere.manual == ["error logs: no log folder is known for this app (the preset names none, or it does "
                              "not exist); save them by hand"]
    assert "error_logs" not in nowhere.files


@needs_chromium
def test_rollback_on_a_chromium_page(tmp_path: Path) -> None:
    browser = page_app(tmp_path, SEED_PAGE)
    try:
        with browser.session() as s:
            s.evaluate(f"localStorage.setItem('featureFlags', {json.dumps(ON)})")
            s.call("Page.reload")
        launch.wait_ready(browser.port or 0, "file://", timeout=30, ready_js="document.title === 'unified=true'")
        proc = run_cli("--user-data-dir", str(tmp_path / "ud"), "--debug-port", str(browser.port), "--json",
                       "rollback", "--yes")
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        assert result["outcome"] == "verified" and result["mode"] == "live"
        assert [s["status"] for s in result["steps"]] == ["done"] * 5
        flag = next(r for r in result["verify"]["results"] if r["id"] == "flag")
        assert flag["status"] == "pass" and "console" in flag["detail"]
        with browser.session() as s:
            title, stored = s.evaluate("[document.title, localStorage.getItem('featureFlags')]")
            assert title == "unified=false"  # the reloaded page runs with it off
            assert stored == OFF
        record = Path(result["record"]).parent
        assert (record / "screenshot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        console = json.loads((record / "console.json").read_text())
        assert any("[FeatureFlags] Current flags" in c["text"] for c in console)
    finally:
        browser.close()


def test_rollback_data_loss_on_the_demo_target(start_demo: Any) -> None:
    target = start_demo("--fault", "data-loss")
    target.with_flags(ON)
    ud = ("--user-data-dir", str(target.profile), "--debug-port", str(target.port))
    before = run_cli(*ud, "verify", "--no-watch")
    assert before.returncode == 1 and "data-loss" in before.stderr
    proc = run_cli(*ud, "--json", "rollback", "--yes")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["outcome"] == "verified"
    assert result["flag_before"] == ON and result["flag_after"] == OFF
    assert {r["id"]: r["status"] for r in result["verify"]["results"]}["data-loss"] == "pass"
    assert target.js("window.demoProbes.health()")["path"] == "original"
    after = run_cli(*ud, "verify", "--no-watch")
    assert after.returncode == 0, after.stdout
    record = json.loads(Path(result["record"]).read_text())
    assert record["capture"]["baseline"]["indexeddb"]["CherryStudio"]["messages"] >= 300
    assert set(record["capture"]["files"]) >= {"screenshot", "console", "performance", "logger", "data_counts"}


def test_rollback_crash_on_start_restarts_the_app(start_demo: Any) -> None:
    target = start_demo("--env", "VITE_USE_UNIFIED_DB_SERVICE=true", "--fault", "crash-on-start", ready=False)
    target.wait_output("renderer")
    ud = ("--user-data-dir", str(target.profile), "--debug-port", str(target.port))
    assert run_cli(*ud, "verify", "--no-watch").returncode == 1
    proc = run_cli(*ud, "--json", "rollback", "--yes")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["mode"] == "restart" and result["outcome"] == "verified"
    assert [s["id"] for s in result["steps"]] == ["capture", "close", "set-flag", "relaunch", "verify", "record"]
    state = json.loads((target.profile / "demo-target.json").read_text())
    assert "crash-on-start" in state["command"]  # relaunched the way it was started
    assert state["status"] == "ready" and state["page"]["path"] == "original"


def test_rollback_needs_restart_without_debug_port(start_demo: Any) -> None:
    target = start_demo("--env", "VITE_USE_UNIFIED_DB_SERVICE=true", port=False)
    ud = ("--user-data-dir", str(target.profile))
    refused = run_cli(*ud, "rollback", "--yes")
    assert refused.returncode == 3 and "--restart" in refused.stderr
    proc = run_cli(*ud, "--json", "rollback", "--yes", "--restart")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["outcome"] == "verified" and result["mode"] == "restart"
    state = json.loads((target.profile / "demo-target.json").read_text())
    assert state["port"] and state["page"]["path"] == "original"


def test_rollback_offline_when_the_app_is_closed(start_demo: Any) -> None:
    target = start_demo()
    target.with_flags(ON)
    target.stop()
    proc = run_cli("--user-data-dir", str(target.profile), "--json", "rollback", "--yes")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["mode"] == "offline" and result["outcome"] == "unverified"
    with LevelDBStore.open_read(target.profile / "Local Storage" / "leveldb") as store:
        assert store.get("file://", "featureFlags") == OFF


def test_dry_run_and_confirmation_change_nothing(start_demo: Any) -> None:
    target = start_demo()
    target.with_flags(ON)
    ud = ("--user-data-dir", str(target.profile), "--debug-port", str(target.port))
    dry = run_cli(*ud, "rollback", "--dry-run")
    assert dry.returncode == 0 and "Set USE_UNIFIED_DB_SERVICE to false over DevTools" in dry.stdout
    unconfirmed = run_cli(*ud, "rollback")
    assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr
    assert target.js("localStorage.getItem('featureFlags')") == ON
    assert json.loads(run_cli(*ud, "--json", "backups").stdout) == []


def test_no_reload_writes_without_verifying(start_demo: Any) -> None:
    target = start_demo()
    target.with_flags(ON)
    ud = ("--user-data-dir", str(target.profile), "--debug-port", str(target.port))
    proc = run_cli(*ud, "--json", "rollback", "--yes", "--no-reload")
    result = json.loads(proc.stdout)
    assert proc.returncode == 0 and result["outcome"] == "written" and result["verify"] is None
    assert target.js("localStorage.getItem('featureFlags')") == OFF
    assert target.js("window.featureFlags.USE_UNIFIED_DB_SERVICE") is True  # not reloaded


def test_launch_starts_with_a_debug_port(start_demo: Any) -> None:
    target = start_demo()
    target.stop()
    ud = ("--target", "demo", "--user-data-dir", str(target.profile))  # a folder alone names no command
    proc = run_cli(*ud, "--json", "launch")
    assert proc.returncode == 0, proc.stderr
    started = json.loads(proc.stdout)
    status = json.loads(run_cli(*ud, "--json", "status").stdout)  # found through DevToolsActivePort
    assert status["mode"] == "live" and status["target"]["debug_port"] == started["port"]
    again = run_cli(*ud, "launch")
    assert again.returncode == 3 and "--restart" in again.stderr
    restarted = json.loads(run_cli(*ud, "--json", "launch", "--restart").stdout)
    assert restarted["pid"] != started["pid"]


@needs_chromium
def test_closing_an_app_asks_only_its_own_port(tmp_path: Path, running_chromium: Any,
                                               chromium_profile: Path) -> None:
    """A stale port naming another program's browser: that browser is not told to close; the app
    gets a signal instead and its storage lock is let go."""
    from flagdeck.targets.locate import leveldb_in

    (tmp_path / "other").mkdir()
    other = page_app(tmp_path / "other", "<title>another program</title>")
    try:
        lock = leveldb_in(chromium_profile)[1] / "LOCK"
        launch.close_gracefully(running_chromium.proc.pid, lock, port=other.port, timeout=30)
        # ended, not only its main thread (a zombie leader whose other threads still run)
        assert running_chromium.proc.poll() is not None
        assert other.proc.poll() is None  # Browser.close never reached the other browser
    finally:
        other.close()


def test_an_app_whose_main_thread_ended_has_not_exited_yet() -> None:
    """A zombie main thread with other threads still running (as Chromium's browser process is for
    a moment on SIGTERM) is waited for: only then may the app be relaunched on its profile."""
    import subprocess
    import sys
    import time

    import psutil

    code = ("import ctypes, threading, time; threading.Thread(target=time.sleep, args=(2.0,)).start(); "
            "ctypes.CDLL(None).pthread_exit(None)")
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        watched = psutil.Process(proc.pid)
        deadline = time.monotonic() + 10
        while watched.status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
            time.sleep(0.01)
        assert proc.poll() is None  # the main thread has ended; the process has not
        launch._wait_exit(watched, timeout=10)
        assert proc.poll() == 0
    finally:
        proc.kill()
        proc.wait()
