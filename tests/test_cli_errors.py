"""Every error the issue names: one line, the right exit code, never a traceback, nothing written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, cli_json, leveldb_dump, run_cli, run_cli_without_dac, write_qtwebengine_profile


def _fails(proc: subprocess.CompletedProcess[str], code: int, *needles: str) -> None:
    assert proc.returncode == code, f"exit {proc.returncode}: {proc.stderr}"
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.startswith("flagdeck")]
    assert len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_missing_dir(tmp_path: Path) -> None:
    _fails(run_cli("--user-data-dir", str(tmp_path / "nope"), "status"), 2, "does not exist")
    _fails(run_cli("--leveldb", str(tmp_path / "nope"), "flags", "set", "USE_UNIFIED_DB_SERVICE=false"), 2)


def test_not_a_leveldb(tmp_path: Path) -> None:
    _fails(run_cli("--user-data-dir", str(tmp_path), "status"), 2, "no 'Local Storage/leveldb'")
    (tmp_path / "Local Storage" / "leveldb").mkdir(parents=True)
    (tmp_path / "Local Storage" / "leveldb" / "notes.txt").write_text("hello")
    # the folder is there and its database is not: storage unreadable (4), not bad usage
    _fails(run_cli("--user-data-dir", str(tmp_path), "status"), 4, "not a readable LevelDB folder (no CURRENT")
    _fails(run_cli("--leveldb", str(tmp_path / "notes"), "status"), 2, "does not exist")


def test_corrupt_leveldb(qtwe_profile: Path) -> None:
    leveldb = qtwe_profile / "Local Storage" / "leveldb"
    for log in leveldb.glob("*.log"):
        data = bytearray(log.read_bytes())
        for i in range(0, min(len(data), 4000), 7):
            data[i] ^= 0x5A
        log.write_bytes(bytes(data))
    before = {p.name: p.read_bytes() for p in leveldb.iterdir() if p.is_file()}
    _fails(run_cli("--user-data-dir", str(qtwe_profile), "status"), 4, "corrupt")
    _fails(run_cli("--user-data-dir", str(qtwe_profile), "flags", "set", "USE_UNIFIED_DB_SERVICE=false"), 4,
           "corrupt")
    after = {p.name: p.read_bytes() for p in leveldb.iterdir() if p.is_file()}
    assert {k: v for k, v in after.items() if k not in ("LOG", "LOG.old", "LOCK")} == {
        k: v for k, v in before.items() if k not in ("LOG", "LOG.old", "LOCK")}


def test_no_origin_with_the_key_offers_origin(tmp_path: Path) -> None:
    profile = tmp_path / "p"
    write_qtwebengine_profile(profile, {"https://example.com": {"theme": "dark"}})
    status = cli_json("--user-data-dir", str(profile), "status")
    assert status["origin"] is None and "no origin holds featureFlags" in status["notes"][0]
    proc = run_cli("--user-data-dir", str(profile), "flags", "set", "USE_UNIFIED_DB_SERVICE=false")
    _fails(proc, 2, "no origin", "--origin ORIGIN")
    out = cli_json("--user-data-dir", str(profile), "--origin", "https://example.com",
                   "flags", "set", "USE_UNIFIED_DB_SERVICE=false")
    assert out["before"] is None and out["after"] == '{"USE_UNIFIED_DB_SERVICE":false}'


def test_invalid_document_shown_refused_then_repaired(tmp_path: Path) -> None:
    profile = tmp_path / "p"
    write_qtwebengine_profile(profile, {"file://": {"featureFlags": "{USE_UNIFIED_DB_SERVICE: true", "k": "v"}})
    status = cli_json("--user-data-dir", str(profile), "--origin", "file://", "status")
    assert status["report"]["document"]["valid"] is False
    assert status["report"]["warnings"][0]["code"] == "invalid-json"
    ud = ("--user-data-dir", str(profile), "--origin", "file://")
    _fails(run_cli(*ud, "flags", "set", "USE_UNIFIED_DB_SERVICE=false"), 4, "--repair")
    assert cli_json(*ud, "backups") == []
    out = cli_json(*ud, "flags", "set", "USE_UNIFIED_DB_SERVICE=false", "--repair")
    assert out["after"] == '{"USE_UNIFIED_DB_SERVICE":false}'
    assert out["backup"]["flag_value"] == "{USE_UNIFIED_DB_SERVICE: true"  # the raw text is kept
    assert any("--repair" in n for n in out["notes"])


def test_not_an_object_document(tmp_path: Path) -> None:
    profile = tmp_path / "p"
    write_qtwebengine_profile(profile, {"file://": {"featureFlags": "[true]"}})
    status = cli_json("--user-data-dir", str(profile), "--origin", "file://", "status")
    assert status["report"]["document"]["error"] == "not a JSON object but array"
    _fails(run_cli("--user-data-dir", str(profile), "--origin", "file://", "flags", "unset", "X"), 4)


def test_read_only_dir(qtwe_profile: Path) -> None:
    leveldb = qtwe_profile / "Local Storage" / "leveldb"
    before = leveldb_dump(leveldb)
    leveldb.chmod(0o555)
    try:
        proc = run_cli_without_dac("--user-data-dir", str(qtwe_profile), "flags", "set",
                                   "USE_UNIFIED_DB_SERVICE=false")
        _fails(proc, 4, "read-only")
        assert run_cli_without_dac("--user-data-dir", str(qtwe_profile), "status").returncode == 0
    finally:
        leveldb.chmod(0o755)
    assert leveldb_dump(leveldb) == before


def test_permission_denied(qtwe_profile: Path) -> None:
    leveldb = qtwe_profile / "Local Storage" / "leveldb"
    leveldb.chmod(0o000)
    try:
        _fails(run_cli_without_dac("--user-data-dir", str(qtwe_profile), "status"), 4, "permission denied")
    finally:
        leveldb.chmod(0o755)
    target = next(leveldb.glob("*.log"))
    target.chmod(0o000)
    try:
        _fails(run_cli_without_dac("--user-data-dir", str(qtwe_profile), "status"), 4, "permission denied")
    finally:
        target.chmod(0o644)


@pytest.mark.parametrize(("args", "needle"), [
    (["--debug-port", "99999", "status"], "not a TCP port"),
    (["--debug-port", "abc", "status"], "not a port number"),
    (["flags", "set", "NOEQUALS"], "expected NAME=VALUE"),
    (["flags", "set", "USE_UNIFIED_DB_SERVICE=on"], "not a JSON value"),
    (["--target", "no-such-app", "status"], "no target preset named"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_usage(qtwe_profile: Path, args: list[str], needle: str) -> None:
    proc = run_cli("--user-data-dir", str(qtwe_profile), *args)
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr and "Traceback" not in proc.stderr


def test_json_error_document(tmp_path: Path) -> None:
    proc = run_cli("--json", "--user-data-dir", str(tmp_path / "nope"), "status")
    doc = json.loads(proc.stdout)
    assert doc["ok"] is False and doc["error"]["exit_code"] == 2 and doc["error"]["kind"] == "target-not-found"


def test_concurrent_writers_do_not_interleave(qtwe_profile: Path) -> None:
    """Eight flagdeck processes each add their own key at once: every key survives (no lost
    read-modify-write), every write has its own backup."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "flagdeck", "--user-data-dir", str(qtwe_profile), "--json", "flags", "set",
             f"WRITER_{i}={i}", "--force"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=dict(os.environ))
        for i in range(8)
    ]
    results = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    for code, _, err in results:
        assert code == 0, err
    values = cli_json("--user-data-dir", str(qtwe_profile), "status")["report"]["document"]["values"]
    assert {k: v for k, v in values.items() if k.startswith("WRITER_")} == {f"WRITER_{i}": i for i in range(8)}
    assert values["USE_UNIFIED_DB_SERVICE"] is True
    assert len(cli_json("--user-data-dir", str(qtwe_profile), "backups")) == 8


def test_second_writer_waits_then_gives_up(qtwe_profile: Path) -> None:
    """A flagdeck holding the writer lock makes a second one wait, then give up with exit 3."""
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from flagdeck.target_lock import target_lock\n"
         "with target_lock(sys.argv[1]):\n print('held', flush=True); time.sleep(30)",
         _slug(qtwe_profile)],
        stdout=subprocess.PIPE, text=True, cwd=REPO, env=dict(os.environ))
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        proc = run_cli("--user-data-dir", str(qtwe_profile), "flags", "set", "USE_UNIFIED_DB_SERVICE=false",
                       env={"FLAGDECK_LOCK_WAIT": "1"})
        _fails(proc, 3, "another flagdeck")
    finally:
        holder.kill()
        holder.wait()


def _slug(profile: Path) -> str:
    from flagdeck.targets.resolve import TargetOptions, resolve

    return resolve(TargetOptions(user_data_dir=profile)).slug


def test_no_python_traceback_on_unwritable_data_dir(qtwe_profile: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the data dir should be")
    proc = run_cli("--user-data-dir", str(qtwe_profile), "backup", env={"FLAGDECK_DATA_DIR": str(blocked / "x")})
    assert proc.returncode in (2, 4) and "Traceback" not in proc.stderr
    shutil.rmtree(qtwe_profile)
