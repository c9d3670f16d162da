"""The Flags page against the demo target: each flag's layers, warnings for typos and string
booleans, edits checked by the core's own validation, unset, and a diff against a backup."""

from __future__ import annotations

import json
from typing import Any

from tests.ui.conftest import FLAG, page_flag, stored_flags


def cells(table: Any, row: int) -> list[str]:
    return [table.item(row, c).text() if table.item(row, c) else "" for c in range(table.columnCount())]


def test_layers_and_warnings(console_on: Any, start_demo: Any) -> None:
    demo = start_demo()
    demo.with_flags(json.dumps({FLAG: "false", "USE_UNIFIED_DB_SERVIC": True}))
    shell, console = console_on(demo)
    page = console.show_page("flags")
    shell.qtbot.waitUntil(lambda: page.table.rowCount() == 2, timeout=10_000)
    flag = cells(page.table, 0)
    assert flag[:6] == [FLAG, "ON", '"false"', "false", '"false" (ON)', "localStorage"]  # a string is truthy
    typo = cells(page.table, 1)
    assert typo[0] == "USE_UNIFIED_DB_SERVIC" and typo[1] == "ignored"
    warnings = [page.warnings.item(i).text() for i in range(page.warnings.count())]
    assert any("not a boolean" in w and "treats it as ON" in w for w in warnings)
    assert any("did you mean USE_UNIFIED_DB_SERVICE?" in w for w in warnings)
    assert page.raw.text() == json.dumps({FLAG: "false", "USE_UNIFIED_DB_SERVIC": True})
    assert "live over DevTools port" in page.subtitle_label.text()


def test_edit_is_validated_by_the_core_then_written_and_reloaded(console_on: Any, live_demo: Any) -> None:
    shell, console = console_on(live_demo)
    page = console.show_page("flags")
    page.name.setCurrentText(FLAG)
    page.value.setText("maybe")
    assert not page.set_button.isEnabled() and "not a JSON value" in page.valid.text()
    # the GUI's words: the Value field takes "maybe", not the shell's NAME='"maybe"'
    assert 'text in double quotes, such as "maybe")' in page.valid.text()
    assert "SERVICE='" not in page.valid.text()
    page.value.setText('"false"')
    assert not page.set_button.isEnabled() and "not a boolean" in page.valid.text()
    assert "tick “Force”" in page.valid.text() and "--force" not in page.valid.text()
    page.force.setChecked(True)
    assert page.set_button.isEnabled()
    page.force.setChecked(False)
    page.name.setCurrentText("USE_UNIFIED_DB")
    page.value.setText("false")
    assert not page.set_button.isEnabled() and "did you mean" in page.valid.text()
    page.name.setCurrentText(FLAG)
    assert page.set_button.isEnabled() and "✓" in page.valid.text()
    page.set_value()
    shell.notice(f"{FLAG} set")
    assert stored_flags(live_demo.profile) == {FLAG: False}
    assert page_flag(live_demo) is False  # "Reload the page after writing" is on by default
    shell.qtbot.waitUntil(lambda: page.table.item(0, 1).text() == "off", timeout=10_000)
    assert "page reloaded" in page.banner.text.text()


def test_unset_goes_back_to_the_default(console_on: Any, live_demo: Any) -> None:
    shell, console = console_on(live_demo)
    page = console.show_page("flags")
    page.name.setCurrentText(FLAG)
    page.unset_value()
    shell.qtbot.waitUntil(lambda: page.banner.isVisible(), timeout=30_000)
    assert stored_flags(live_demo.profile) == {}
    shell.qtbot.waitUntil(lambda: page.table.item(0, 5).text() == "default", timeout=10_000)


def test_diff_against_a_backup(console_on: Any, live_demo: Any) -> None:
    shell, console = console_on(live_demo)
    page = console.show_page("flags")
    page.name.setCurrentText(FLAG)
    page.value.setText("false")
    page.set_value()  # takes a backup of the state before
    shell.notice(f"{FLAG} set")
    shell.qtbot.waitUntil(lambda: page.backup.count() == 1, timeout=20_000)
    page.show_diff()
    shell.qtbot.waitUntil(lambda: "(backup)" in page.diff.toPlainText(), timeout=20_000)
    text = page.diff.toPlainText()
    assert f"{FLAG}: true (backup) → false (now)" in text
    assert "other entries" in text
