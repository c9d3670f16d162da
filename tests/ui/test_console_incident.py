"""The guided incident, against the demo target's bad release: the trigger board checks itself, the
console's banner and the tray say the level in the GUI's words with its button, the rollback's
note is kept, the board is checked again after the rollback, the next steps are offered, and the
evidence bundle's report reads as a bug report (verdict first, timeline, before/after, tables)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox

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
    assert page.tabs.currentWidget() is page.steps_tab and steps.isVisible()
    shell.qtbot.waitUntil(lambda: "Answered" in steps.texts["checklists"].text(), timeout=20_000)
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

    # the evidence: from the next steps, to a folder of its own (offered for creation), then its report
    steps_page = console.show_page("rollback").next_steps
    steps_page.buttons["evidence"].click()
    evidence = console.pages["evidence"]
    assert console.stack.currentWidget() is evidence
    folder = Path(evidence.folder.text())
    assert folder.name == "flagdeck evidence" and folder != Path.home() and not folder.exists()
    evidence.window_s.setValue(0.5)
    evidence.export()
    shell.qtbot.waitUntil(lambda: evidence.create_box is not None, timeout=5_000)
    evidence.create_box.button(QMessageBox.StandardButton.Yes).click()  # create it and export there
    shell.qtbot.waitUntil(lambda: evidence.path is not None or evidence.banner.text.text().startswith("could"),
                          timeout=300_000)
    assert evidence.path is not None and evidence.path.parent == folder, evidence.banner.text.text()
    assert evidence.report_button.isEnabled() and evidence.open_button.isEnabled()
    files_line = next(line for line in evidence.summary.toPlainText().splitlines() if "files in data/" in line)
    opened: list[str] = []
    QDesktopServices.setUrlHandler("file", recorder := _Opened(opened), "open")
    try:
        evidence.open_report()
        shell.qtbot.waitUntil(lambda: bool(opened), timeout=30_000)
    finally:
        QDesktopServices.unsetUrlHandler("file")
    report = Path(opened[0])
    assert report.name == "report.html" and report.is_file() and recorder
    html = report.read_text(encoding="utf-8")
    body = html.split("<main>", 1)[1]
    verdict = body.split("<h2>Timeline</h2>", 1)[0]  # the verdict comes first, the timeline right after it
    assert "<h2>Verdict</h2>" in verdict and f"{FLAG} set false" in verdict and "VERIFIED" in verdict
    assert "Critical trigger: roll back now (Level 1)" in verdict and "Data loss or corruption" in verdict
    assert "messages of" in verdict  # the trigger's figures
    assert "INC-7: messages missing after 1.9.3" in verdict  # the confirmation's note, in the evidence
    screenshots = body.split("<h2>Screenshots</h2>", 1)[1].split("<h2>", 1)[0]
    assert screenshots.count("data:image/png;base64,") == 2 and "before:" in screenshots and "after:" in screenshots
    assert "<h3>Rollback history (the runbook's table)</h3><table>" in body and "| Date |" not in body
    assert "<pre>{" not in body and '<pre>[' not in body  # raw JSON linked, not dumped
    assert '<a href="history/audit-log.json">' in body and (report.parent / "history/audit-log.json").is_file()
    count = int(files_line.split(" files in data/")[0].split()[-1])
    assert f"Files ({count} in data/)" in body  # the export's count is the report's
    evidence.verify(evidence.path)
    shell.qtbot.waitUntil(lambda: "complete and unchanged" in evidence.summary.toPlainText(), timeout=60_000)
    assert f"({count} files in data/" in evidence.summary.toPlainText()  # and the check's


class _Opened(QObject):
    def __init__(self, into: list[str]) -> None:
        super().__init__()
        self.into = into

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.into.append(url.toLocalFile())
