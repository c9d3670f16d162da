"""The CLI against profiles on disk: the issue's done-when, on Chromium and QtWebEngine profiles."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from flagdeck.storage import codec
from tests.conftest import (
    FLAGS_ON,
    PROFILE_CONTENT,
    cli_json,
    leveldb_dump,
    needs_chromium,
    read_qtwebengine_profile,
    run_cli,
)
from tests.engines import chromium as chromium_engine

OFF = '{"USE_UNIFIED_DB_SERVICE":false}'


def _entries_only(dump: dict[bytes, bytes]) -> dict[bytes, bytes]:
    return {k: v for k, v in dump.items() if k.startswith(codec.ENTRY_PREFIX)}


@needs_chromium
def test_offline_flip_on_a_chromium_profile(chromium_profile: Path) -> None:
    leveldb = chromium_profile / "Default" / "Local Storage" / "leveldb"
    before = leveldb_dump(leveldb)
    out = cli_json("--user-data-dir", str(chromium_profile), "flags", "set", "USE_UNIFIED_DB_SERVICE=false")
    assert out["mode"] == "offline" and out["origin"] == "file://"
    assert out["before"] == FLAGS_ON and out["after"] == OFF
    assert [c["flag"] for c in out["changes"]] == ["USE_UNIFIED_DB_SERVICE"]

    after = leveldb_dump(leveldb)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed == {codec.entry_key("file://", "featureFlags"), codec.meta_key("file://")}

    listed = cli_json("--user-data-dir", str(chromium_profile), "backups")
    assert [b["id"] for b in listed] == [out["backup"]["id"]]
    assert listed[0]["flag_value"] == FLAGS_ON and listed[0]["folder_copy"] is True

    with chromium_engine.Chromium(chromium_profile) as browser:  # the page on its next start
        assert browser.get_items("file://") == {**PROFILE_CONTENT["file://"], "featureFlags": OFF}
        assert browser.get_items("https://example.com") == PROFILE_CONTENT["https://example.com"]


@needs_chromium
def test_write_while_chromium_runs_without_debug_port_is_busy(
    running_chromium: chromium_engine.Chromium,
) -> None:
    profile = running_chromium.user_data_dir
    before = _entries_only(leveldb_dump(running_chromium.leveldb))
    proc = run_cli("--user-data-dir", str(profile), "--json", "flags", "set", "USE_UNIFIED_DB_SERVICE=false")
    assert proc.returncode == 3, proc.stderr
    assert "holds the storage" in proc.stderr and "debug port" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert json.loads(proc.stdout)["error"]["kind"] == "busy"
    assert cli_json("--user-data-dir", str(profile), "backups") == []
    status = cli_json("--user-data-dir", str(profile), "status")
    assert status["mode"] == "busy"
    running_chromium.close()
    assert _entries_only(leveldb_dump(running_chromium.leveldb)) == before


def test_qtwebengine_profile_round_trip(qtwe_profile: Path) -> None:
    out = cli_json("--user-data-dir", str(qtwe_profile), "flags", "set", "USE_UNIFIED_DB_SERVICE=false")
    assert out["after"] == OFF
    seen = read_qtwebengine_profile(qtwe_profile, "file://")
    assert seen["file://"] == {**PROFILE_CONTENT["file://"], "featureFlags": OFF}


def test_status_reports_layers_and_warnings(qtwe_profile: Path) -> None:
    cli_json("--user-data-dir", str(qtwe_profile), "flags", "set", 'USE_UNIFIED_DB_SERVICE="false"',
             "USE_UNIFED_DB_SERVICE=true", "--force")
    status = cli_json("--user-data-dir", str(qtwe_profile), "status")
    flag = status["report"]["flags"][0]
    assert flag["name"] == "USE_UNIFIED_DB_SERVICE"
    assert (flag["effective"], flag["enabled"], flag["source"]) == ("false", True, "localStorage")
    codes = sorted(w["code"] for w in status["report"]["warnings"])
    assert codes == ["non-boolean", "unknown-key"]
    text = run_cli("--user-data-dir", str(qtwe_profile), "status").stdout
    assert "treats it as ON" in text and "did you mean USE_UNIFIED_DB_SERVICE" in text


def test_flags_get_set_unset(qtwe_profile: Path) -> None:
    ud = ("--user-data-dir", str(qtwe_profile))
    assert cli_json(*ud, "flags", "get", "USE_UNIFIED_DB_SERVICE")["value"] is True
    assert run_cli(*ud, "flags", "get", "USE_UNIFIED_DB_SERVICE").stdout.strip() == "true"
    cli_json(*ud, "flags", "set", "USE_UNIFIED_DB_SERVICE=false")
    assert cli_json(*ud, "flags", "get", "USE_UNIFIED_DB_SERVICE")["value"] is False
    out = cli_json(*ud, "flags", "unset", "USE_UNIFIED_DB_SERVICE")
    assert out["after"] == "{}"
    got = cli_json(*ud, "flags", "get", "USE_UNIFIED_DB_SERVICE")
    assert (got["value"], got["source"]) == (False, "default")
    noop = cli_json(*ud, "flags", "unset", "USE_UNIFIED_DB_SERVICE")
    assert noop["backup"] is None and noop["changes"] == []
    assert len(cli_json(*ud, "backups")) == 2  # one per real write, none for the no-op


def test_unknown_flag_needs_force(qtwe_profile: Path) -> None:
    proc = run_cli("--user-data-dir", str(qtwe_profile), "flags", "set", "USE_UNIFED_DB_SERVICE=false")
    assert proc.returncode == 2
    assert "did you mean USE_UNIFIED_DB_SERVICE" in proc.stderr and "--force" in proc.stderr
    assert cli_json("--user-data-dir", str(qtwe_profile), "backups") == []


def test_backup_diff_restore(qtwe_profile: Path) -> None:
    ud = ("--user-data-dir", str(qtwe_profile))
    manual = cli_json(*ud, "backup", "--note", "before the incident")
    assert manual["note"] == "before the incident" and manual["reason"] == "manual"
    cli_json(*ud, "flags", "set", "USE_UNIFIED_DB_SERVICE=false")
    diff = cli_json(*ud, "diff", manual["id"])
    assert diff["flag_changes"] == [{"flag": "USE_UNIFIED_DB_SERVICE", "before": True, "after": False,
                                     "before_present": True, "after_present": True}]
    refused = run_cli(*ud, "restore", manual["id"])
    assert refused.returncode == 2 and "USE_UNIFIED_DB_SERVICE: true (backup) -> false (now)" in refused.stdout
    restored = cli_json(*ud, "restore", manual["id"], "--yes")
    assert restored["safety_backup"]["flag_value"] == OFF
    assert cli_json(*ud, "flags", "get", "USE_UNIFIED_DB_SERVICE")["value"] is True


def test_restore_entries_and_folder(qtwe_profile: Path) -> None:
    ud = ("--user-data-dir", str(qtwe_profile))
    leveldb = qtwe_profile / "Local Storage" / "leveldb"
    original = _entries_only(leveldb_dump(leveldb))
    first = cli_json(*ud, "backup")
    cli_json(*ud, "--origin", "file://", "flags", "set", "EXTRA=1", "--force")
    cli_json(*ud, "--origin", "https://example.com", "flags", "set", "USE_UNIFIED_DB_SERVICE=false")
    cli_json(*ud, "restore", first["id"], "--scope", "entries", "--yes")
    now = _entries_only(leveldb_dump(leveldb))
    assert {k: v for k, v in now.items() if k.startswith(codec.entry_prefix("file://"))} == {
        k: v for k, v in original.items() if k.startswith(codec.entry_prefix("file://"))}
    assert now != original  # example.com keeps its later change: entries scope is one origin
    cli_json(*ud, "restore", first["id"], "--scope", "folder", "--yes")
    assert _entries_only(leveldb_dump(leveldb)) == original


def test_backups_are_private(qtwe_profile: Path, user_dirs: Path) -> None:
    out = cli_json("--user-data-dir", str(qtwe_profile), "backup")
    path = Path(out["path"])
    for item in [path, *path.rglob("*")]:
        mode = stat.S_IMODE(item.stat().st_mode)
        assert mode & 0o077 == 0, f"{item} is {oct(mode)}"
    assert stat.S_IMODE((user_dirs / "data").stat().st_mode) == 0o700


def test_several_origins_hold_the_key(qtwe_profile: Path) -> None:
    ud = ("--user-data-dir", str(qtwe_profile))
    cli_json(*ud, "--origin", "https://example.com", "flags", "set", "USE_UNIFIED_DB_SERVICE=false")
    proc = run_cli(*ud, "status")
    assert proc.returncode == 2
    assert "file://" in proc.stderr and "https://example.com" in proc.stderr and "--origin" in proc.stderr
    assert cli_json(*ud, "--origin", "https://example.com", "status")["report"]["flags"][0]["enabled"] is False


@pytest.mark.parametrize("layout", ["electron", "chromium-root", "chromium-default", "leveldb"])
def test_target_layouts(qtwe_profile: Path, tmp_path: Path, layout: str) -> None:
    """--user-data-dir accepts an Electron userData dir, a Chromium root (Default/ inside) or the
    profile dir itself; --leveldb the folder."""
    root = tmp_path / "ud"
    if layout == "electron":
        args = ("--user-data-dir", str(qtwe_profile))
    else:
        (root / "Default").mkdir(parents=True)
        qtwe_profile.rename(root / "Default" / "x")
        (root / "Default" / "x" / "Local Storage").rename(root / "Default" / "Local Storage")
        (root / "Local State").write_text("{}")
        (root / "Default" / "Preferences").write_text("{}")
        args = {"chromium-root": ("--user-data-dir", str(root)),
                "chromium-default": ("--user-data-dir", str(root / "Default")),
                "leveldb": ("--leveldb", str(root / "Default" / "Local Storage" / "leveldb"))}[layout]
    status = cli_json(*args, "status")
    assert status["origin"] == "file://"
    assert status["report"]["flags"][0]["enabled"] is True
