"""Timed toggles end to end: ``flags set NAME=VALUE --for D`` on a real Chromium profile and on the
live demo target; the way back happens in the detached timer process with no other flagdeck
running, survives the terminal closing and the process being killed, waits out a busy profile and
never clobbers a newer decision."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from flagdeck import history, timers, timers_due
from tests import system_deps
from tests.conftest import FLAGS_ON, REPO, cli_json, leveldb_dump, needs_chromium, run_cli
from tests.engines.chromium import Chromium

FLAG = "USE_UNIFIED_DB_SERVICE"
SCRIPT = shutil.which("script")
OFF = '{"USE_UNIFIED_DB_SERVICE":false}'


def _stored(profile: Path) -> str | None:
    from flagdeck.storage.leveldb_store import LevelDBStore

    with LevelDBStore.open_read(profile / "Default" / "Local Storage" / "leveldb") as store:
        return store.get("file://", "featureFlags")


def _wait_until(what: str, check: Any, timeout: float = 60.0) -> Any:
    """Poll ``check`` (files, not a flagdeck command: any command would fire the timer itself)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _ended(ident: str) -> dict[str, Any]:
    return _wait_until(f"timer {ident} to end", lambda: timers.finished(ident) if timers.load(ident) is None
                       else None)


def _process_recorded(ident: str) -> int:
    """The pid the timer process recorded once it claimed its timer."""
    def pid() -> int | None:
        t = timers.load(ident)
        return t.pid if t is not None and t.pid and timers.claimed(ident) else None
    return int(_wait_until("the timer process to claim its timer", pid, timeout=30))


@needs_chromium
@system_deps.needs(SCRIPT is None, "script (util-linux, Debian's bsdutils) not installed")
def test_revert_in_the_detached_process_survives_the_terminal_closing(chromium_profile: Path) -> None:
    """The CLI runs in a real pseudo-terminal (a session of its own, as a shell's); the terminal is
    closed when it exits. The timer process has its own session, no terminal and /dev/null for stdio,
    and reverts with no other flagdeck process running: a backup, a history row, a done record."""
    argv = [sys.executable, "-m", "flagdeck", "--user-data-dir", str(chromium_profile), "--json",
            "flags", "set", f"{FLAG}=false", "--for", "2s"]
    # script(1) runs it on a new pseudo-terminal as a session leader (as a terminal's shell) and
    # closes the terminal when the command exits: SIGHUP for everything still attached to it.
    proc = subprocess.run([SCRIPT, "-qec", shlex.join(argv), "/dev/null"], capture_output=True, text=True,
                          timeout=120, cwd=REPO, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = proc.stdout.replace("\r\n", "\n")
    result = json.loads(text[text.index("{"):])
    assert result["after"] == OFF and [t["flag"] for t in result["timers"]] == [FLAG]
    ident = result["timers"][0]["id"]
    assert _stored(chromium_profile) == OFF

    proc_pid = _process_recorded(ident)
    assert os.getsid(proc_pid) == proc_pid != os.getsid(0)  # a session of its own
    for fd in (0, 1, 2):
        assert os.readlink(f"/proc/{proc_pid}/fd/{fd}") == "/dev/null"
    with open(f"/proc/{proc_pid}/stat") as fh:
        tty_nr = int(fh.read().rsplit(")", 1)[1].split()[4])
    assert tty_nr == 0  # no controlling terminal

    record = _ended(ident)
    assert record["outcome"] == "reverted", record
    assert record["durability"]["state"] == "on-disk"
    assert _stored(chromium_profile) == FLAGS_ON
    rows = history.query(kind="timed-revert")
    assert [(r.how, r.outcome, r.before, r.after) for r in rows] == [("timer", "ok", OFF, FLAGS_ON)]
    from flagdeck.backups import BackupStore

    assert [b.reason for b in BackupStore().list()][:2] == ["timed revert", "flags set"]
    dump = leveldb_dump(chromium_profile / "Default" / "Local Storage" / "leveldb")
    assert any(b"persist:cherry-studio" in k for k in dump)  # every other key intact
    _wait_until("the timer process to exit", lambda: not _alive(proc_pid), timeout=10)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (our grandchild reaped by init later) counts as gone
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@needs_chromium
def test_a_killed_timer_process_loses_nothing(chromium_profile: Path) -> None:
    ud = ("--user-data-dir", str(chromium_profile))
    result = cli_json(*ud, "flags", "set", f"{FLAG}=false", "--for", "3s")
    ident = result["timers"][0]["id"]
    os.kill(_process_recorded(ident), signal.SIGKILL)
    due = timers.load(ident).due_at.timestamp()  # type: ignore[union-attr]
    _wait_until("the timer to be due", lambda: time.time() > due + 0.1)
    assert timers.load(ident) is not None and _stored(chromium_profile) == OFF  # nobody fired it

    proc = run_cli(*ud, "--json", "status")  # any command: it fires the overdue timer first
    assert proc.returncode == 0, proc.stderr
    assert f"flagdeck: overdue timer {ident} ({FLAG} false -> back to true): {FLAG} back to true" in proc.stderr
    assert json.loads(proc.stdout)["report"]["document"]["raw"] == FLAGS_ON
    assert timers.finished(ident)["outcome"] == "reverted"  # type: ignore[index]
    assert cli_json("timers") == []


@needs_chromium
def test_a_busy_profile_is_retried_never_written(chromium_profile: Path) -> None:
    """At the due time Chromium runs on the profile without a debug port: the timer retries (no
    backup, no write, no history row) and reverts once the browser is closed."""
    ud = ("--user-data-dir", str(chromium_profile))
    ident = cli_json(*ud, "flags", "set", f"{FLAG}=false", "--for", "4s")["timers"][0]["id"]
    browser = Chromium(chromium_profile, debug_port=None)
    try:
        t = _wait_until("a busy retry", lambda: (x := timers.load(ident)) is not None and x.state == "retrying" and x)
        assert "holds the storage" in (t.last_error or "")
        from flagdeck.backups import BackupStore

        assert [b.reason for b in BackupStore().list()] == ["flags set"]
        assert history.query(kind="timed-revert") == []
        listed = cli_json("timers")  # the state a person sees
        assert listed[0]["id"] == ident and listed[0]["state"] == "retrying"
    finally:
        browser.close()
    record = _ended(ident)
    assert record["outcome"] == "reverted", record
    assert _stored(chromium_profile) == FLAGS_ON


@needs_chromium
def test_list_cancel_replace_and_supersede(chromium_profile: Path) -> None:
    ud = ("--user-data-dir", str(chromium_profile))
    first = cli_json(*ud, "flags", "set", f"{FLAG}=false", "--for", "1h")["timers"][0]
    listed = cli_json("timers")
    assert [(t["id"], t["flag"], t["value"], t["back"], t["back_present"]) for t in listed] == [
        (first["id"], FLAG, False, True, True)]
    text = run_cli("timers").stdout
    assert first["id"] in text and "BACK TO" in text and "true" in text

    # Again with --for: the new timer replaces the old one and keeps the original way back.
    again = cli_json(*ud, "flags", "set", f"{FLAG}=false", "--for", "2h")
    assert again["replaced_timers"] == [first["id"]] and again["timers"][0]["back"] is True
    second = again["timers"][0]["id"]
    assert timers.finished(first["id"])["outcome"] == "replaced"  # type: ignore[index]

    # cancel: the flag keeps its value, the process ends, the timer is gone.
    pid = _process_recorded(second)
    out = cli_json("timers", "cancel", second[:4])
    assert out["cancelled"]["id"] == second
    _wait_until("the cancelled timer's process to exit", lambda: not _alive(pid), timeout=15)
    assert cli_json("timers") == [] and _stored(chromium_profile) == OFF
    proc = run_cli("timers", "cancel", second)
    assert proc.returncode == 2 and "already ended (cancelled" in proc.stderr

    # A plain write of a timed flag is a newer decision: its timer ends.
    third = cli_json(*ud, "flags", "unset", FLAG, "--for", "1h")["timers"][0]
    assert (third["present"], third["back"]) == (False, False)
    proc = run_cli(*ud, "flags", "set", f"{FLAG}=true")
    assert proc.returncode == 0 and f"timer {third['id']} ({FLAG}) cancelled" in proc.stderr
    assert cli_json("timers") == []

    # Nothing to put back: no timer.
    same = cli_json(*ud, "flags", "set", f"{FLAG}=true", "--for", "5m")
    assert same["timers"] == [] and "no timer" in same["timer_notes"][0]


@pytest.mark.parametrize("bad", ["0s", "soon", "-5m", "31d"])
def test_a_bad_duration_is_one_line_and_writes_nothing(bad: str, qtwe_profile: Path) -> None:
    before = leveldb_dump(qtwe_profile / "Local Storage" / "leveldb")
    proc = run_cli("--user-data-dir", str(qtwe_profile), "flags", "set", f"{FLAG}=false", "--for", bad)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert leveldb_dump(qtwe_profile / "Local Storage" / "leveldb") == before
    assert not timers_due.any_stored()


def test_the_overdue_hook_finds_the_data_dir_without_platformdirs(monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    from flagdeck import paths

    monkeypatch.delenv("FLAGDECK_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert Path(timers_due.timers_dir()) == paths.data_dir() / "timers"
    code = ("import sys, flagdeck.timers_due as t; t.any_stored(); "
            "print(sorted(m for m in sys.modules if 'platformdirs' in m or m.startswith('flagdeck.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert out.stdout.strip() == "['flagdeck.timers_due']", out.stdout + out.stderr


# --- the live demo target -------------------------------------------------------------------------


def test_live_revert_and_a_manual_change_wins_on_the_demo_target(start_demo: Any) -> None:
    """Live with --reload: the timer process reverts through DevTools, confirmed on the app's disk,
    and the page runs the old value again. Then a second timer: the app itself changes the flag in
    between (as a person in DevTools would); at the due time the newer decision wins."""
    target = start_demo()
    target.with_flags(OFF)
    ud = ("--user-data-dir", str(target.profile), "--debug-port", str(target.port))
    on = '{"USE_UNIFIED_DB_SERVICE":true}'
    out = cli_json(*ud, "flags", "set", f"{FLAG}=true", "--for", "1s", "--reload")
    assert out["durability"]["state"] == "on-disk" and out["mode"] == "live"
    ident = out["timers"][0]["id"]
    record = _ended(ident)
    assert record["outcome"] == "reverted" and record["durability"]["state"] == "on-disk", record
    assert target.js("localStorage.getItem('featureFlags')") == OFF
    assert target.js("window.featureFlags.USE_UNIFIED_DB_SERVICE") is False  # reloaded: the page runs it

    target.with_flags(None)  # no stored flags: the timer would go back to absent, the app's default
    second = cli_json(*ud, "flags", "set", f"{FLAG}=true", "--for", "2s", "--reload")["timers"][0]
    assert second["back_present"] is False
    second = second["id"]
    manual = OFF  # stored explicitly by hand: going back to absent would throw that decision away
    target.js(f"localStorage.setItem('featureFlags', {json.dumps(manual)})")
    record = _ended(second)
    assert record["outcome"] == "dropped" and "a newer decision wins" in record["message"], record
    assert target.js("localStorage.getItem('featureFlags')") == manual
    rows = history.query(kind="timed-revert")
    assert rows[0].outcome == "ok" and "newer decision" in (rows[0].message or "")
    assert on not in (rows[0].after or "")


def test_a_revert_not_on_the_apps_disk_is_retried_never_counted_done(start_demo: Any) -> None:
    """Live without --reload, Chromium keeps the revert in memory for seconds: past the timer's
    durable timeout it is not done but ``unconfirmed`` (listed so, no done record, no ok row), and
    the next attempt confirms it from the disk once the app has written it (here: closed)."""
    target = start_demo()
    target.with_flags(OFF)
    ud = ("--user-data-dir", str(target.profile), "--debug-port", str(target.port))
    proc = run_cli(*ud, "--json", "flags", "set", f"{FLAG}=true", "--for", "1s", "--durable-timeout", "0.3")
    assert proc.returncode in (0, 1), proc.stderr  # 1: the timed write itself may be in memory only
    ident = json.loads(proc.stdout)["timers"][0]["id"]
    t = _wait_until("an unconfirmed revert", lambda: (x := timers.load(ident)) is not None
                    and x.state == "unconfirmed" and x)
    assert "memory only" in (t.last_error or "") and timers.finished(ident) is None
    listed = cli_json("timers")
    assert listed[0]["state"] == "unconfirmed"
    assert "not yet on its disk" in run_cli("timers").stdout
    assert target.js("localStorage.getItem('featureFlags')") == OFF  # the app runs the revert already
    target.stop()  # a graceful exit writes it
    record = _ended(ident)
    assert record["outcome"] == "reverted" and "disk" in record["message"], record
    assert _stored_demo(target.profile) == OFF
    rows = history.query(kind="timed-revert")  # newest first: the confirmation, the write in memory only
    assert [r.outcome for r in rows] == ["ok", "failed"] and "memory only" in (rows[1].message or "")


def _stored_demo(profile: Path) -> str | None:
    from flagdeck.storage.leveldb_store import LevelDBStore

    with LevelDBStore.open_read(profile / "Local Storage" / "leveldb") as store:
        return store.get("file://", "featureFlags")


@needs_chromium
def test_the_way_back_tells_the_team(chromium_profile: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A webhook set up with notify gets the timer process's alert (event timed-revert)."""
    from tests.test_notify import Hook

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")  # the timer process too
    hook = Hook()
    try:
        assert run_cli("notify", "setup", "--url", hook.url, "--kind", "json").returncode == 0
        ident = cli_json("--user-data-dir", str(chromium_profile), "flags", "set", f"{FLAG}=false", "--for",
                         "1s")["timers"][0]["id"]
        assert _ended(ident)["outcome"] == "reverted"
        body = _wait_until("the team alert", lambda: next((b for b in hook.bodies if b.get("timer") == ident), None))
        assert (body["event"], body["outcome"], body["flag"]) == ("timed-revert", "reverted", FLAG)
        assert body["headline"].startswith("Timed toggle reverted on ")
    finally:
        hook.close()
