"""The History page: list and filter what every flagdeck process did, annotate an entry for the
runbook's Rollback History table, copy that table."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QApplication

from flagdeck import history
from tests.ui.conftest import FLAG


def test_list_filter_annotate_copy(console_on: Any, live_demo: Any) -> None:
    shell, console = console_on(live_demo)
    shell.session.write_flag(FLAG, False, reload=True, source="console")
    shell.notice(f"{FLAG} set")
    page = console.show_page("history")
    shell.qtbot.waitUntil(lambda: page.table.rowCount() >= 1, timeout=10_000)
    assert page.table.item(0, 2).text() == "flag-write"
    page.kind.setCurrentIndex(page.kind.findData("rollback"))
    shell.qtbot.waitUntil(lambda: page.table.rowCount() == 0, timeout=10_000)
    page.kind.setCurrentIndex(page.kind.findData("flag-write"))
    shell.qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=10_000)
    page.since.setText("not a time")
    page.activated()
    shell.qtbot.waitUntil(lambda: page.banner.isVisible(), timeout=10_000)
    assert "not a duration or date" in page.banner.text.text()
    page.since.setText("1h")
    page.activated()
    shell.qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=10_000)
    page.table.selectRow(0)
    entry_id = page.current_id()
    details = page.details.toPlainText()
    assert "flag-write, ok" in details and "(from the console)" in details  # asked for in the console
    assert page.table.item(0, 5).text() == "console"  # "How": not the tray process's name
    assert "None" not in details and "null" not in details, details  # absent values read as a person reads them
    page.issue.setText("https://tracker.example/INC-7")
    page.resolution.setText("flag off, fix in 1.9.4")
    page.annotate()
    shell.qtbot.waitUntil(lambda: history.get(entry_id).issue == "https://tracker.example/INC-7", timeout=10_000)
    assert history.get(entry_id).resolution == "flag off, fix in 1.9.4"
    page.copy_markdown()
    shell.qtbot.waitUntil(lambda: QApplication.clipboard().text().startswith("| Date |"), timeout=10_000)
