"""Fleet mode on flagd's flag definitions, evaluated in-process by flagd's own provider: a
fractional rollout over 50 workstations (each its own machine id and its own profile, written by a
real QtWebEngine), pins and their release, the kill switch, pending while the app holds its
storage, alerts, the evidence bundle, and bad input."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import cbor2
import mmh3
import pytest

from flagdeck.fleet import agent, connection, machine
from flagdeck.fleet.source import Source
from flagdeck.storage import codec
from flagdeck.targets.resolve import TargetOptions, resolve
from tests.conftest import REPO, cli_json, leveldb_dump, needs_chromium, run_cli
from tests.engines import chromium as chromium_engine
from tests.fleet_support import FLAG, definitions, stored_flags

OLD_KEY, OLD_ORIGIN = "featureFlagsOld", "http://localhost:5173"  # '{"USE_UNIFIED_DB_SERVICE":false}' there
N, SHARE = 50, 50


def flagd_bucket(flag: str, targeting_key: str, weights: list[int]) -> int:
    """flagd's fractional rule as its specification states it (the bucket of a workstation, from a
    MurmurHash3 of the CBOR of [flag key, targeting key]): the test's own reference, not flagd's code."""
    value = mmh3.hash(cbor2.dumps([flag, targeting_key], canonical=True), signed=False)
    bucket, end = (value * sum(weights)) >> 32, 0
    for i, weight in enumerate(weights):
        end += weight
        if bucket < end:
            return i
    raise AssertionError("no bucket")


def test_fractional_rollout_over_50_workstations(qtwe_template: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Of 50 simulated workstations (machine ids ws-0..ws-49, a profile each), exactly those
    flagd's rule puts in the "on" bucket hold the flag on their disk afterwards, and their share is
    within the binomial spread of the rule's 50 %."""
    flags = definitions(tmp_path / "flags.flagd.json", default="off",
                        targeting={"fractional": [["on", SHARE], ["off", 100 - SHARE]]})
    turned_on, expected = set(), set()
    source: Source | None = None
    for i in range(N):
        profile = tmp_path / f"ws-{i}"
        shutil.copytree(qtwe_template, profile, ignore=shutil.ignore_patterns("LOCK"))
        monkeypatch.setenv(machine.ENV, f"ws-{i}")
        target = resolve(TargetOptions(user_data_dir=profile, storage_key=OLD_KEY, origin=OLD_ORIGIN))
        conn = connection.Connection("flagd", target.slug, target.name, {}, file=str(flags))
        if source is None:
            source = Source(conn)
        connection.save(conn)
        agent.start(target)
        result = agent.sync(target, source, alert=False)
        assert result.exit_code == 0, result.to_json()
        if stored_flags(profile / "Local Storage" / "leveldb", OLD_ORIGIN, OLD_KEY) == {FLAG: True}:
            turned_on.add(i)
        if flagd_bucket(FLAG, machine.targeting_key(f"ws-{i}"), [SHARE, 100 - SHARE]) == 0:
            expected.add(i)
        outcomes = {o.outcome for o in result.outcomes}
        assert outcomes == ({"applied"} if i in expected else set()), (i, result.to_json())
    assert source is not None
    source.close()
    assert turned_on == expected
    spread = 3 * math.sqrt(N * SHARE / 100 * (1 - SHARE / 100))  # three standard deviations
    assert abs(len(turned_on) - N * SHARE / 100) <= spread, len(turned_on)


def _flags_json(profile: Path) -> dict[str, Any] | None:
    return stored_flags(profile / "Local Storage" / "leveldb")


def test_pin_release_kill_switch_alert_and_evidence(qtwe_profile: Path, tmp_path: Path,
                                                    file_keyring: Path) -> None:
    """On a closed app's profile: in sync; a local change pins the flag (the fleet leaves it);
    release gives it back to the fleet; the fleet's kill switch runs the Level-1 rollback. Each
    outcome is in ``fleet status``, the history (as ``fleet``), the team's webhook and the
    evidence bundle."""
    from tests.test_notify import Hook

    hook = Hook()
    try:
        target = ["--user-data-dir", str(qtwe_profile)]
        cli_json("notify", "setup", "--url", hook.url, "--kind", "json")
        flags = definitions(tmp_path / "flags.flagd.json", default="on")
        connected = cli_json(*target, "fleet", "connect", "flagd", "--file", str(flags))
        assert connected["managed"] == [FLAG] and connected["health"]["state"] == "connected"
        assert connected["workstation"]["targeting_key"] == machine.targeting_key()

        first = cli_json(*target, "fleet", "sync")
        assert first["outcomes"] == [] and first["flags"][0]["action"] == "in-sync"

        cli_json(*target, "flags", "set", f"{FLAG}=false")  # the person at the machine
        pinned = cli_json(*target, "fleet", "sync")
        assert [o["outcome"] for o in pinned["outcomes"]] == ["pinned"]
        assert list(pinned["pins"]) == [FLAG] and _flags_json(qtwe_profile) == {FLAG: False}
        again = cli_json(*target, "fleet", "sync")
        assert again["outcomes"] == [] and again["flags"][0]["action"] == "pinned"
        status = run_cli(*target, "fleet", "status")
        assert status.returncode == 0 and f"pinned: {FLAG} = false" in status.stdout, status.stdout

        assert cli_json(*target, "fleet", "release", FLAG)["released"] == [FLAG]
        back = cli_json(*target, "fleet", "sync")
        assert [(o["outcome"], o["action"]) for o in back["outcomes"]] == [("applied", "apply")]
        assert back["pins"] == {} and _flags_json(qtwe_profile) == {FLAG: True}

        definitions(flags, default="off")  # the team's kill switch
        killed = cli_json(*target, "fleet", "sync")
        [outcome] = killed["outcomes"]
        assert (outcome["outcome"], outcome["action"]) == ("applied", "kill-switch"), killed
        assert outcome["rollback"] and "Level-1 rollback" in outcome["detail"]
        assert _flags_json(qtwe_profile) == {FLAG: False}

        rows = cli_json(*target, "history")
        mine = [(r["kind"], r["how"]) for r in rows]
        assert ("rollback", "fleet") in mine and ("flag-write", "fleet") in mine and ("flag-write", "cli") in mine
        listed = run_cli(*target, "fleet", "status")
        assert "kill-switch" in listed.stdout and "in-sync" in listed.stdout, listed.stdout

        bundle = tmp_path / "bundle.zip"
        cli_json(*target, "evidence", "export", "--out", str(bundle))
        with zipfile.ZipFile(bundle) as z:
            name = next(n for n in z.namelist() if n.endswith("fleet/outcomes.json"))
            kept = json.loads(z.read(name))
        assert [o["outcome"] for o in kept["outcomes"]] == ["pinned", "applied", "applied"]

        events = [b.get("event") for b in hook.bodies]  # each CLI run waits for its alerts at exit
        assert events.count("fleet") == 1 and events.count("rollback") == 1, events  # the kill switch's own
        fleet_alert = next(b for b in hook.bodies if b.get("event") == "fleet")
        assert [(o["name"], o["outcome"]) for o in fleet_alert["outcomes"]] == [(FLAG, "applied")]
        assert fleet_alert["workstation"]["targeting_key"] == machine.targeting_key()
    finally:
        hook.close()


@needs_chromium
def test_pending_while_the_app_holds_its_storage(running_chromium: chromium_engine.Chromium, tmp_path: Path) -> None:
    """Chromium runs without a debug port: the fleet's write is pending (exit 3, shown with why,
    nothing written), and the next sync once the app is closed applies it."""
    profile = running_chromium.user_data_dir
    target = ["--user-data-dir", str(profile), "--storage-key", OLD_KEY, "--origin", OLD_ORIGIN]
    flags = definitions(tmp_path / "flags.flagd.json", default="on")
    cli_json(*target, "fleet", "connect", "flagd", "--file", str(flags))
    before = {k: v for k, v in leveldb_dump(running_chromium.leveldb).items() if k.startswith(codec.ENTRY_PREFIX)}

    busy = run_cli("--json", *target, "fleet", "sync")
    assert busy.returncode == 3, busy.stdout + busy.stderr
    out = json.loads(busy.stdout)
    assert [(o["outcome"], o["action"]) for o in out["outcomes"]] == [("pending", "apply")]
    assert "holds the storage" in out["pending"][FLAG]["why"] and out["pending"][FLAG]["kind"] == "busy"
    after = {k: v for k, v in leveldb_dump(running_chromium.leveldb).items() if k.startswith(codec.ENTRY_PREFIX)}
    assert after == before
    shown = run_cli(*target, "fleet", "status")
    assert f"pending: {FLAG} -> true" in shown.stdout and "1 tries" in shown.stdout, shown.stdout

    running_chromium.close()
    done = cli_json(*target, "fleet", "sync")
    assert [(o["outcome"], o["action"]) for o in done["outcomes"]] == [("applied", "apply")] and done["pending"] == {}
    assert stored_flags(running_chromium.leveldb, OLD_ORIGIN, OLD_KEY) == {FLAG: True}


def test_bad_input_is_one_line_and_keeps_nothing(qtwe_profile: Path, tmp_path: Path) -> None:
    target = ["--user-data-dir", str(qtwe_profile)]
    broken = tmp_path / "broken.json"
    broken.write_text('{"flags": {')
    for args, code, words in (
        (["fleet", "sync"], 2, "not connected to a fleet source"),
        (["fleet", "connect", "flagd", "--file", str(tmp_path / "missing.json")], 2, "does not exist"),
        (["fleet", "connect", "flagd", "--file", str(tmp_path)], 2, "is a folder"),
        (["fleet", "connect", "flagd", "--file", str(broken)], 1, "flagd file"),
        (["fleet", "connect", "unleash", "--url", "http://unleash.example.com"], 2, "https://"),
        (["fleet", "connect", "unleash", "--url", "http://127.0.0.1:9/api", "--token-stdin"], 2, "no API token"),
        (["fleet", "release"], 2, "name the flags"),
        (["fleet", "status"], 2, "not connected"),
    ):
        proc = run_cli(*target, *args, input="")
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == code and len(lines) == 1 and words in lines[0], (args, proc.returncode, proc.stderr)
        assert "Traceback" not in proc.stdout + proc.stderr
    assert not (Path(os.environ["FLAGDECK_CONFIG_DIR"]) / "fleet").exists() or not any(
        (Path(os.environ["FLAGDECK_CONFIG_DIR"]) / "fleet").iterdir())


def test_only_fleet_commands_load_the_fleet_libraries(qtwe_profile: Path) -> None:
    """Registering the fleet commands (and running any other) imports no OpenFeature, grpc or
    UnleashClient; a fleet command does."""
    probe = ("import sys\nfrom flagdeck.cli.main import main\n"
             "code = main(sys.argv[1:])\n"
             "heavy = sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in "
             "('openfeature', 'grpc', 'UnleashClient', 'yggdrasil_engine')})\n"
             "print('HEAVY=' + ','.join(heavy))\n")
    flags = definitions(qtwe_profile.parent / "flags.json")
    for args, loads in ((["--json", "status"], False), (["--help"], False),
                        (["fleet", "connect", "flagd", "--file", str(flags)], True)):
        proc = subprocess.run([sys.executable, "-c", probe, "--user-data-dir", str(qtwe_profile), *args],
                              capture_output=True, text=True, timeout=120, cwd=REPO)
        heavy = proc.stdout.strip().splitlines()[-1]
        assert heavy.startswith("HEAVY=") and (heavy != "HEAVY=") == loads, (args, heavy, proc.stderr[-2000:])


def test_sync_watch_follows_the_file_and_says_when_it_breaks(qtwe_profile: Path, tmp_path: Path) -> None:
    """``fleet sync --watch``: a change of the definitions file is applied without another command;
    a broken file makes the source stale (its last definitions still answer); SIGTERM ends it (0)."""
    target = ["--user-data-dir", str(qtwe_profile), "--storage-key", OLD_KEY, "--origin", OLD_ORIGIN]
    flags = definitions(tmp_path / "flags.flagd.json", default="off")
    cli_json(*target, "fleet", "connect", "flagd", "--file", str(flags))
    proc = subprocess.Popen([sys.executable, "-m", "flagdeck", *target, "fleet", "sync", "--watch"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    lines: list[str] = []

    def wait_for(words: str) -> str:
        while True:
            line = proc.stdout.readline() if proc.stdout else ""
            assert line, f"watch ended before {words!r}: {lines} {proc.stderr.read() if proc.stderr else ''}"
            lines.append(line)
            if words in line:
                return line

    try:
        wait_for("fleet: connected")
        definitions(flags, default="on")
        assert "applied (apply)" in wait_for(f"{FLAG}: applied")
        assert stored_flags(qtwe_profile / "Local Storage" / "leveldb", OLD_ORIGIN, OLD_KEY) == {FLAG: True}
        flags.write_text('{"flags": ')
        assert "using the definitions read before" in wait_for("fleet: stale")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
