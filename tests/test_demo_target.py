"""The demo target end to end: the real QtWebEngine host as a subprocess, driven over DevTools.

One profile is seeded per module and copied for every target that needs a fresh one; one healthy
target is shared by the flag, data and probe tests (each test sets the flags it needs first).
Timing assertions are generous ratios and only where the feature is a ratio (``slow=F``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import InvalidHandshake
from websockets.sync.client import connect
from websockets.typing import Origin

from flagdeck.demo_target import main
from flagdeck.demo_target.environment import chromium_flags, prepare_environment
from flagdeck.demo_target.faults import parse_faults
from flagdeck.demo_target.options import parse_options, relaunch_argv
from flagdeck.errors import UsageError
from flagdeck.storage.cdp import browser_version
from flagdeck.storage.leveldb_store import LevelDBStore
from tests.conftest import cli_json
from tests.demo_support import DemoTarget, free_port, subprocess_env

ON = '{"USE_UNIFIED_DB_SERVICE": true}'
OFF = '{"USE_UNIFIED_DB_SERVICE": false}'
ORIGIN = "file://"
LOGS_DBSERVICE_ERRORS = (
    "loggerService.getLogs().filter(l => l.level === 'error' && l.context.includes('DbService')).length"
)


def leveldb_dir(profile: Path) -> Path:
    return profile / "Local Storage" / "leveldb"


def read_local_storage(profile: Path, key: str) -> str | None:
    with LevelDBStore.open_read(leveldb_dir(profile)) as store:
        return store.get(ORIGIN, key)


# --- options, faults, environment (no Qt) ----------------------------------------------------------


def test_faults_parse() -> None:
    faults = parse_faults(["slow=1.8", "error-rate=0.25", "leak=5", "crash-on-start=2", "data-loss",
                           "flag-ignored"])
    assert (faults.slow, faults.error_rate, faults.leak_mb_per_min) == (1.8, 0.25, 5.0)
    assert faults.crash_on_start and faults.crash_reloads == 2 and faults.data_loss and faults.flag_ignored
    assert faults.to_page() == {"slow": 1.8, "errorRate": 0.25, "leakMbPerMin": 5.0, "crashOnStart": True,
                                "dataLoss": True, "flagIgnored": True}
    assert not parse_faults([]).any


@pytest.mark.parametrize("spec", ["slow", "slow=0.5", "slow=x", "error-rate=1.5", "leak=0", "leak=-1",
                                  "crash-on-start=-1", "crash-on-start=99", "data-loss=1", "flag-ignored=1",
                                  "boom"])
def test_bad_fault_is_a_usage_error(spec: str) -> None:
    with pytest.raises(UsageError):
        parse_faults([spec])


def test_duplicate_fault_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="twice"):
        parse_faults(["slow=2", "slow=3"])


@pytest.mark.parametrize("argv", [["--fault", "nope"], ["--debug-port", "70000"], ["--env", "PATH=/x"],
                                  ["--seed-messages", "-3"], ["--bogus"], ["--quit-after", "0"]])
def test_bad_option_prints_one_line_and_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("flagdeck demo-target: error:")
    assert "Traceback" not in err


def test_the_documented_command_runs_the_target(demo_template: Path, tmp_path: Path) -> None:
    """``flagdeck demo-target --profile-dir D --debug-port N --fault data-loss`` exactly as the README
    shows it (Python 3.13's argparse REMAINDER refused it: "unrecognized arguments: --profile-dir")."""
    profile = tmp_path / "profile"
    shutil.copytree(demo_template, profile, ignore=shutil.ignore_patterns("LOCK", "DevToolsActivePort"))
    port = free_port()
    target = DemoTarget.launch([sys.executable, "-m", "flagdeck", "demo-target", "--profile-dir", str(profile),
                                "--debug-port", str(port), "--fault", "data-loss"], profile, port,
                               home=tmp_path / "home")
    try:
        target.wait_ready()
        assert target.state()["faults"] == ["data-loss"] and target.state()["port"] == port
        assert target.stop() == 0
        assert "Traceback" not in target.output()
    finally:
        target.kill()


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_the_documented_help(flag: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "flagdeck", "demo-target", flag], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert proc.stdout.startswith("usage: flagdeck demo-target") and "--profile-dir DIR" in proc.stdout


def test_a_bad_option_through_flagdeck_is_one_line() -> None:
    proc = subprocess.run([sys.executable, "-m", "flagdeck", "--json", "demo-target", "--profile-dir"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr == "flagdeck demo-target: error: argument --profile-dir: expected one argument\n"


def test_options_keep_argv_and_env(tmp_path: Path) -> None:
    argv = ["--profile-dir", str(tmp_path), "--env", "VITE_USE_UNIFIED_DB_SERVICE=true", "--fault", "data-loss"]
    opts = parse_options(argv)
    assert opts.argv == tuple(argv) and opts.profile_dir == tmp_path
    assert opts.env == {"VITE_USE_UNIFIED_DB_SERVICE": "true"} and opts.faults.data_loss


def test_relaunch_command_has_an_absolute_profile(tmp_path: Path) -> None:
    assert relaunch_argv(["--fault", "data-loss"], tmp_path) == ["--profile-dir", str(tmp_path), "--fault", "data-loss"]
    assert relaunch_argv(["--profile-dir", "rel", "--show"], tmp_path) == ["--profile-dir", str(tmp_path), "--show"]
    assert relaunch_argv(["--profile-dir=rel"], tmp_path) == ["--profile-dir", str(tmp_path)]


def test_environment_binds_loopback_and_keeps_user_flags(tmp_path: Path) -> None:
    env = {"QTWEBENGINE_CHROMIUM_FLAGS": "--disable-gpu", "QTWEBENGINE_REMOTE_DEBUGGING": "0.0.0.0:1"}
    prepare_environment(parse_options(["--profile-dir", str(tmp_path), "--debug-port", "9555", "--offscreen"]), env)
    assert env["QTWEBENGINE_REMOTE_DEBUGGING"] == "127.0.0.1:9555"
    assert env["QT_QPA_PLATFORM"] == "offscreen"
    assert env["QTWEBENGINE_CHROMIUM_FLAGS"].startswith("--disable-gpu")
    prepare_environment(parse_options(["--profile-dir", str(tmp_path)]), env)
    assert "QTWEBENGINE_REMOTE_DEBUGGING" not in env
    assert chromium_flags("--a", as_root=True).split() == ["--a", "--enable-precise-memory-info", "--no-sandbox"]
    assert "--no-sandbox" not in chromium_flags("", as_root=False)
    assert "--remote-allow-origins=http://127.0.0.1:9555" in chromium_flags("", as_root=False, debug_port=9555)
    assert chromium_flags("--remote-allow-origins=*", as_root=False, debug_port=1).count("remote-allow") == 1


def test_host_log_keeps_the_day_s_files_open_and_closes_them(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins
    from datetime import datetime as real_datetime

    from flagdeck.demo_target import host_log

    opened: list[str] = []
    real_open = builtins.open

    def counting_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(Path(file).name)
        return real_open(file, *args, **kwargs)

    class Clock(real_datetime):
        day = real_datetime(2025, 9, 10, 12, 0, 0)

        @classmethod
        def now(cls, tz: Any = None) -> Any:  # type: ignore[override]
            return cls.day

    monkeypatch.setattr(host_log, "datetime", Clock)
    monkeypatch.setattr(builtins, "open", counting_open)
    log = host_log.HostLog(tmp_path)
    for n in range(50):
        log.line(f"[console] line {n}")
        log.line(f"[console] error {n}", error=True)
    logs = tmp_path / "logs"
    assert opened == ["demo.2025-09-10.log", "demo-error.2025-09-10.log"]  # once each, not per line
    assert len((logs / "demo.2025-09-10.log").read_text().splitlines()) == 100  # every line readable at once
    assert (logs / "demo-error.2025-09-10.log").read_text().count("error 49") == 1
    Clock.day = real_datetime(2025, 9, 11, 0, 0, 1)
    log.line("next day")
    assert opened[2:] == ["demo.2025-09-11.log"]
    assert (logs / "demo.2025-09-11.log").read_text().endswith(" next day\n")
    held = [fh for _, fh in log._files.values()]
    log.close()
    assert held and all(fh.closed for fh in held) and not log._files


def test_state_and_port_files_are_private_and_whole(tmp_path: Path) -> None:
    import stat

    from flagdeck.demo_target import state_file

    profile = tmp_path / "profile"
    profile.mkdir()
    state = state_file.StateFile(profile, {"status": "starting", "version": "0.1.0"})
    state.update(status="ready")
    state_file.write_port_file(profile, 9555)
    assert state_file.read_state(profile) == {**state.data, "status": "ready"}
    assert (profile / "DevToolsActivePort").read_text() == "9555\n/devtools/browser\n"
    for name in ("demo-target.json", "DevToolsActivePort"):
        assert stat.S_IMODE((profile / name).stat().st_mode) == 0o600
    assert sorted(p.name for p in profile.iterdir()) == ["DevToolsActivePort", "demo-target.json"]  # no temp files


# --- fixtures --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    profile: Path
    boot: dict[str, Any]
    counts: dict[str, int]
    digest: dict[str, Any]
    startup_s: float


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """A profile seeded once (3000 messages) by a real first start, then stopped."""
    profile = tmp_path_factory.mktemp("seeded") / "profile"
    t0 = time.monotonic()
    target = DemoTarget.start(profile)
    try:
        boot = target.wait_ready()
        startup = time.monotonic() - t0
        counts = target.probe("counts")["stores"]
        digest = target.probe("digest")
        assert target.stop() == 0
    finally:
        target.kill()
    print(f"\nseed: {boot['seed']['ms']} ms; first start to ready: {startup:.2f} s")
    yield Seeded(profile, boot, counts, digest, startup)


@pytest.fixture
def make_target(seeded: Seeded, tmp_path: Path) -> Iterator[Callable[..., DemoTarget]]:
    """Start targets on copies of the seeded profile; every one is killed at teardown."""
    started: list[DemoTarget] = []

    def start(*args: str, wait: bool = True, relaunch: DemoTarget | None = None) -> DemoTarget:
        """A target on a fresh copy, or ``relaunch``'s profile started with its recorded command."""
        if relaunch is not None:
            state = relaunch.state()
            target = DemoTarget.launch(state["command"], relaunch.profile, state["port"], home=tmp_path / "home")
        else:
            profile = tmp_path / f"profile-{len(started)}"
            shutil.copytree(seeded.profile, profile, ignore=shutil.ignore_patterns("LOCK", "demo-target.json"))
            target = DemoTarget.start(profile, *args, home=tmp_path / "home")
        started.append(target)
        if wait:
            target.wait_ready()
        return target

    yield start
    for target in started:
        target.kill()


@pytest.fixture(scope="module")
def shared(seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoTarget]:
    """One healthy running target (no faults, no env) for the flag, data and probe tests."""
    profile = tmp_path_factory.mktemp("shared") / "profile"
    shutil.copytree(seeded.profile, profile, ignore=shutil.ignore_patterns("LOCK", "demo-target.json"))
    target = DemoTarget.start(profile)
    try:
        target.wait_ready()
        yield target
    finally:
        target.kill()


def flags_of(target: DemoTarget) -> tuple[Any, str, str]:
    health = target.probe("health")
    return health["flags"]["USE_UNIFIED_DB_SERVICE"], health["flagSources"]["USE_UNIFIED_DB_SERVICE"], health["path"]


# --- start-up, profile layout --------------------------------------------------------------------


def test_first_start_seeds_and_a_restart_does_not(seeded: Seeded, shared: DemoTarget) -> None:
    assert seeded.boot["seed"]["seeded"] is True
    counts = seeded.counts
    assert counts["topics"] == 20 and counts["messages"] == 3000 and counts["agent_sessions"] == 6
    assert 3000 < counts["message_blocks"] <= 9000 and counts["files"] > 20 and counts["settings"] == 1
    shared.with_flags(None)
    assert shared.boot_state()["seed"]["seeded"] is False  # type: ignore[index]
    assert shared.probe("counts") == {"database": "CherryStudio", "stores": counts}


def test_profile_is_laid_out_like_electron_user_data(shared: DemoTarget) -> None:
    profile = shared.profile
    assert (leveldb_dir(profile) / "CURRENT").is_file()
    assert (profile / "IndexedDB" / "file__0.indexeddb.leveldb").is_dir()
    assert shared.js("location.origin") == ORIGIN and shared.js("location.protocol") == "file:"
    state = shared.state()
    assert state["pid"] == shared.proc.pid and state["port"] == shared.port and state["status"] == "ready"
    assert state["argv"][:2] == ["--profile-dir", str(profile)] and state["version"]
    assert state["command"][1:3] == ["-m", "flagdeck.demo_target"] and state["origin"] == ORIGIN
    port_lines = (profile / "DevToolsActivePort").read_text().splitlines()
    ws_url = browser_version(shared.port)["webSocketDebuggerUrl"]
    assert port_lines[0] == str(shared.port) and ws_url.endswith(port_lines[1])
    with pytest.raises(InvalidHandshake):  # a web page's Origin may not open DevTools
        connect(ws_url, origin=Origin("http://evil.example"), open_timeout=5).close()
    # A page write reaches <profile>/Local Storage/leveldb under origin file:// (Chromium commits
    # in batches, so poll the snapshot copy for a few seconds).
    shared.set_flags(OFF)
    deadline = time.monotonic() + 10
    while read_local_storage(profile, "featureFlags") != OFF:
        assert time.monotonic() < deadline, "featureFlags never reached the LevelDB"
        time.sleep(0.3)
    persisted = json.loads(read_local_storage(profile, "persist:cherry-studio") or "{}")
    assert json.loads(persisted["llm"])["providers"][0]["apiKey"].startswith("sk-demo-")  # a secret to redact


def test_second_target_on_the_same_profile_is_refused(shared: DemoTarget) -> None:
    cmd = [sys.executable, "-m", "flagdeck.demo_target", "--profile-dir", str(shared.profile)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                         env=subprocess_env(shared.profile.parent / "home2"))
    assert res.returncode == 3
    assert res.stderr.count("\n") == 1 and "in use by pid" in res.stderr


# --- feature flag semantics ------------------------------------------------------------------------


def console_texts(target: DemoTarget, start: int) -> list[tuple[str, list[dict[str, Any]]]]:
    assert target.cdp is not None
    events = target.cdp.events("Runtime.consoleAPICalled")[start:]
    return [(e["params"]["type"], e["params"]["args"]) for e in events]


def test_flag_override_typo_string_and_invalid_json(shared: DemoTarget) -> None:
    assert shared.cdp is not None
    shared.cdp.call("Runtime.enable")
    shared.with_flags(None)
    assert flags_of(shared) == (False, "default", "original")
    assert shared.js("Object.isFrozen(window.featureFlags)") is True

    start = shared.cdp.event_count("Runtime.consoleAPICalled")
    shared.with_flags(ON)
    assert flags_of(shared) == (True, "localStorage", "unified")
    lines = console_texts(shared, start)
    assert ("log", "[FeatureFlags] USE_UNIFIED_DB_SERVICE set to true via localStorage") in [
        (kind, args[0].get("value")) for kind, args in lines
    ]
    current = [args for kind, args in lines if args[0].get("value") == "[FeatureFlags] Current flags:"]
    assert current and current[-1][1]["type"] == "object"
    assert shared.js("window.__flagSources") == {"USE_UNIFIED_DB_SERVICE": "localStorage"}

    shared.with_flags('{"USE_UNIFIED_DB_SERVCE": true, "OTHER": 1}')  # typo: silently ignored
    assert flags_of(shared) == (False, "default", "original")

    shared.with_flags('{"USE_UNIFIED_DB_SERVICE": "false"}')  # copied as-is: the string is truthy
    assert flags_of(shared) == ("false", "localStorage", "unified")

    start = shared.cdp.event_count("Runtime.consoleAPICalled")
    shared.with_flags("{not json")
    assert flags_of(shared) == (False, "default", "original")
    lines = console_texts(shared, start)
    assert any(kind == "warning" and "[FeatureFlags] Failed to parse" in str(args[0].get("value"))
               for kind, args in lines)
    logs = shared.js("loggerService.getLogs()")
    assert [e for e in logs if e["level"] == "error" and e["context"] == "FeatureFlags"]
    shared.with_flags(None)


def test_env_layer_is_beaten_by_the_override(make_target: Callable[..., DemoTarget]) -> None:
    target = make_target("--env", "VITE_USE_UNIFIED_DB_SERVICE=true")
    assert flags_of(target) == (True, "env", "unified")
    status = cli_json("--user-data-dir", str(target.profile), "--debug-port", str(target.port), "status")
    assert status["origin"] is None and status["report"]["flags"][0]["enabled"] is False  # nothing stored
    assert status["page_origin"] == ORIGIN  # the app's only page: only it knows its build env
    assert status["page_flags"] == {"USE_UNIFIED_DB_SERVICE": True}
    assert "[FeatureFlags] USE_UNIFIED_DB_SERVICE enabled via environment variable" in target.output()
    target.with_flags(OFF)
    assert flags_of(target) == (False, "localStorage", "original")
    target.with_flags('{"use_unified_db_service": false}')  # wrong case is a typo: env stays
    assert flags_of(target) == (True, "env", "unified")


# --- data paths and probes -------------------------------------------------------------------------


def test_both_paths_return_the_same_data(shared: DemoTarget, seeded: Seeded) -> None:
    for flags, path in ((None, "original"), (ON, "unified")):
        shared.with_flags(flags)
        digest = shared.probe("digest")
        assert digest["path"] == path and digest["errors"] == 0
        assert digest["sha256"] == seeded.digest["sha256"]
        visible = shared.probe("visibleCounts")
        stores = shared.probe("counts")["stores"]
        assert (visible["messages"], visible["blocks"], visible["files"], visible["agentSessions"]) == (
            stores["messages"], stores["message_blocks"], stores["files"], stores["agent_sessions"])
    shared.with_flags(None)


COUNT_BOTH_PATHS = """(async () => {
  const idb = await import('./js/storage/idb.js');
  const { createDataPath } = await import('./js/paths/dataPath.js');
  const db = await idb.openDatabase();
  try {
    const out = { dataStores: idb.DATA_STORES };
    for (const name of ['original', 'unified']) {
      const path = createDataPath(name, db, { faults: {}, active: false });
      try { out[name] = await path.countEntries(); } finally { path.dispose(); }
    }
    return out;
  } finally { db.close(); }
})()"""


def test_both_paths_count_the_one_list_of_data_stores(shared: DemoTarget) -> None:
    """``countEntries`` of both paths counts ``DATA_STORES`` (every store of the schema but
    ``settings``), the list ``storage/idb.js`` exports once."""
    got = shared.js(COUNT_BOTH_PATHS)
    stores = shared.probe("counts")["stores"]
    assert got["dataStores"] == ["topics", "messages", "message_blocks", "files", "agent_sessions"]
    assert got["original"] == got["unified"] == {name: stores[name] for name in got["dataStores"]}


FIRST_MESSAGE_ID = """new Promise((resolve, reject) => {
  const open = indexedDB.open('CherryStudio');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const req = open.result.transaction('messages').objectStore('messages').getAllKeys(null, 1);
    req.onsuccess = () => { open.result.close(); resolve(req.result[0]); };
  };
})"""


@pytest.mark.parametrize(("flags", "path"), [(None, "original"), (ON, "unified")])
def test_every_probe_works_and_cleans_up(shared: DemoTarget, seeded: Seeded, flags: str | None, path: str) -> None:
    shared.with_flags(flags)
    load = shared.probe("loadTopicMessages")
    assert load["ok"] and load["path"] == path and load["messages"] == load["rawMessages"] > 200
    sent = shared.probe("sendMessageWithAttachment")
    assert sent["ok"] and sent["fileId"] and sent["messageId"] and not sent["problems"], sent
    for name in ("editMessage", "deleteMessage", "startAgentSession"):
        result = shared.probe(name)
        assert result["ok"] and result["path"] == path and result["ms"] >= 0, result
    assert shared.probe("startAgentSession")["sessionId"]
    topics = shared.probe("topics")
    assert len(topics) == 20 and topics[0]["messages"] >= topics[-1]["messages"] and topics[0]["id"] == load["topicId"]
    real_id = shared.js(FIRST_MESSAGE_ID)
    assert shared.probe("editMessage", real_id)["ok"] and shared.probe("deleteMessage", real_id)["ok"]
    workload = shared.probe("runWorkload", {"topics": 3})
    assert workload["ok"] and set(workload["timings"]) >= {"loadTopicMessages", "sendMessage", "editMessage",
                                                            "deleteMessage", "total"}
    health = shared.probe("health")
    assert health["ok"] and health["path"] == path and health["errors"] == 0 and health["heapMB"] > 0
    assert shared.probe("cleanup")["removed"]["messages"] == 0  # each probe cleaned up after itself
    assert shared.probe("counts")["stores"] == seeded.counts
    assert shared.probe("digest")["sha256"] == seeded.digest["sha256"]  # real edits/deletes undone
    comparisons = shared.js("performanceMonitor.getAllComparisons()")
    load_entry = next(c for c in comparisons if c["operation"] == "loadTopicMessages")
    assert load_entry[path]["count"] >= 1 and "diffPct" in load_entry
    shared.with_flags(None)


LAST_MESSAGE = "[...document.querySelectorAll('.message')].at(-1)"


def wait_js(target: DemoTarget, expression: str, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := target.js(expression)):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        time.sleep(0.1)
    return value


def test_ui_send_edit_delete_through_the_active_path(shared: DemoTarget, seeded: Seeded) -> None:
    shared.with_flags(ON)
    assert shared.js("document.getElementById('path-badge').textContent") == "unified (DbService)"
    assert "DB path: unified (DbService)" in shared.js("document.getElementById('statusbar').innerText")
    shared.js("document.getElementById('composer-input').value = 'typed in the UI'; "
              "document.getElementById('composer').requestSubmit(); 1")
    wait_js(shared, f"{LAST_MESSAGE}.innerText.includes('typed in the UI')")
    shared.js(f"{LAST_MESSAGE}.querySelector('.message-actions button').click(); 1")
    shared.js(f"(() => {{ const m = {LAST_MESSAGE}; m.querySelector('.edit-input').value = 'edited in the UI';"
              " m.querySelector('.editor-actions button').click(); return 1; })()")
    wait_js(shared, f"{LAST_MESSAGE}.innerText.includes('edited in the UI')")
    shared.js(f"{LAST_MESSAGE}.querySelector('.message-actions .danger').click(); 1")
    wait_js(shared, f"!{LAST_MESSAGE}.innerText.includes('edited in the UI')")
    assert shared.probe("counts")["stores"] == seeded.counts
    shared.with_flags(None)


# --- faults: active on the unified path, dormant on the original ---------------------------------


def paired_ratio(target: DemoTarget, iterations: int) -> float:
    """Median unified/original time over adjacent pairs of the same message load."""
    result = target.probe("comparePaths", {"iterations": iterations})
    assert len(result["pairs"]) == iterations
    return float(result["pairedRatio"])


def test_slow_fault_scales_unified_operations(make_target: Callable[..., DemoTarget]) -> None:
    target = make_target("--fault", "slow=1.8")
    dormant = paired_ratio(target, 10)  # flag off: the unified path is not armed
    target.with_flags(ON)
    active = paired_ratio(target, 20)
    comparison = next(c for c in target.js("performanceMonitor.getAllComparisons()")
                      if c["operation"] == "loadTopicMessages")
    print(f"\nslow=1.8: unified/original paired median ratio {active:.2f} (flag off: {dormant:.2f}); "
          f"diffPct {comparison['diffPct']}")
    assert 0.6 < dormant < 1.45
    assert 1.4 < active < 2.4
    assert comparison["original"]["count"] >= 20 and comparison["unified"]["count"] >= 20


def test_error_rate_fault(make_target: Callable[..., DemoTarget]) -> None:
    target = make_target("--fault", "error-rate=0.3", "--env", "VITE_USE_UNIFIED_DB_SERVICE=true")
    loop = """(async () => { let failed = 0;
      for (let i = 0; i < 150; i++) if (!(await demoProbes.loadTopicMessages(TOPIC)).ok) failed++;
      return failed; })()"""
    errors_before = target.js(LOGS_DBSERVICE_ERRORS)
    topic = target.probe("topics")[-1]["id"]  # the smallest topic: the rate is per operation
    failed = target.js(loop.replace("TOPIC", json.dumps(topic)))
    assert 0.15 <= failed / 150 <= 0.45, failed
    assert target.js(LOGS_DBSERVICE_ERRORS) - errors_before >= failed
    target.with_flags(OFF)
    assert target.js(loop.replace("TOPIC", json.dumps(topic)).replace("150", "40")) == 0
    assert target.js(LOGS_DBSERVICE_ERRORS) == 0


def test_data_loss_fault(make_target: Callable[..., DemoTarget], seeded: Seeded) -> None:
    target = make_target("--fault", "data-loss")
    target.with_flags(ON)
    visible, stores = target.probe("visibleCounts"), target.probe("counts")["stores"]
    assert visible["messages"] < stores["messages"] and visible["blocks"] < stores["message_blocks"]
    assert visible["files"] < stores["files"]
    sent = target.probe("sendMessageWithAttachment")
    assert not sent["ok"] and sent["fileId"] is None and "attachment file missing" in sent["problems"]
    assert not target.probe("loadTopicMessages")["ok"]
    assert target.probe("counts")["stores"] == seeded.counts  # loss is in what the path shows/writes
    target.with_flags(OFF)  # rollback: the original path shows everything again
    visible = target.probe("visibleCounts")
    assert (visible["messages"], visible["blocks"], visible["files"]) == (
        stores["messages"], stores["message_blocks"], stores["files"])
    assert target.probe("sendMessageWithAttachment")["ok"]
    assert target.probe("digest")["sha256"] == seeded.digest["sha256"]


def heap_growth(target: DemoTarget, seconds: float) -> float:
    assert target.cdp is not None
    target.cdp.call("HeapProfiler.collectGarbage")
    before = target.probe("health")["heapMB"]
    time.sleep(seconds)
    target.cdp.call("HeapProfiler.collectGarbage")
    return float(target.probe("health")["heapMB"] - before)


def test_leak_fault_grows_memory_only_on_unified(make_target: Callable[..., DemoTarget]) -> None:
    target = make_target("--fault", "leak=1200")  # 20 MB/s
    dormant = heap_growth(target, 2.5)
    target.with_flags(ON)
    active = heap_growth(target, 2.5)
    print(f"\nleak=1200 MB/min over 2.5 s: unified +{active:.1f} MB, original +{dormant:.1f} MB")
    assert active >= 25 and dormant < 8


def test_crash_on_start_is_reported_bounded_and_fixed_by_rollback(make_target: Callable[..., DemoTarget]) -> None:
    target = make_target("--fault", "crash-on-start=1", "--env", "VITE_USE_UNIFIED_DB_SERVICE=true", wait=False)
    target.wait_output("crash #2", timeout=60)
    time.sleep(2.5)  # one reload allowed: no third crash
    out = target.output()
    assert out.count("renderer process terminated: crashed") == 2 and "not reloading" in out
    state = target.state()
    assert state["status"] == "renderer-crashed" and state["rendererCrashes"] == 2
    assert state["lastCrash"]["status"] == "crashed"
    error_log = "".join(p.read_text() for p in (target.profile / "logs").glob("demo-error.*.log"))
    assert error_log.count("renderer process terminated: crashed") == 2
    assert target.stop() == 0
    # Level-1 rollback with the app closed: write the flag offline, relaunch the way it was started.
    with LevelDBStore.open_write(leveldb_dir(target.profile)) as store:
        store.put(ORIGIN, "featureFlags", OFF)
    relaunched = make_target(relaunch=target)
    assert flags_of(relaunched) == (False, "localStorage", "original")
    assert relaunched.state()["rendererCrashes"] == 0 and relaunched.probe("health")["ok"]


# --- shutdown --------------------------------------------------------------------------------------


def test_sigterm_flushes_local_storage(make_target: Callable[..., DemoTarget]) -> None:
    target = make_target()
    value = f"flushed-{time.time_ns()}"
    target.js(f"localStorage.setItem('flagdeck-flush-probe', {json.dumps(value)})")
    assert target.stop() == 0  # SIGTERM right after the write, well inside Chromium's commit delay
    assert read_local_storage(target.profile, "flagdeck-flush-probe") == value
    assert not (target.profile / "DevToolsActivePort").exists()
    assert target.state()["status"] == "exited" and "signal 15" in target.state()["exitReason"]


def test_window_close_shuts_down_cleanly(make_target: Callable[..., DemoTarget]) -> None:
    target = make_target()
    target.js("localStorage.setItem('flagdeck-close-probe', 'yes'); setTimeout(() => window.close(), 0); 1")
    assert target.proc.wait(30) == 0
    assert read_local_storage(target.profile, "flagdeck-close-probe") == "yes"
    assert "window.close() from the page" in target.state()["exitReason"]

