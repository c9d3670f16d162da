"""The Rollback page against the demo target: the trigger board on a bad release, the pre-rollback
checklist saved as the CLI saves it, the Level-1 steps with live progress and timings, and the
restart plan offered for an app without a debug port."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtWidgets import QLabel, QMessageBox

from flagdeck.ui.dialogs import RollbackConfirmDialog
from tests.ui.conftest import FLAG, page_flag, stored_flags


def test_trigger_board_on_a_bad_release(console_on: Any, start_demo: Any) -> None:
    demo = start_demo("--fault", "data-loss")
    demo.with_flags(json.dumps({FLAG: True}))
    shell, console = console_on(demo)
    page = console.show_page("rollback")
    page.check_triggers()
    shell.qtbot.waitUntil(lambda: page.check_button.isEnabled(), timeout=120_000)
    assert "Critical trigger: roll back now (Level 1)" in page.recommendation.text()
    lines = [page.triggers.item(i).text() for i in range(page.triggers.count())]
    assert any(line.startswith("CRITICAL: Data loss or corruption") for line in lines)


def test_pre_rollback_checklist_is_saved_per_target(console_on: Any, live_demo: Any) -> None:
    from flagdeck.verify import checklist

    shell, console = console_on(live_demo)
    page = console.show_page("rollback")
    table = page.checklist
    shell.qtbot.waitUntil(lambda: table._row_of("notify-dev-team") >= 0, timeout=20_000)
    ids = {table.table.item(r, 0).data(256) for r in range(table.table.rowCount()) if table.table.item(r, 0)}
    assert {"export-perf-metrics", "backup-localstorage", "notify-dev-team"} <= ids
    assert not ids & {"message-loading", "new-chat"}  # post-rollback items live on the Verify page
    row = table._row_of("notify-dev-team")
    table.table.item(row, 3).setText("posted in #incidents")
    combo = table.table.cellWidget(row, 1)
    combo.setCurrentIndex(combo.findData("pass"))
    slug = shell.session.target.slug
    shell.qtbot.waitUntil(lambda: checklist.load(slug).get("notify-dev-team", {}).get("answer") == "pass",
                          timeout=10_000)
    assert checklist.load(slug)["notify-dev-team"]["note"] == "posted in #incidents"


def test_level_one_steps_with_live_progress_and_timings(console_on: Any, live_demo: Any) -> None:
    shell, console = console_on(live_demo)
    page = console.show_page("rollback")
    statuses: list[tuple[str, str]] = []
    shell.session.rollbackProgress.connect(lambda s: statuses.append((s.id, page.steps.item(
        page._row_of(s.id), 2).text())))
    page.start()
    shell.qtbot.waitUntil(lambda: isinstance(shell.app.flows.dialog, RollbackConfirmDialog), timeout=30_000)
    dialog = shell.app.flows.dialog
    dialog.note.setText("INC-1")
    dialog.go.click()
    shell.qtbot.waitUntil(lambda: page._result is not None, timeout=120_000)
    assert ("capture", "running") in statuses  # the row said "running" while the step ran
    rows = [[page.steps.item(r, c).text() for c in range(5)] for r in range(page.steps.rowCount())]
    assert [r[2] for r in rows] == ["done"] * 6
    assert all(r[3].endswith(" s") for r in rows)
    assert rows[4][4].endswith("0 failed, 0 manual")
    assert rows[2][4].startswith("on disk in ")  # the durable step says when the disk had it
    assert "VERIFIED" in page.outcome.text.text()
    assert page.progress.value() == page.progress.maximum() == 6
    assert page.open_record.isEnabled() and page.to_verify.isEnabled()
    assert stored_flags(live_demo.profile) == {FLAG: False}
    assert page_flag(live_demo) is False
    page.to_verify.click()
    verify = console.pages["verify"]
    assert console.stack.currentWidget() is verify
    assert verify.table.rowCount() >= 8 and "OK" in verify.verdict.text()


def test_app_without_debug_port_gets_the_restart_plan(console_on: Any, start_demo: Any) -> None:
    demo = start_demo(port=False)
    shell, console = console_on(demo)
    page = console.show_page("rollback")
    page.start()
    shell.qtbot.waitUntil(lambda: isinstance(shell.app.flows.dialog, QMessageBox), timeout=30_000)
    box = shell.app.flows.dialog
    assert "runs without a debug port" in box.text()
    box.button(QMessageBox.StandardButton.Yes).click()
    shell.qtbot.waitUntil(lambda: isinstance(shell.app.flows.dialog, RollbackConfirmDialog), timeout=30_000)
    dialog = shell.app.flows.dialog
    assert dialog.plan.mode == "restart"
    assert [s.id for s in dialog.plan.steps] == ["capture", "close", "set-flag", "relaunch", "verify", "record"]
    assert any("Relaunch:" in label.text() for label in dialog.findChildren(QLabel))
    dialog.go.click()
    shell.qtbot.waitUntil(lambda: page._result is not None, timeout=180_000)
    assert page._result.plan.mode == "restart"
    assert page._result.outcome in ("verified", "unverified"), page.outcome.text.text()
    assert stored_flags(demo.profile) == {FLAG: False}
