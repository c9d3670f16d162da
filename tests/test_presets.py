"""Presets are data: shipped ones load, user ones override, paths expand per OS, bad ones are errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flagdeck.errors import TargetNotFound, UsageError
from flagdeck.targets import locate, presets
from flagdeck.targets.resolve import TargetOptions, resolve
from tests.conftest import cli_json, run_cli


def test_shipped_presets() -> None:
    found = presets.load_all()
    assert {"cherry-studio", "chromium", "demo"} <= set(found)
    cherry = found["cherry-studio"]
    assert "only source builds" in cherry.description.lower()
    assert cherry.storage_key == "featureFlags" and cherry.origin == "file://"
    assert [f.name for f in cherry.flags] == ["USE_UNIFIED_DB_SERVICE"]
    assert "persist:cherry-studio" in cherry.secret_keys and "apiKey" in cherry.secret_fields
    assert cherry.custom_config == "~/.cherrystudio/config/config.json"
    assert cherry.error_logs == ("app-error.*.log",)


def test_cherry_studio_paths_on_linux(user_dirs: Path) -> None:
    cherry = presets.get("cherry-studio")
    dirs = locate.candidate_dirs(cherry)
    assert dirs[:2] == [user_dirs / ".config" / "CherryStudio", user_dirs / ".config" / "CherryStudioDev"]


def test_cherry_studio_custom_data_dir_wins(user_dirs: Path, qtwe_profile: Path) -> None:
    config = user_dirs / ".cherrystudio" / "config" / "config.json"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"appDataPath": [{"executablePath": "/opt/x", "dataPath": str(qtwe_profile)}]}))
    target = resolve(TargetOptions(target="cherry-studio"))
    assert target.leveldb_dir == qtwe_profile / "Local Storage" / "leveldb"
    assert target.catalogue[0].name == "USE_UNIFIED_DB_SERVICE"


def test_not_installed_preset_says_where_it_looked(user_dirs: Path) -> None:
    with pytest.raises(TargetNotFound, match="CherryStudio"):
        resolve(TargetOptions(target="cherry-studio"))


def test_user_preset_overrides_and_adds(user_dirs: Path, qtwe_profile: Path) -> None:
    folder = user_dirs / "config" / "presets"
    folder.mkdir(parents=True)
    (folder / "myapp.toml").write_text(f'''
name = "myapp"
display_name = "My App"
storage_key = "flags"
origin = "https://example.com"
[user_data]
all = ["{qtwe_profile}"]
[[flags]]
name = "NEW_EDITOR"
type = "boolean"
default = true
''')
    target = resolve(TargetOptions(target="myapp"))
    assert (target.storage_key, target.origin, target.name) == ("flags", "https://example.com", "My App")
    assert [f.name for f in target.catalogue] == ["NEW_EDITOR"]
    listed = {t["name"]: t for t in cli_json("targets")}
    assert listed["myapp"]["profiles"] == [str(qtwe_profile)]


@pytest.mark.parametrize("text", ["name = ", 'display_name = "x"', 'name = "x"\n[[flags]]\ntype = "weird"'])
def test_bad_user_preset_is_a_usage_error(user_dirs: Path, text: str) -> None:
    folder = user_dirs / "config" / "presets"
    folder.mkdir(parents=True)
    (folder / "bad.toml").write_text(text)
    with pytest.raises(UsageError):
        presets.load_all()
    proc = run_cli("targets")
    assert proc.returncode == 2 and "bad.toml" in proc.stderr and "Traceback" not in proc.stderr


def test_expand(monkeypatch: pytest.MonkeyPatch, user_dirs: Path) -> None:
    monkeypatch.setenv("APPDATA", "/win/appdata")
    assert presets.expand("%APPDATA%/CherryStudio") == Path("/win/appdata/CherryStudio")
    assert presets.expand("~/x") == user_dirs / "x"
    assert presets.expand("$FLAGDECK_DATA/demo-target") == user_dirs / "data" / "demo-target"


def test_targets_lists_installed_profiles(user_dirs: Path, qtwe_profile: Path) -> None:
    demo_dir = user_dirs / "data" / "demo-target"
    demo_dir.parent.mkdir(parents=True, exist_ok=True)
    qtwe_profile.rename(demo_dir)
    listed = {t["name"]: t for t in cli_json("targets")}
    assert listed["demo"]["profiles"] == [str(demo_dir)]
    assert listed["cherry-studio"]["profiles"] == []
    assert listed["demo"]["storage_locked"] is False
