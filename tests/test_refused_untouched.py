"""A refused write changes no byte of the app's profile (issue: "refused means untouched").

Every check of a write runs on a private snapshot; the app's LevelDB folder is opened only to
apply a change that passed them all. Each case hashes the whole profile folder (bytes and modes,
LevelDB's own LOG included) before and after the refused command.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.conftest import needs_chromium, run_cli, write_qtwebengine_profile
from tests.folder_state import changed, folder_state

SET_OFF = ("flags", "set", "USE_UNIFIED_DB_SERVICE=false")


def _refused(profile: Path, code: int, *args: str, needle: str) -> None:
    before = folder_state(profile)
    proc = run_cli("--user-data-dir", str(profile), *args)
    assert proc.returncode == code, f"exit {proc.returncode}: {proc.stderr}"
    assert "Traceback" not in proc.stderr + proc.stdout
    assert needle in proc.stderr
    assert changed(before, folder_state(profile)) == []


@needs_chromium
@pytest.mark.parametrize(("args", "code", "needle"), [
    (("flags", "set", "NOT_A_FLAG=true"), 2, "NOT_A_FLAG"),
    (("flags", "set", 'USE_UNIFIED_DB_SERVICE="no"'), 2, "boolean"),
    (("flags", "set", "USE_UNIFIED_DB_SERVICE=false", "--origin-is-not-an-option"), 2, "unrecognized"),
])
def test_refused_input_leaves_a_chromium_profile_untouched(chromium_profile: Path, args: tuple[str, ...],
                                                           code: int, needle: str) -> None:
    _refused(chromium_profile, code, *args, needle=needle)


@pytest.mark.parametrize("document", ["{not json", "[1, 2]", '"a string"', '{"a":' * 10_000 + "1" + "}" * 10_000],
                         ids=["not-json", "array", "string", "10000-deep"])
def test_an_invalid_document_is_refused_untouched(tmp_path: Path, document: str) -> None:
    profile = tmp_path / "p"
    write_qtwebengine_profile(profile, {"file://": {"featureFlags": document, "other": "kept"}})
    _refused(profile, 4, *SET_OFF, needle="--repair")


def test_a_corrupt_log_is_refused_untouched(qtwe_profile: Path) -> None:
    leveldb = qtwe_profile / "Local Storage" / "leveldb"
    for log in leveldb.glob("*.log"):
        data = bytearray(log.read_bytes())
        for i in range(0, min(len(data), 4000), 7):
            data[i] ^= 0x5A
        log.write_bytes(bytes(data))
    _refused(qtwe_profile, 4, *SET_OFF, needle="corrupt")
    _refused(qtwe_profile, 4, "flags", "unset", "USE_UNIFIED_DB_SERVICE", needle="corrupt")


def test_a_restore_not_confirmed_is_untouched(qtwe_profile: Path) -> None:
    assert run_cli("--user-data-dir", str(qtwe_profile), *SET_OFF).returncode == 0
    before = folder_state(qtwe_profile)
    proc = run_cli("--user-data-dir", str(qtwe_profile), "restore", "latest", input="n\n")
    assert proc.returncode == 2 and "nothing was written" in proc.stderr
    assert changed(before, folder_state(qtwe_profile)) == []


@needs_chromium
def test_an_accepted_write_keeps_the_apps_file_modes(chromium_profile: Path) -> None:
    """Chromium keeps its LevelDB files 0600; the files LevelDB makes for flagdeck's write (new
    log, MANIFEST, CURRENT, LOG) get the same, and the app's other files keep theirs."""
    leveldb = chromium_profile / "Default" / "Local Storage" / "leveldb"
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in leveldb.iterdir()}
    assert modes["CURRENT"] == 0o600
    proc = run_cli("--user-data-dir", str(chromium_profile), *SET_OFF)
    assert proc.returncode == 0, proc.stderr
    after = {p.name: stat.S_IMODE(p.stat().st_mode) for p in leveldb.iterdir()}
    assert set(after) != set(modes)  # the write made new files (log, MANIFEST)
    for name, mode in after.items():
        assert mode == modes.get(name, 0o600), f"{name}: {oct(mode)}"


def test_a_refused_write_takes_no_backup(qtwe_profile: Path, user_dirs: Path) -> None:
    proc = run_cli("--user-data-dir", str(qtwe_profile), "flags", "set", "NOT_A_FLAG=true")
    assert proc.returncode == 2
    backups = user_dirs / "data" / "backups"
    assert not backups.exists() or not any(p for d in backups.iterdir() for p in d.iterdir())



def test_the_backup_copy_stays_byte_exact_though_the_checks_read_it(qtwe_profile: Path, user_dirs: Path) -> None:
    """The snapshot a write checks is hard-linked from the backup's folder copy; opening it (the
    log replayed, a new MANIFEST and CURRENT) must leave that copy exactly the app's files."""
    leveldb = qtwe_profile / "Local Storage" / "leveldb"
    before = {k: v[1] for k, v in folder_state(leveldb).items() if k not in ("LOCK", "LOG", "LOG.old")}
    proc = run_cli("--json", "--user-data-dir", str(qtwe_profile), *SET_OFF)
    assert proc.returncode == 0, proc.stderr
    backup = Path(json.loads(proc.stdout)["backup"]["path"]) / "leveldb"
    assert {k: v[1] for k, v in folder_state(backup).items()} == before
