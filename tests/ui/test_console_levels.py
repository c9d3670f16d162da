"""The guided Level 2 / Level 3 view: opened from the tray's "Level 2…" on the Rollback page, it
shows the plan with its exact commands, asks before each destructive step (the branch deletion
wants the branch name typed back), streams the output and ends verified on the real demo target,
its git repository and its real build."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from flagdeck.runbooks.model import LevelPlan, Step
from flagdeck.targets.resolve import TargetOptions


def test_level2_from_the_tray_to_verified(make_shell: Any, demo_template: Path, user_dirs: Path) -> None:
    from flagdeck import demo_scenario
    from flagdeck.runbooks import demo_repo
    from flagdeck.runbooks.demo_levels import install_bad_release
    from flagdeck.targets import process
    from flagdeck.ui.console.levels_view import LevelsDialog

    profile = user_dirs / "data" / "demo-target"
    shutil.copytree(demo_template, profile, ignore=shutil.ignore_patterns("LOCK", "DevToolsActivePort"))
    repo = demo_repo.create()
    install_bad_release(repo, lambda _: None)
    demo_scenario.start_incident("data-loss", None, lambda _: None, app_dir=repo.app_dir)
    try:
        shell = make_shell(TargetOptions(target="demo"))
        shell.wait_read()
        tray = shell.app.tray
        tray.rebuild()
        tray.action("level2").trigger()
        console = shell.app.console
        dialog = console.pages["rollback"].findChild(LevelsDialog, "levels-2")
        assert dialog is not None and dialog.isVisible()
        assert dialog.repo.text() == str(repo.work)  # the preset's [runbook] repo

        dialog.show_plan()
        shell.qtbot.waitUntil(lambda: dialog.plan is not None, timeout=30_000)
        revert = dialog._items["revert"]
        assert revert.child(0).text(0) == "$ git revert --no-edit HEAD"
        assert "[asks first]" in revert.text(0)

        asked: list[str] = []
        dialog.ask_yes = lambda title, text: asked.append(title) or True  # type: ignore[method-assign]
        dialog.start()
        shell.qtbot.waitUntil(lambda: dialog.result is not None, timeout=180_000)
        result = dialog.result
        assert result.outcome == "verified", dialog.banner.text.text()
        assert [dialog._items[s.id].text(1) for s in result.plan.steps] == ["done"] * 7
        assert asked == [result.plan.step("revert").title, result.plan.step("deploy").title]
        out = dialog.output.toPlainText()
        assert "$ git revert --no-edit HEAD" in out and "built dist/ from" in out and "── Build" in out
        manual = [dialog.manual.item(i).text() for i in range(dialog.manual.count())]
        assert any("tell the team yourself" in m for m in manual)
        assert "VERIFIED" in dialog.banner.text.text() and dialog.open_record.isEnabled()
        assert not dialog.resume_button.isEnabled()
    finally:
        holder = process.lock_holder(profile / "Local Storage" / "leveldb" / "LOCK")
        if holder is not None:
            from flagdeck.targets import launch

            launch.close_gracefully(holder.pid, profile / "Local Storage" / "leveldb" / "LOCK")


def test_branch_deletion_wants_the_name_typed_back(qtbot: Any) -> None:
    from flagdeck.ui.console.levels_view import LevelsDialog

    class Ctx:
        session = type("S", (), {"target": None})()

    dialog = LevelsDialog(Ctx(), 3)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    step = Step("branch", "Back to main; delete feature/x", confirm="branch")
    plan = LevelPlan(3, "/repo", [step], feature_branch="feature/x", backup_refs=["refs/flagdeck/backup/feature/x/T"])
    for typed, answer in (("feature/y", False), ("", False), (None, False), ("feature/x", True)):
        dialog.ask_text = lambda title, label, t=typed: t  # type: ignore[method-assign]
        assert dialog.ask_person(step, plan) is answer
