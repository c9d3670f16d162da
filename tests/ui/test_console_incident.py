"""The guided incident, against the demo target's bad release: the trigger board checks itself, the
console's banner and the tray say the level in the GUI's words with its button, the rollback's
note is kept, the board is checked again after the rollback and the next steps are offered."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flagdeck import history
from flagdeck.ui.dialogs import RollbackConfirmDialog
from tests.ui.conftest import FLAG


def test_board_checks_itself_banner_leads_to_rollback_then_next_steps(console_on: Any, start_demo: Any) -> None:
    demo = start_demo("--fault", "data-loss")
    demo.with_flags(json.dumps({FLAG: True}))  # the bad release: the unified path on, losing data
    shell, console = console_on(demo, page="rollback", auto_check=True)
    incident = shell.session.incident
    shell.qtbot.waitUntil(lambda: incident.board is not None and not incident.checking, timeout=120_000)
    assert incident.board.level == "level-1-now"  # nobody pressed "Check triggers"
    banner = console.incident
    assert banner.isVisible() and "Critical trigger: roll back now (Level 1)" in banner.text.text()
    assert "Data loss or corruption" in banner.text.text()
    assert banner.action.text() == "Emergency rollback (Level 1)…"
    page = console.pages["rollback"]
    assert "Critical trigger: roll back now" in page.recommendation.text()
    assert "flagdeck rollback" not in page.recommendation.text() + banner.text.text()  # GUI words, not CLI
    shell.app.tray.menu.aboutToShow.emit()
    line = shell.app.tray.action("incident")
    assert line.isEnabled() and line.text() == "Runbook: Critical trigger: roll back now (Level 1)"

    banner.action.click()
    shell.qtbot.waitUntil(lambda: isinstance(shell.app.flows.dialog, RollbackConfirmDialog), timeout=30_000)
    dialog = shell.app.flows.dialog
    dialog.note.setText("INC-7: messages missing after 1.9.3")
    dialog.go.click()
    shell.qtbot.waitUntil(lambda: page._result is not None, timeout=120_000)
    result = page._result
    assert result.outcome == "verified"
    # checked again by itself: with the flag off the fault is dormant
    shell.qtbot.waitUntil(lambda: not incident.checking and incident.board.level == "none", timeout=120_000)
    assert "No rollback trigger fired" in banner.text.text() and banner.action.isHidden()

    steps = page.next_steps
    assert page.tabs.currentWidget() is steps
    shell.qtbot.waitUntil(lambda: "answered" in steps.texts["checklists"].text(), timeout=20_000)
    texts = {k: v.text() for k, v in steps.texts.items()}
    assert "No rollback trigger fired" in texts["triggers"]
    assert "post-rollback" in texts["checklists"] and "evidence" in texts["evidence"].lower()
    assert "no webhook is set up" in texts["team"]

    # the note typed in the confirmation: in the record and the history row, not only the backup
    record = json.loads(Path(result.record_path).read_text(encoding="utf-8"))
    assert record["note"] == "INC-7: messages missing after 1.9.3"
    steps.buttons["history"].click()  # Annotate…: the History page, on that rollback
    history_page = console.pages["history"]
    assert console.stack.currentWidget() is history_page
    shell.qtbot.waitUntil(lambda: history_page.current() is not None, timeout=20_000)
    entry = history_page.current()
    assert entry.kind == "rollback" and entry.details["rollback_id"] == result.id
    assert entry.details["note"] == "INC-7: messages missing after 1.9.3" and "INC-7" in entry.message
    assert history.query(kind="rollback")[0].details["note"] == "INC-7: messages missing after 1.9.3"
