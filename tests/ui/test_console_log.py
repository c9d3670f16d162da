"""The Log page: this process's actions (from the tray and the console) with outcome and time, and
the history database every flagdeck process writes to."""

from __future__ import annotations

from typing import Any

from tests.ui.conftest import FLAG


def column(table: Any, col: int) -> list[str]:
    return [table.item(r, col).text() for r in range(table.rowCount()) if table.item(r, col)]


def test_session_actions_and_history(console_on: Any, live_demo: Any) -> None:
    shell, console = console_on(live_demo)
    page = console.show_page("log")
    shell.app.tray.menu.aboutToShow.emit()
    shell.app.tray.action("backup:take").trigger()  # from the tray
    shell.notice("Backup taken")
    shell.session.write_flag(FLAG, "not a boolean", reload=False, source="console")  # refused by the core
    shell.notice(f"Could not set {FLAG}")
    shell.qtbot.waitUntil(lambda: page.table.rowCount() == 2, timeout=10_000)
    actions = column(page.table, 1)
    assert actions == [f'Set {FLAG} = "not a boolean"', "Take backup"]  # newest first
    assert column(page.table, 3) == ["console", "tray"]
    assert column(page.table, 4) == ["FAILED", "ok"]
    assert "not a boolean" in column(page.table, 6)[0]
    assert all(t.endswith(" s") for t in column(page.table, 5))
    page.load_history()
    shell.qtbot.waitUntil(lambda: page.history.rowCount() >= 1, timeout=10_000)
    kinds = column(page.history, 1)
    # the write asked for in the console is recorded as from the console, not as the tray process's
    assert "flag-write" in kinds and column(page.history, 4)[kinds.index("flag-write")] == "console"


def test_reads_are_not_logged(console_on: Any, live_demo: Any) -> None:
    shell, console = console_on(live_demo)
    for key in ("flags", "backups", "verify", "rollback", "history", "log"):
        console.show_page(key)
    shell.wait_idle()
    assert console.pages["log"].table.rowCount() == 0
