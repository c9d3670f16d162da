"""Readable at a glance, in one console: no figure cut out of a cell (tables wrap, never elide),
the status bar's message clear of the version, a header that does not jump, buttons apart, the
target dialog's footer on one line."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QTableWidget

from flagdeck.ui.console import widgets
from flagdeck.ui.console.target_dialog import TargetDialog

DETAIL = ("2709 messages of 3000 in the database, 291 missing: the message list the page shows stops at "
          "message 2709 (ids 2710-3000 are gone)")


def test_console_text_is_whole(console_on: Any, live_demo: Any) -> None:
    shell, console = console_on(live_demo)
    for cls in console.classes:
        console.show_page(cls.key)
    shell.wait_idle()
    tables = console.findChildren(QTableWidget)
    assert len(tables) >= 9
    for table in tables:  # every table of every page: wrapped, never elided
        assert table.textElideMode() == Qt.TextElideMode.ElideNone and table.wordWrap(), table.parent()

    verify = console.show_page("verify")
    widgets.set_row(verify.table, 0, [widgets.status_item("fail"), widgets.item("data-loss"), widgets.item("2709"),
                                      widgets.item(""), widgets.item(DETAIL, tip=DETAIL), widgets.item("0.20 s")])
    verify.table.resizeRowsToContents()
    shell.qtbot.wait(50)
    line = verify.table.fontMetrics().height()
    assert verify.table.rowHeight(0) >= 2 * line  # the detail wraps: every figure of it is on screen
    assert verify.table.item(0, 4).toolTip() == DETAIL

    flags = console.show_page("flags")
    gap = flags.unset_button.geometry().left() - flags.set_button.geometry().right()
    assert gap >= 8, f"Set and Unset {gap} px apart"

    status = console.status
    status.show_message("Verification FAILED: " + DETAIL * 2)
    shell.qtbot.wait(50)
    message = status.message.mapTo(console, status.message.rect().topRight())
    version = status.version.mapTo(console, status.version.rect().topLeft())
    assert message.x() < version.x(), "the status message runs into the version"
    assert status.message.height() >= 2 * line  # it wraps, whole

    bar = console.findChild(QFrame, "targetBar")
    console.target_activity.hide()
    shell.qtbot.wait(50)
    height = bar.height()
    console.target_activity.setText("working: Verify")
    console.target_activity.show()
    shell.qtbot.wait(50)
    assert bar.height() == height  # the header does not jump when "working:" comes

    dialog = TargetDialog(shell.session, console)  # its footer's note on one line
    dialog.show()
    shell.qtbot.waitUntil(lambda: "presets" in dialog.presets_note.text(), timeout=20_000)
    shell.qtbot.wait(50)
    note = dialog.presets_note
    assert note.height() < 2 * note.fontMetrics().height(), note.text()
    assert not note.text().rstrip().endswith(".") or note.text().count(".") == 1
    dialog.close()
