"""How flagdeck starts an app: commands come from presets and from the running app's own command
line, never from a file inside a profile. A copied profile whose ``demo-target.json`` holds
``{"command": ["/bin/sh", "-c", ...]}`` gets nothing run; the real demo target still relaunches."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from flagdeck.targets import launch, process
from flagdeck.targets.resolve import TargetOptions, resolve
from tests.conftest import run_cli
from tests.demo_support import DemoTarget

ON = '{"USE_UNIFIED_DB_SERVICE":true}'
DEMO = [sys.executable, "-m", "flagdeck.demo_target"]


def plant_command(profile: Path, marker: Path, **extra: Any) -> None:
    """What a hostile copy of a profile could hold: a demo-target.json whose command makes a file."""
    state = {"status": "exited", "version": "0.1.0", "argv": [], **extra,
             "command": ["/bin/sh", "-c", f"touch {marker}; sleep 30", "sh"]}
    (profile / "demo-target.json").write_text(json.dumps(state))


def stop_holder(profile: Path) -> None:
    holder = process.lock_holder(profile / "Local Storage" / "leveldb" / "LOCK")
    if holder is not None:
        try:
            os.killpg(holder.pid, 9)
        except (ProcessLookupError, PermissionError):
            os.kill(holder.pid, 9)


def test_launch_never_runs_a_command_from_a_copied_profile(start_demo: Any, tmp_path: Path) -> None:
    target = start_demo()
    target.stop()
    marker = tmp_path / "ran"
    plant_command(target.profile, marker)
    ud = ("--user-data-dir", str(target.profile))

    refused = run_cli(*ud, "launch")  # a folder alone says nothing about how to start it
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "do not know how to start" in refused.stderr and "--target demo" in refused.stderr
    assert not marker.exists()

    proc = run_cli("--target", "demo", *ud, "--json", "launch")  # the demo preset's command
    assert proc.returncode == 0, proc.stderr
    started = json.loads(proc.stdout)
    assert started["argv"][:5] == [*DEMO, "--profile-dir", str(target.profile)]
    assert started["argv"][5:] == ["--debug-port", str(started["port"])]  # nothing from the file
    assert not marker.exists()
    state = json.loads((target.profile / "demo-target.json").read_text())
    assert state["status"] == "ready" and state["pid"] == started["pid"]


def test_rollback_restart_relaunches_from_the_running_command_line(start_demo: Any, tmp_path: Path) -> None:
    """The demo target started as the README says (``flagdeck demo-target --profile-dir D``), no
    debug port, unified path on; its state file is then replaced by a hostile one. ``rollback
    --restart`` relaunches it from its own command line (the process holding the profile), never
    from the file, and the rollback is verified."""
    start_demo().stop()  # a seeded copy of the profile at start_demo.profile
    profile = start_demo.profile
    cmd = [sys.executable, "-m", "flagdeck", "demo-target", "--profile-dir", str(profile),
           "--env", "VITE_USE_UNIFIED_DB_SERVICE=true"]
    target = DemoTarget.launch(cmd, profile, 0, home=tmp_path / "home")
    try:
        target.wait_output("ready in")
        marker = tmp_path / "ran"
        plant_command(profile, marker)
        proc = run_cli("--user-data-dir", str(profile), "--json", "rollback", "--restart", "--yes")
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        assert result["mode"] == "restart" and result["outcome"] == "verified"
        assert result["plan"]["launch"][:4] == [sys.executable, "-m", "flagdeck", "demo-target"]
        assert "VITE_USE_UNIFIED_DB_SERVICE=true" in result["plan"]["launch"]  # relaunched as it was started
        assert not marker.exists()
        state = json.loads((profile / "demo-target.json").read_text())
        assert state["status"] == "ready" and state["page"]["path"] == "original"
    finally:
        target.kill()
        stop_holder(profile)


def test_the_demo_folder_keeps_its_options_but_not_a_command(demo_template: Path, user_dirs: Path,
                                                              tmp_path: Path) -> None:
    """In flagdeck's own demo folder the options the last run recorded are kept (the demo target's
    parser checks them); the recorded command is not run there either."""
    profile = user_dirs / "data" / "demo-target"
    shutil.copytree(demo_template, profile, ignore=shutil.ignore_patterns("LOCK", "DevToolsActivePort"))
    marker = tmp_path / "ran"
    plant_command(profile, marker, argv=["--fault", "slow=1.5", "--seed-messages", "300"])
    try:
        proc = run_cli("--json", "launch")
        assert proc.returncode == 0, proc.stderr
        argv = json.loads(proc.stdout)["argv"]
        assert argv[:5] == [*DEMO, "--profile-dir", str(profile)]
        assert argv[5:9] == ["--fault", "slow=1.5", "--seed-messages", "300"] and argv[9] == "--debug-port"
        assert not marker.exists()
        assert json.loads((profile / "demo-target.json").read_text())["faults"] == ["slow=1.5"]
    finally:
        stop_holder(profile)


def test_recorded_options_the_demo_target_would_refuse_are_dropped(demo_template: Path, user_dirs: Path) -> None:
    own = user_dirs / "data" / "demo-target"
    shutil.copytree(demo_template, own, ignore=shutil.ignore_patterns("LOCK", "DevToolsActivePort"))
    for argv in (["--evil"], ["--fault", "nope"], ["--env", "PATH=/tmp"], "not a list", [1, 2]):
        (own / "demo-target.json").write_text(json.dumps({"argv": argv, "command": ["/bin/sh"]}))
        spec = launch.spec_for(resolve(TargetOptions(target="demo")), 9555)
        assert list(spec.argv) == [*DEMO, "--profile-dir", str(own), "--debug-port", "9555"], argv
    other = user_dirs / "elsewhere"
    shutil.copytree(own, other)
    (other / "demo-target.json").write_text(json.dumps({"argv": ["--fault", "data-loss"], "command": ["/bin/sh"]}))
    spec = launch.spec_for(resolve(TargetOptions(target="demo", user_data_dir=other)), 9555)
    assert list(spec.argv) == [*DEMO, "--profile-dir", str(other), "--debug-port", "9555"]
