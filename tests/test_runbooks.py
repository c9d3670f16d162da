"""Level 2 and Level 3 on real git repositories with bare remotes (the demo's repository, made by
``runbooks.demo_repo``), the real demo target and the demo's real build and deploy.

- a dry run changes nothing: refs, ``git status``, every byte of the work tree, its ``.git`` and the
  remote, the app's profile, and no process started;
- a dirty tree, a detached HEAD, a missing remote: exit 2 before anything, nothing changed;
- a failing build stops the run; ``--resume`` finishes it after a fix;
- the backup ref brings a deleted branch back (locally and on the remote);
- history and evidence bundles carry the level.
"""

from __future__ import annotations

import io
import json
import os
import shlex
import shutil
import signal
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flagdeck.runbooks import demo_repo
from flagdeck.targets import process
from tests.conftest import run_cli
from tests.folder_state import changed, folder_state

FLAG = "USE_UNIFIED_DB_SERVICE"


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", "--no-optional-locks", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def stop_holder(profile: Path) -> None:
    """Whatever holds the demo profile (a deploy restarts the target outside the test) is killed."""
    for _ in range(3):
        holder = process.lock_holder(profile / "Local Storage" / "leveldb" / "LOCK")
        if holder is None:
            return
        try:
            os.killpg(holder.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            os.kill(holder.pid, signal.SIGKILL)
        time.sleep(0.5)


@pytest.fixture
def demo(demo_template: Path, user_dirs: Path) -> Iterator[tuple[demo_repo.DemoRepo, Path]]:
    """The demo repository (bad release on main, feature branch, bare remote) and a copy of the
    seeded demo profile where the demo preset finds it (closed)."""
    profile = user_dirs / "data" / "demo-target"
    shutil.copytree(demo_template, profile, ignore=shutil.ignore_patterns("LOCK", "DevToolsActivePort"))
    yield demo_repo.create(), profile
    stop_holder(profile)


def state(repo: demo_repo.DemoRepo, profile: Path) -> dict[str, Any]:
    """Everything a dry run must leave as it was (the bytes first: git is asked after)."""
    return {"bytes": folder_state(repo.root), "profile": folder_state(profile),
            "refs": git(repo.work, "rev-parse", "--all"), "status": git(repo.work, "status", "--porcelain"),
            "remote": git(repo.remote, "for-each-ref"), "holder": process.lock_holder(
                profile / "Local Storage" / "leveldb" / "LOCK")}


def same(before: dict[str, Any], after: dict[str, Any]) -> None:
    assert changed(before["bytes"], after["bytes"]) == []
    assert changed(before["profile"], after["profile"]) == []
    assert {k: v for k, v in before.items() if k not in ("bytes", "profile")} == {
        k: v for k, v in after.items() if k not in ("bytes", "profile")}


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``flagdeck ARGS`` in this process (what needs no app started needs no subprocess)."""
    from flagdeck.cli.main import main

    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def refused(capsys: pytest.CaptureFixture[str], *args: str, words: tuple[str, ...]) -> None:
    """``flagdeck ARGS`` exits 2 with one line on stderr."""
    code, out, err = cli(capsys, *args)
    assert code == 2, out + err
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert all(w in err for w in words), err


def test_dry_run_changes_nothing(demo: tuple[demo_repo.DemoRepo, Path], capsys: pytest.CaptureFixture[str]) -> None:
    repo, profile = demo
    before = state(repo, profile)
    for level in ("2", "3"):
        code, out, err = cli(capsys, "rollback", "--level", level, "--dry-run")
        assert code == 0 and "Traceback" not in err, err
        assert "dry run: nothing done" in out and "$ git " in out
        same(before, state(repo, profile))
    plan = json.loads(cli(capsys, "--json", "rollback", "--level", "2", "--dry-run")[1])
    assert plan["level"] == 2 and plan["outcome"] == "planned" and plan["repo"] == str(repo.work)
    revert = next(s for s in plan["steps"] if s["id"] == "revert")
    assert [c["argv"] for c in revert["commands"]] == [["git", "revert", "--no-edit", "HEAD"]]
    assert revert["confirm"] == "yes"
    plan = json.loads(cli(capsys, "--json", "rollback", "--level", "3", "--dry-run")[1])
    branch = next(s for s in plan["steps"] if s["id"] == "branch")
    argvs = [c["argv"] for c in branch["commands"]]
    assert ["git", "checkout", "main"] in argvs and ["git", "branch", "-D", demo_repo.FEATURE] in argvs
    assert argvs[-1][:2] == ["git", "push"] and argvs[-1][-2:] == ["--delete", demo_repo.FEATURE]
    assert branch["confirm"] == "branch"
    assert plan["backup_refs"][0].startswith(f"refs/flagdeck/backup/{demo_repo.FEATURE}/")
    same(before, state(repo, profile))


def test_not_ready_is_refused_before_anything(demo: tuple[demo_repo.DemoRepo, Path],
                                              capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    repo, profile = demo
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # nobody at a terminal
    (repo.work / "js" / "config.js").write_text("// an edit nobody committed\n", encoding="utf-8")
    before = state(repo, profile)
    refused(capsys, "rollback", "--level", "2", "--yes", words=("uncommitted changes", "js/config.js"))
    refused(capsys, "rollback", "--level", "3", "--yes", words=("uncommitted changes",))
    same(before, state(repo, profile))
    git(repo.work, "checkout", "--", "js/config.js")
    (repo.work / "notes.txt").write_text("untracked\n", encoding="utf-8")
    refused(capsys, "rollback", "--level", "2", "--yes", words=("uncommitted changes", "notes.txt"))
    (repo.work / "notes.txt").unlink()

    git(repo.work, "checkout", "-q", "--detach")
    before = state(repo, profile)
    refused(capsys, "rollback", "--level", "2", "--yes", words=("detached HEAD", "git checkout"))
    same(before, state(repo, profile))
    git(repo.work, "checkout", "-q", "main")

    before = state(repo, profile)
    refused(capsys, "rollback", "--level", "3", "--remote", "upstream", "--yes", words=("no remote 'upstream'",))
    refused(capsys, "rollback", "--level", "2", words=("nobody can answer", "--yes"))  # stdin: not a terminal
    refused(capsys, "rollback", "--level", "2", "--to", "HEAD", "--yes", words=("nothing to revert",))
    refused(capsys, "rollback", "--level", "2", "--flag", FLAG, words=("Level 1 options",))
    refused(capsys, "rollback", "--repo", str(repo.work), words=("Level 2/3 options",))
    same(before, state(repo, profile))


def at_terminal(args: list[str], answers: str) -> subprocess.CompletedProcess[str]:
    """``flagdeck ARGS`` with a terminal as stdin holding ``answers`` (typed ahead: each question
    reads its line); stdout and stderr are captured."""
    import pty
    import sys

    from tests.conftest import REPO

    main_fd, tty_fd = pty.openpty()
    try:
        os.write(main_fd, answers.encode())
        return subprocess.run([sys.executable, "-m", "flagdeck", *args], stdin=tty_fd, capture_output=True,
                              text=True, timeout=120, cwd=REPO, env=dict(os.environ))
    finally:
        os.close(main_fd)
        os.close(tty_fd)


def _levels_preset(user_dirs: Path, profile: Path, repo: demo_repo.DemoRepo) -> None:
    """A user preset on the demo's profile and repository whose Level 3 runs the repository's real
    test suite but deploys nothing (no app to restart: the run ends unverified, offline)."""
    folder = user_dirs / "config" / "presets"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "levels.toml").write_text(f'''
name = "levels"
origin = "file://"
indexeddb = ["CherryStudio"]
[user_data]
all = ["{profile}"]
[runbook]
repo = "{repo.work}"
feature_branch = "{demo_repo.FEATURE}"
artifacts = ["js/paths/unified/", "js/featureFlags.js"]
[runbook.level3]
test = [["{{python}}", "tools/test.py"], {{ run = ["yarn", "test:e2e"], when_script = "test:e2e" }}]
restart_app = false
''', encoding="utf-8")


def test_level3_keeps_the_deleted_branch_and_carries_the_level(demo: tuple[demo_repo.DemoRepo, Path],
                                                                user_dirs: Path, tmp_path: Path) -> None:
    repo, profile = demo
    _levels_preset(user_dirs, profile, repo)
    tip = git(repo.work, "rev-parse", f"refs/heads/{demo_repo.FEATURE}")
    # At a terminal, the branch deletion wants the branch name typed back: a wrong one stops the run
    # there, nothing deleted; --resume asks again.
    first = at_terminal(["--json", "--target", "levels", "rollback", "--level", "3"], "feature/other\n")
    assert first.returncode == 2 and "Traceback" not in first.stderr, first.stderr
    assert f"type the branch name ({demo_repo.FEATURE}) to delete it" in first.stderr
    stopped = json.loads(first.stdout)
    assert stopped["outcome"] == "stopped" and [s["status"] for s in stopped["steps"][:3]] == [
        "done", "done", "declined"]
    assert git(repo.work, "rev-parse", f"refs/heads/{demo_repo.FEATURE}") == tip
    assert git(repo.remote, "rev-parse", f"refs/heads/{demo_repo.FEATURE}") == tip
    proc = at_terminal(["--json", "--target", "levels", "rollback", "--resume", stopped["id"]],
                       f"{demo_repo.FEATURE}\ny\ny\n")  # the branch name, the artifacts, the deploy
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    result = json.loads(proc.stdout)
    assert result["id"] == stopped["id"]
    assert result["level"] == 3 and result["outcome"] == "unverified"  # closed app: checked by a person
    steps = {s["id"]: s for s in result["steps"]}
    assert all(s["status"] == "done" for s in steps.values()), steps
    suite = steps["suite"]["commands"]
    assert suite[0]["exit_code"] == 0 and suite[1]["status"] == "skipped"  # no package.json: no test:e2e
    assert "| 3 passed, 0 failed" in proc.stderr  # the suite's output, streamed

    # gone locally and on the remote, kept under the backup ref
    assert git(repo.work, "branch", "--list", demo_repo.FEATURE) == ""
    assert demo_repo.FEATURE not in git(repo.remote, "for-each-ref")
    backup = result["plan"]["backup_refs"][0]
    assert git(repo.work, "rev-parse", backup) == tip
    # the artifacts went in one commit on main
    assert git(repo.work, "log", "-1", "--format=%s") == "Level 3 rollback: remove the migration artifacts"
    assert not (repo.work / "js" / "featureFlags.js").exists() and not (repo.work / "js" / "paths" / "unified").exists()
    # the data export: a copy of the closed app's folders
    record = Path(result["record"]).parent
    assert (record / "app-data" / "IndexedDB").is_dir() and (record / "app-data" / "Local Storage-leveldb").is_dir()

    # the printed commands bring the branch back, here and on the remote
    for command in result["plan"]["restore_commands"]:
        subprocess.run(shlex.split(command), cwd=repo.work, check=True, capture_output=True, timeout=60)
    assert git(repo.work, "rev-parse", f"refs/heads/{demo_repo.FEATURE}") == tip
    assert git(repo.remote, "rev-parse", f"refs/heads/{demo_repo.FEATURE}") == tip

    # history and the evidence bundle carry the level
    table = run_cli("history", "--markdown").stdout
    assert "| Level 3 (full rollback) |" in table, table
    bundle = tmp_path / "after.zip"
    assert run_cli("--target", "levels", "evidence", "export", "--out", str(bundle)).returncode == 0
    with zipfile.ZipFile(bundle) as z:
        names = z.namelist()
        kept = [n for n in names if n.endswith(f"rollbacks/{result['id']}/record.json")]
        assert kept, names
        assert json.loads(z.read(kept[0]))["rollback_type"] == "Level 3 (full rollback)"
        report = z.read(next(n for n in names if n.endswith("data/report.html"))).decode()
        assert "Level 3 (full rollback)" in report


def test_failing_build_stops_and_resume_finishes(demo: tuple[demo_repo.DemoRepo, Path], tmp_path: Path) -> None:
    """Level 2 on the running demo target: the revert brings back a tree whose build fails (a module
    nobody added), the run stops at the build; a developer commits the fix, --resume finishes:
    build, deploy (the target restarted on the new build), verification, history, evidence."""
    from flagdeck import demo_scenario
    from flagdeck.runbooks.demo_levels import install_bad_release

    repo, profile = demo
    install_bad_release(repo, lambda _: None)  # the target serves release 1.1.0, built before the breakage
    bad = git(repo.work, "rev-parse", "HEAD")
    # A latent breakage under the release: main.js imports a module that was never committed.
    git(repo.work, "reset", "-q", "--hard", "HEAD~1")
    main_js = repo.work / "js" / "main.js"
    main_js.write_text("import './telemetry.js';\n" + main_js.read_text(encoding="utf-8"), encoding="utf-8")
    git(repo.work, "commit", "-q", "-am", "Send telemetry")
    git(repo.work, "cherry-pick", bad)
    demo_scenario.start_incident("data-loss", None, lambda _: None, app_dir=repo.app_dir)
    head = git(repo.work, "rev-parse", "HEAD")

    first = run_cli("--json", "rollback", "--level", "2", "--yes")
    assert first.returncode == 1 and "Traceback" not in first.stderr, first.stderr
    stopped = json.loads(first.stdout)
    steps = {s["id"]: s for s in stopped["steps"]}
    assert stopped["outcome"] == "failed" and steps["build"]["status"] == "failed"
    assert steps["deploy"]["status"] == steps["test"]["status"] == "pending"
    assert "import './telemetry.js' does not resolve" in first.stderr  # the build's own output, streamed
    assert steps["revert"]["commands"][0]["exit_code"] == 0 and stopped["head_before"] == head
    assert f"rollback --resume {stopped['id']}" in first.stderr
    assert process.lock_holder(profile / "Local Storage" / "leveldb" / "LOCK") is not None  # not deployed

    (repo.work / "js" / "telemetry.js").write_text("export const telemetry = null;\n", encoding="utf-8")
    git(repo.work, "add", "js/telemetry.js")
    git(repo.work, "commit", "-q", "-m", "Add the telemetry module")
    fixed = git(repo.work, "rev-parse", "HEAD")

    second = run_cli("--json", "rollback", "--resume", stopped["id"], "--yes")
    assert second.returncode == 0 and "Traceback" not in second.stderr, second.stderr
    done = json.loads(second.stdout)
    assert done["id"] == stopped["id"] and done["outcome"] == "verified" and done["head"] == fixed
    assert [s["status"] for s in done["steps"]] == ["done"] * 7
    assert len(done["attempts"]) == 2 and done["attempts"][1]["from_step"] == "build"
    assert {r["id"]: r["status"] for r in done["verify"]["results"]}["flag"] == "pass"
    assert git(repo.work, "log", "-1", "--format=%s", "HEAD~1").startswith('Revert "Release 1.1.0')
    assert git(repo.work, "rev-list", "--count", f"{head}..HEAD") == "2"  # history kept: new commits only
    built = (repo.app_dir / "js" / "build.js").read_text(encoding="utf-8")
    assert fixed in built  # the target serves the build of the fix

    table = run_cli("history", "--markdown").stdout
    assert "| Level 2 (code revert) (failed) |" in table and "| Level 2 (code revert) |" in table, table
    with zipfile.ZipFile(done["bundle"]) as z:
        names = z.namelist()
        record = json.loads(z.read(next(n for n in names if n.endswith(f"rollbacks/{done['id']}/record.json"))))
        assert record["level"] == 2 and record["rollback_type"] == "Level 2 (code revert)"
        assert "Level 2 (code revert)" in z.read(next(n for n in names if n.endswith("data/report.html"))).decode()
