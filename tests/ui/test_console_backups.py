"""The Backups page against the demo target: take one with a note, list, diff against now, and
restore with the diff shown first (refused when the storage changed after it was shown)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from flagdeck.backups import DAMAGED_RETENTION
from flagdeck.ui.dialogs import RestoreConfirmDialog
from tests.conftest import cli_json
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


def test_a_damaged_backup_is_listed_as_damaged_and_cannot_be_used(console_on: Any, qtwe_profile: Path,
                                                                  user_dirs: Path) -> None:
    at = ("--user-data-dir", str(qtwe_profile))
    good, bad = cli_json(*at, "backup")["id"], cli_json(*at, "backup")["id"]
    (meta,) = (user_dirs / "data" / "backups").glob(f"*/{bad}/meta.json")
    meta.write_text(json.dumps({k: v for k, v in json.loads(meta.read_text()).items() if k != "origin"}))

    shell, console = console_on(SimpleNamespace(profile=qtwe_profile))
    page = console.show_page("backups")
    shell.qtbot.waitUntil(lambda: page.table.rowCount() == 2, timeout=20_000)
    rows = {page.table.item(r, 7).text(): r for r in range(2)}
    assert page.table.item(rows[good], 1).text() == "manual"
    damaged = page.table.item(rows[bad], 1)
    assert damaged.text() == "damaged" and "meta.json lacks 'origin'" in damaged.toolTip()
    assert "1 damaged" in page.subtitle_label.text()
    page.table.selectRow(rows[bad])
    assert not page.diff_button.isEnabled() and not page.restore_button.isEnabled()
    assert "is damaged: meta.json lacks 'origin'" in page.info.text() and DAMAGED_RETENTION in page.info.text()
    page.table.selectRow(rows[good])
    assert page.diff_button.isEnabled() and page.restore_button.isEnabled()
