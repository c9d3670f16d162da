"""Level-1 rollback end to end: on a real Chromium page and on the real demo target."""

from __future__ import annotations

import json
import os
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
            s.call("Page.enable")
            seen = s.event_count("Page.loadEventFired")
            s.call("Page.reload")
            s.wait_event("Page.loadEventFired", timeout=60, after=seen)  # loaded before the session goes
        launch.wait_ready(browser.port or 0, "file://", timeout=30, ready_js="document.title === 'unified=true'")
        proc = run_cli("--user-data-dir", str(tmp_path / "ud"), "--debug-port", str(browser.port), "--json",
                       "rollback", "--yes")
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        assert result["outcome"] == "verified" and result["mode"] == "live"
        assert [s["id"] for s in result["steps"]] == ["capture", "set-flag", "durable", "reload", "verify", "record"]
        assert [s["status"] for s in result["steps"]] == ["done"] * 6
        assert result["durability"]["state"] == "on-disk"
        assert next(s for s in result["steps"] if s["id"] == "durable")["detail"].startswith("on disk in ")
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


def test_a_verified_rollback_survives_the_app_being_killed(start_demo: Any) -> None:
    """The hole in the runbook's manual procedure: VERIFIED, then the app crashes (SIGKILL of its
    whole process group) before Chromium wrote the change; at the next start it ran with the flag
    back ON. flagdeck's rollback is on the disk before it says so."""
    target = start_demo("--fault", "data-loss")
    target.with_flags(ON)
    ud = ("--user-data-dir", str(target.profile), "--debug-port", str(target.port))
    proc = run_cli(*ud, "--json", "rollback", "--yes")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["outcome"] == "verified" and result["durability"]["state"] == "on-disk"
    target.kill()
    again = start_demo("--fault", "data-loss")
    assert again.js("localStorage.getItem('featureFlags')") == OFF
    assert again.js("window.featureFlags.USE_UNIFIED_DB_SERVICE") is False


def test_a_rollback_not_on_disk_in_time_is_memory_only_never_verified(start_demo: Any) -> None:
    target = start_demo()
    target.with_flags(ON)
    ud = ("--user-data-dir", str(target.profile), "--debug-port", str(target.port))
    proc = run_cli(*ud, "--json", "rollback", "--yes", "--no-reload", "--durable-timeout", "0.2")
    assert proc.returncode == 1, proc.stderr
    result = json.loads(proc.stdout)
    assert result["outcome"] == "memory-only" and result["durability"]["state"] == "memory-only"
    assert "NOT DURABLE" in proc.stderr and "in the app's memory only" in proc.stderr
    durable_step = next(s for s in result["steps"] if s["id"] == "durable")
    assert durable_step["status"] == "failed"
    assert [s["status"] for s in result["steps"] if s["id"] == "record"] == ["done"]
    history = json.loads(run_cli(*ud, "--json", "history").stdout)
    assert history[0]["kind"] == "rollback" and history[0]["outcome"] == "failed"
    assert history[0]["message"].startswith("memory-only")


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


def test_status_of_an_app_whose_page_crashed_reads_its_disk(start_demo: Any) -> None:
    target = start_demo("--env", "VITE_USE_UNIFIED_DB_SERVICE=true", "--fault", "crash-on-start", ready=False)
    target.wait_output("renderer")  # the page is gone: nothing to ask over DevTools
    ud = ("--user-data-dir", str(target.profile), "--debug-port", str(target.port))
    proc = run_cli(*ud, "--json", "status")
    assert proc.returncode == 0, proc.stderr
    status = json.loads(proc.stdout)
    assert status["mode"] == "busy", status
    assert any("page does not answer" in n for n in status["notes"])


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


# --- a rollback that fails says so, and leaves the app running -------------------------------------------------


def app_state(target: Any) -> dict[str, Any]:
    """What the running app uses and stores, asked as a user would (``status`` over its debug port)."""
    proc = run_cli("--user-data-dir", str(target.profile), "--debug-port", str(target.port), "--json", "status")
    assert proc.returncode == 0, proc.stderr
    status = json.loads(proc.stdout)
    assert status["mode"] == "live"
    return {"page": status["page_flags"], "stored": status["report"]["document"]["raw"]}


def test_a_restart_rollback_whose_write_fails_starts_the_app_again(start_demo: Any) -> None:
    """The write fails after the app was closed (its backup cannot be made: the target's backup
    folder is a file): the app is started again on its old flags, and the run is a failure
    everywhere (exit code, record, history row), in one line without a traceback."""
    from flagdeck import history
    from flagdeck.targets import process
    from flagdeck.targets.resolve import TargetOptions, resolve

    target = start_demo()
    target.with_flags(ON)
    before = app_state(target)
    assert before == {"page": {"USE_UNIFIED_DB_SERVICE": True}, "stored": ON}
    slug = resolve(TargetOptions(user_data_dir=target.profile)).slug
    backups = Path(os.environ["FLAGDECK_DATA_DIR"]) / "backups"
    backups.mkdir(parents=True)
    (backups / slug).write_text("not a folder")
    old_pid = target.proc.pid
    ud = ("--user-data-dir", str(target.profile), "--debug-port", str(target.port))
    proc = run_cli(*ud, "--json", "rollback", "--restart", "--yes")
    holder = process.lock_holder(target.profile / "Local Storage" / "leveldb" / "LOCK")
    assert holder is not None and holder.pid != old_pid, proc.stderr  # closed, then started again
    assert app_state(target) == before
    assert proc.returncode not in (0, 130), proc.stderr
    assert "Traceback" not in proc.stderr
    result = json.loads(proc.stdout)
    assert [line for line in proc.stderr.splitlines() if line.startswith("flagdeck:")] == [
        f"flagdeck: rollback stopped: {result['error']['message']}"]
    assert result["outcome"] == "failed" and result["mode"] == "restart"
    steps = {s["id"]: s for s in result["steps"]}
    assert [steps[i]["status"] for i in ("capture", "close", "set-flag", "relaunch", "verify", "record")] == [
        "done", "done", "failed", "done", "skipped", "done"]
    assert "started again after the failure (on its previous flags" in steps["relaunch"]["detail"]
    assert json.loads(Path(result["record"]).read_text())["outcome"] == "failed"
    (row,) = history.query(kind="rollback")
    assert row.outcome == "failed" and row.details["outcome"] == "failed"


def test_ctrl_c_after_the_close_still_starts_the_app_and_records_a_failure(start_demo: Any) -> None:
    """A real SIGINT as the write begins (the app already closed): the step fails as interrupted,
    the app is started again on its old flags, the run is recorded as failed, then Ctrl-C goes on up."""
    import signal

    import pytest

    from flagdeck import history
    from flagdeck.rollback import plan as rollback_plan
    from flagdeck.rollback import record
    from flagdeck.rollback.run import StepResult, run
    from flagdeck.targets.resolve import TargetOptions, resolve

    target = start_demo()
    target.with_flags(ON)
    before = app_state(target)
    plan = rollback_plan.prepare(resolve(TargetOptions(user_data_dir=target.profile, debug_port=target.port)),
                                 restart=True)
    seen: list[tuple[str, str]] = []

    def progress(step: StepResult) -> None:
        seen.append((step.id, step.status))
        if step.id == "set-flag" and step.status == "running":
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        run(plan, progress=progress)
    assert app_state(target) == before  # started again
    (saved,) = record.load_all()
    assert saved["outcome"] == "failed" and saved["error"]["kind"] == "interrupted"
    assert {s["id"]: s["status"] for s in saved["steps"]} == {
        "capture": "done", "close": "done", "set-flag": "failed", "relaunch": "done", "verify": "skipped",
        "record": "done"}
    assert ("relaunch", "done") in seen and ("record", "done") in seen
    (row,) = history.query(kind="rollback")
    assert row.outcome == "failed"


# --- the demo's crash-on-start incident ----------------------------------------------------------------------


def test_demo_crash_on_start_ends_verified(user_dirs: Path) -> None:
    """``flagdeck demo --fault crash-on-start`` (the README's fault): the trigger board shows the
    runbook's first critical trigger although no page answers, and the rollback goes the restart
    way (close, offline write, relaunch, verify) by itself."""
    from flagdeck.targets import process

    try:
        proc = run_cli("--json", "demo", "--headless", "--fault", "crash-on-start", timeout=300)
    finally:
        holder = process.lock_holder(user_dirs / "data" / "demo-target" / "Local Storage" / "leveldb" / "LOCK")
        if holder is not None:
            os.kill(holder.pid, 9)
    assert proc.returncode == 0, proc.stderr
    demo = json.loads(proc.stdout)
    board = demo["board"]
    assert board["level"] == "level-1-now" and board["flag_state"] == {"USE_UNIFIED_DB_SERVICE": None}
    assert {"severity": "critical", "runbook": "Application crashes on startup", "source": "renderer"}.items() <= \
        board["triggers"][0].items()
    rollback = demo["rollback"]
    assert rollback["mode"] == "restart" and rollback["outcome"] == "verified"
    assert [s["id"] for s in rollback["steps"]] == ["capture", "close", "set-flag", "relaunch", "verify", "record"]
    assert demo["stopped"]
