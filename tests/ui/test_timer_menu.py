"""Timed toggles in the tray and the console, in-process against the real demo target's profile:
the per-flag "for a while" menu, the running timer with its remaining time (menu, tooltip, badge),
cancelling from the menu, the Flags page's list, a timer the tray fires itself, and the hand-over
to a detached timer process when the tray quits."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from flagdeck import history, timers
from tests.ui.conftest import FLAG, demo_options, stored_flags, wait_for


def open_menu(shell: Any) -> Any:
    tray = shell.app.tray
    tray.menu.aboutToShow.emit()
    return tray


def test_timed_toggle_from_the_tray(make_shell: Any, start_demo: Any, tmp_path: Path) -> None:
    demo = start_demo()
    demo.with_flags(json.dumps({FLAG: True}))
    demo.stop()
    shell = make_shell(demo_options(demo.profile))
    assert shell.wait_known().mode == "offline"
    tray = open_menu(shell)
    texts = [a.text() for a in tray.all_actions() if a.objectName().startswith(f"timed:{FLAG}:")]
    assert texts == ["Off for 15 min", "Off for 1 h", "Custom…"]  # it is on: the timed value is off

    tray.action(f"timed:{FLAG}:900").trigger()
    shell.notice(f"{FLAG} = false for 15 min")
    assert stored_flags(demo.profile) == {FLAG: False}
    (timer,) = timers.pending()
    assert (timer.back, timer.set_by, timer.pid) == (True, "tray", None)  # no process: the tray holds it
    assert timers.claimed(timer.id)
    shell.qtbot.waitUntil(lambda: tray._drawn is not None and tray._drawn[3] is True, timeout=10_000)  # the badge
    assert f"timer: {FLAG} back to true in 15 min" in tray.icon.toolTip()
    tray = open_menu(shell)
    item = tray.action(f"timer:{timer.id}")
    assert item is not None and f"{FLAG} back to true in 15 min" in item.text()

    shell.app.open_console("flags")
    from PySide6.QtWidgets import QGroupBox

    panel = shell.app.console.findChild(QGroupBox, "timers-panel")
    shell.qtbot.waitUntil(lambda: panel.table.rowCount() == 1, timeout=10_000)
    assert panel.table.item(0, 1).text() == FLAG and panel.table.item(0, 3).text() == "true"

    item.trigger()  # cancel from the menu
    shell.notice("Timer cancelled")
    assert timers.pending() == [] and stored_flags(demo.profile) == {FLAG: False}
    shell.qtbot.waitUntil(lambda: panel.table.rowCount() == 0 and not tray._drawn[3], timeout=10_000)

    # A short one the tray fires itself: back to false, a history row of the timer, a notification.
    shell.app.tray.timers.start_timer(FLAG, True, 1.5)
    shell.notice(f"{FLAG} = true for 2 s")
    _title, message, level = shell.notice("Timed toggle ended")
    assert "back to false" in message and level == "info"
    assert stored_flags(demo.profile) == {FLAG: False}
    row = history.query(kind="timed-revert")[0]
    assert (row.how, row.outcome) == ("timer", "ok")

    # The tray quits with a timer running: a detached timer process takes it over.
    shell.app.tray.timers.start_timer(FLAG, True, 3600)
    shell.notice(f"{FLAG} = true for 60 min")
    (timer,) = timers.pending()
    shell.app.tray.timers.hand_over()
    pid = wait_for(lambda: (t := timers.load(timer.id)) is not None and t.pid and timers.claimed(timer.id) and t.pid)
    assert pid != os.getpid()
    assert timers.cancel(timer.id).id == timer.id  # (ends that process too)
