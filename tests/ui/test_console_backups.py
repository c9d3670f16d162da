"""The Backups page against the demo target: take one with a note, list, diff against now, and
restore with the diff shown first (refused when the storage changed after it was shown)."""

from __future__ import annotations

from typing import Any

from flagdeck.ui.dialogs import RestoreConfirmDialog
from tests.ui.conftest import FLAG, stored_flags


def test_take_list_diff(console_on: Any, live_demo: Any) -> None:
    shell, console = console_on(live_demo)
    page = console.show_page("backups")
    page.note.setText("before the experiment")
    page.take()
    shell.qtbot.waitUntil(lambda: page.table.rowCount() == 1 and page.current() is not None, timeout=20_000)
    backup = page.current()
    assert backup.note == "before the experiment" and backup.reason == "manual"
    assert page.table.item(0, 6).text() == "before the experiment"
    assert backup.id in page.info.text()
    page.show_diff()
    shell.qtbot.waitUntil(lambda: "other entries" in page.diff.toPlainText(), timeout=20_000)
    assert f"{backup.storage_key}: unchanged" in page.diff.toPlainText()


def test_restore_shows_the_diff_first(console_on: Any, live_demo: Any) -> None:
    shell, console = console_on(live_demo)
    page = console.show_page("backups")
    page.take()
    shell.qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=20_000)
    backup_id = page.current().id
    shell.session.write_flag(FLAG, False, reload=True, source="test")
    shell.notice(f"{FLAG} set")
    assert stored_flags(live_demo.profile) == {FLAG: False}
    page.activated()
    shell.qtbot.waitUntil(lambda: page.table.rowCount() == 2, timeout=20_000)
    page._select = backup_id
    page.activated()
    shell.qtbot.waitUntil(lambda: page.current_id() == backup_id, timeout=20_000)
    page.restore()
    shell.qtbot.waitUntil(lambda: isinstance(shell.app.flows.dialog, RestoreConfirmDialog), timeout=20_000)
    dialog = shell.app.flows.dialog
    assert f"{FLAG}: true (backup) → false (now)" in dialog.findChild(type(page.diff)).toPlainText()
    assert stored_flags(live_demo.profile) == {FLAG: False}  # nothing written before the answer
    dialog.go.click()
    shell.notice("Backup restored")
    assert stored_flags(live_demo.profile) == {FLAG: True}
    shell.qtbot.waitUntil(lambda: page.table.rowCount() == 3, timeout=20_000)  # the state before, backed up


def test_restore_refused_when_the_storage_changed_after_the_diff(console_on: Any, live_demo: Any) -> None:
    shell, console = console_on(live_demo)
    page = console.show_page("backups")
    page.take()
    shell.qtbot.waitUntil(lambda: page.current() is not None, timeout=20_000)
    page.restore()
    shell.qtbot.waitUntil(lambda: isinstance(shell.app.flows.dialog, RestoreConfirmDialog), timeout=20_000)
    dialog = shell.app.flows.dialog
    live_demo.set_flags('{"USE_UNIFIED_DB_SERVICE":false}')  # someone changes it meanwhile
    dialog.go.click()
    _title, message, level = shell.notice("Restore failed")
    assert level == "error" and "changed since the diff was shown" in message
    assert stored_flags(live_demo.profile) == {FLAG: False}
