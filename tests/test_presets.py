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


def test_shipped_runbooks() -> None:
    """Cherry Studio's [runbook] is its rollback runbook's commands; the demo ships its own."""
    cherry = presets.get("cherry-studio").runbook
    assert cherry is not None and cherry.repo is None  # --repo required
    assert [c.argv for c in cherry.level2.build] == [("yarn", "build:check"), ("yarn", "build")]
    assert [(c.argv, c.when_script) for c in cherry.level3.test] == [
        (("yarn", "test"), None), (("yarn", "test:e2e"), "test:e2e")]
    assert cherry.feature_branch == "feature/unified-db-service" and cherry.main_branch == "main"
    assert "src/renderer/src/services/db/" in cherry.artifacts
    demo = presets.get("demo").runbook
    assert demo is not None and demo.repo and demo.level2.deploy and demo.level3.test
    assert presets.get("chromium").runbook is None


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


BROKEN_PRESETS = [
    # (file text, what the one line names besides the file)
    ("name = ", "not valid TOML"),
    ('display_name = "x"', "name is missing"),
    ('name = "x"\n[[flags]]\ntype = "weird"', "flags[0].name is missing"),
    ('name = "x"\n[[flags]]\nname = "F"\ntype = "weird"', "flags[0].type is 'weird'"),
    ('name = "x"\nflags = "oops"', "flags must be an array of [[flags]] tables, not a string"),
    ('name = "x"\n[user_data]\nlinux = 5', "user_data.linux must be an array of strings, not an integer"),
    ('name = "x"\nuser_data = 5', "user_data must be a table ([user_data]), not an integer"),
    ('name = "x"\n[process]\nall = [1, 2]', "process.all must be an array of strings, not an array"),
    ('name = "x"\nlaunch = "myapp"', "launch must be a table of per-OS arrays"),
    ('name = "x"\n[logs]\nerrors = 3', "logs.errors must be an array of strings, not an integer"),
    ('name = "x"\nsecrets = ["k"]', "secrets must be a table ([secrets]), not an array"),
    ('name = "x"\n[app]\nready = true', "app.ready must be a string, not a boolean"),
    ('name = "x"\nstorage_key = 7', "storage_key must be a string, not an integer"),
    ('name = "x"\n[[flags]]\nname = "F"\ndefault = "no"', "flags[0].default must be a boolean"),
    ('name = "x"\n[[flags]]\nname = "F"\ntype = "number"\ndefault = true', "flags[0].default must be a number"),
    ("name = 5", "name must be a string, not an integer"),
    ('name = "x"\nrunbook = 1', "runbook must be a table ([runbook]), not an integer"),
    ('name = "x"\n[runbook]\nrepo = 5', "runbook.repo must be a string, not an integer"),
    ('name = "x"\n[runbook]\nartifact = ["a"]', "unknown key runbook.artifact"),
    ('name = "x"\n[runbook]\nlevel2 = 3', "runbook.level2 must be a table ([runbook.level2]), not an integer"),
    ('name = "x"\n[runbook.level2]\nbuild = "yarn build"', "runbook.level2.build must be an array of commands"),
    ('name = "x"\n[runbook.level2]\nbuild = [["yarn", 5]]', "runbook.level2.build[0] must be a non-empty array"),
    ('name = "x"\n[runbook.level2]\ndeploy = [[]]', "runbook.level2.deploy[0] must be a non-empty array"),
    ('name = "x"\n[runbook.level3]\ntest = [{run = ["yarn"], when = "x"}]', "unknown key runbook.level3.test[0].when"),
    ('name = "x"\n[runbook.level3]\ntest = [{when_script = "x"}]', "runbook.level3.test[0].run must be a non-empty"),
    ('name = "x"\n[runbook.level2]\nrestart_app = "yes"', "runbook.level2.restart_app must be a boolean, not a string"),
    ('name = "x"\n[runbook.level3]\nmanual = [1]', "runbook.level3.manual must be an array of strings"),
]


@pytest.mark.parametrize(("text", "names"), BROKEN_PRESETS)
def test_broken_user_preset_names_file_and_key(user_dirs: Path, text: str, names: str) -> None:
    """Asked for, a broken user preset is a UsageError naming the file and the key (wrong types were
    an AttributeError/TypeError); it hides neither the shipped presets nor discovery."""
    from flagdeck.targets.discover import broken_presets, discover

    folder = user_dirs / "config" / "presets"
    folder.mkdir(parents=True)
    bad = folder / "x.toml"
    bad.write_text(text)
    with pytest.raises(UsageError) as caught:
        presets.get("x")
    assert str(caught.value).startswith(f"preset {bad}") and names in str(caught.value)
    assert {"cherry-studio", "chromium", "demo"} <= set(presets.load_all())
    assert {"cherry-studio", "chromium", "demo"} <= {i.name for i in discover()}
    assert [(i.name, i.error) for i in broken_presets()] == [("x", str(caught.value))]


@pytest.mark.parametrize(("text", "names"), [c for c in BROKEN_PRESETS if "oops" in c[0] or "linux = 5" in c[0]])
def test_broken_user_preset_on_the_command_line(user_dirs: Path, text: str, names: str) -> None:
    """The issue's two: ``flags = "oops"`` and ``linux = 5``: exit 2 and one line naming file and key;
    ``targets`` still works and lists it as broken."""
    folder = user_dirs / "config" / "presets"
    folder.mkdir(parents=True)
    bad = folder / "x.toml"
    bad.write_text(text)
    proc = run_cli("--target", "x", "status")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.count("\n") == 1 and str(bad) in proc.stderr and names in proc.stderr, proc.stderr

    listed = run_cli("--json", "targets")
    assert listed.returncode == 0 and "Traceback" not in listed.stderr, listed.stderr
    rows = {t["name"]: t for t in json.loads(listed.stdout)}
    assert {"cherry-studio", "chromium", "demo"} <= set(rows)
    assert names in rows["x"]["error"] and rows["x"]["source"] == str(bad)
    assert all(rows[n]["error"] is None for n in ("cherry-studio", "chromium", "demo"))
    text_out = run_cli("targets")
    assert text_out.returncode == 0 and "(broken preset file)" in text_out.stdout
    assert f"flagdeck: broken preset: preset {bad}" in text_out.stderr


def test_a_broken_user_preset_leaves_others_working(user_dirs: Path, qtwe_profile: Path) -> None:
    folder = user_dirs / "config" / "presets"
    folder.mkdir(parents=True)
    (folder / "broken.toml").write_text('name = "broken"\nflags = "oops"')
    (folder / "mine.toml").write_text(f'name = "mine"\n[user_data]\nall = ["{qtwe_profile}"]\n')
    assert cli_json("--target", "mine", "status")["target"]["preset"] == "mine"
    assert run_cli("--user-data-dir", str(qtwe_profile), "status").returncode == 0


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
