"""The tray menu, driven in-process against the real demo target: what it shows, quick toggles with
the reload offer, the emergency rollback with its confirmation, Verify, Backups, an unreachable
target."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtGui import QAction

from flagdeck.ui.dialogs import ReloadOfferDialog, RollbackConfirmDialog
from flagdeck.ui.settings import UiSettings
from flagdeck.ui.state import Badge, FlagShape, Link
from tests.ui.conftest import FLAG, demo_options, page_flag, stored_flags


def open_menu(shell: Any) -> Any:
    """What the user sees when the menu opens (``aboutToShow`` rebuilds it)."""
    tray = shell.app.tray
    tray.menu.aboutToShow.emit()
    return tray


def test_menu_shows_target_flag_and_actions(make_shell: Any, live_demo: Any) -> None:
    shell = make_shell(demo_options(live_demo.profile))
    shell.wait_read()
    shell.qtbot.waitUntil(lambda: shell.session.shape() is FlagShape.ON, timeout=15_000)
    tray = open_menu(shell)
    names = [a.objectName() for a in tray.menu.actions() if a.objectName()]
    assert names[:2] == ["target", "state"]
    for name in (f"flag:{FLAG}", "rollback", "verify", "backups", "console", "autostart", "quit"):
        assert name in names, names
    flag = tray.action(f"flag:{FLAG}")
    assert flag.isCheckable() and flag.isChecked() and flag.isEnabled()
    assert "is ON" in tray.action("state").text() and "live" in tray.action("state").text()
    assert tray.action("rollback").text().replace("&", "") == "Emergency rollback (Level 1)…"
    assert shell.session.shape() is FlagShape.ON
    tip = tray.icon.toolTip()
    assert str(live_demo.profile) in tip and f"{FLAG}: ON" in tip and "last check" in tip


def test_toggle_live_asks_first_when_set_to(make_shell: Any, live_demo: Any) -> None:
    """Asking first is a setting (off by default), in the console's Options menu."""
    shell = make_shell(demo_options(live_demo.profile))
    assert shell.wait_known().mode == "live"
    shell.app.open_console("flags")
    ask = shell.app.console.findChild(QAction, "confirm-toggle")
    assert ask.isCheckable() and not ask.isChecked()
    ask.trigger()
    assert UiSettings().confirm_toggle
    tray = open_menu(shell)
    tray.action(f"flag:{FLAG}").trigger()
    dialog = shell.app.flows.dialog
    assert isinstance(dialog, ReloadOfferDialog)
    assert dialog.isVisible() and dialog.heading.text() == f"Set {FLAG} to false?"
    dialog.reload.click()
    shell.notice(f"{FLAG} set")
    assert stored_flags(live_demo.profile) == {FLAG: False}
    assert page_flag(live_demo) is False  # the page reloaded and runs with the flag off
    shell.wait_read(lambda s: s is not None and s.status is not None and not s.status.report.flag(FLAG).enabled)
    assert shell.session.shape() is FlagShape.OFF
    tray = open_menu(shell)
    assert not tray.action(f"flag:{FLAG}").isChecked()


def test_set_only_is_a_pending_reload_with_its_badge_line_and_reload_now(make_shell: Any, live_demo: Any) -> None:
    """Stored, not reloaded: the icon gets the pending badge, the menu says so and offers Reload now;
    the console's header too. Reload now makes the page run it."""
    shell = make_shell(demo_options(live_demo.profile), confirm_toggle=True)
    assert shell.wait_known().mode == "live"
    open_menu(shell).action(f"flag:{FLAG}").trigger()
    shell.app.flows.dialog.write_only.click()
    shell.notice(f"{FLAG} set")
    assert stored_flags(live_demo.profile) == {FLAG: False}
    assert page_flag(live_demo) is True  # not reloaded: the page still runs the old value
    shell.wait_idle()
    assert shell.session.shape() is FlagShape.ON  # what the app runs...
    assert shell.session.badge() is Badge.PENDING_RELOAD  # ...and that it is not what is stored
    assert shell.app.tray._drawn[:2] == (FlagShape.ON, Badge.PENDING_RELOAD)  # the icon drawn
    assert "not reloaded" in shell.session.tooltip()
    tray = open_menu(shell)
    assert f"still runs the old {FLAG}" in tray.action("pending").text()
    shell.app.open_console("flags")
    console = shell.app.console
    assert console.reload_now.isVisible() and "reload pending" in console.target_activity.text()
    tray.action("reload-now").trigger()
    shell.notice("Page reloaded")
    assert page_flag(live_demo) is False
    shell.qtbot.waitUntil(lambda: shell.session.badge() is Badge.NONE and shell.session.shape() is FlagShape.OFF,
                          timeout=15_000)
    assert open_menu(shell).action("pending") is None and not console.reload_now.isVisible()


def test_offline_toggle_is_one_click_marked_on_disk_and_undone(make_shell: Any, start_demo: Any) -> None:
    """App closed: the icon carries the disk mark (live has none) and the line says so; a toggle is one
    click, written on disk, and Undo (menu) puts the stored value back."""
    live = start_demo()
    live.with_flags(json.dumps({FLAG: True}))
    live.stop()
    shell = make_shell(demo_options(live.profile))
    assert shell.wait_known().mode == "offline"
    assert shell.session.link() is Link.DISK and shell.app.tray._drawn[2] is Link.DISK
    tray = open_menu(shell)
    assert "offline (app closed) · watched on disk" in tray.action("state").text()
    tray.action(f"flag:{FLAG}").trigger()
    assert shell.app.flows.dialog is None  # nothing asked
    _title, message, level = shell.notice(f"{FLAG} set")
    assert "next start" in message and "to undo" in message and level == "info"
    assert stored_flags(live.profile) == {FLAG: False}
    undo = open_menu(shell).action("undo")
    assert undo is not None and undo.text().replace("&", "") == f"Undo: {FLAG} back to true"
    undo.trigger()
    shell.qtbot.waitUntil(lambda: len([n for n in shell.notices if n[0] == f"{FLAG} set"]) == 2, timeout=20_000)
    assert stored_flags(live.profile) == {FLAG: True}
    assert shell.app.flows.offer is None and open_menu(shell).action("undo") is None


def test_app_without_debug_port_makes_flags_read_only(make_shell: Any, start_demo: Any) -> None:
    demo = start_demo(port=False)
    shell = make_shell(demo_options(demo.profile))
    assert shell.wait_known().mode == "busy"
    tray = open_menu(shell)
    assert not tray.action(f"flag:{FLAG}").isEnabled()
    assert tray.action("busy-note") is not None


def test_emergency_rollback_confirm_cancel_changes_nothing(make_shell: Any, live_demo: Any) -> None:
    shell = make_shell(demo_options(live_demo.profile))
    assert shell.wait_known().mode == "live"
    open_menu(shell).action("rollback").trigger()
    shell.qtbot.waitUntil(lambda: isinstance(shell.app.flows.dialog, RollbackConfirmDialog), timeout=30_000)
    dialog = shell.app.flows.dialog
    steps = [dialog.steps.item(i).text() for i in range(dialog.steps.count())]
    assert steps == [f"{i}.  {s.title}" for i, s in enumerate(dialog.plan.steps, 1)]
    assert [s.id for s in dialog.plan.steps] == ["capture", "set-flag", "durable", "reload", "verify", "record"]
    assert any("Set USE_UNIFIED_DB_SERVICE to false" in s for s in steps)
    dialog.reject()
    shell.wait_idle()
    assert stored_flags(live_demo.profile) == {FLAG: True}
    assert not shell.session.activity.rollback_running


def test_emergency_rollback_runs_to_verified_with_notifications(make_shell: Any, live_demo: Any) -> None:
    shell = make_shell(demo_options(live_demo.profile))
    assert shell.wait_known().mode == "live"
    progress: list[tuple[str, str]] = []
    shell.session.rollbackProgress.connect(lambda step: progress.append((step.id, step.status)))
    badges: list[Badge] = []
    shell.session.changed.connect(lambda: badges.append(shell.session.badge()))
    open_menu(shell).action("rollback").trigger()
    shell.qtbot.waitUntil(lambda: isinstance(shell.app.flows.dialog, RollbackConfirmDialog), timeout=30_000)
    shell.app.flows.dialog.go.click()
    assert shell.session.activity.rollback_running
    tray = open_menu(shell)
    assert tray.action("rollback").text().startswith("Rollback running")
    _title, message, level = shell.notice("Rollback verified", timeout=120_000)
    assert level == "info" and FLAG in message
    assert shell.notices[0][:1] == ("Rollback started", )
    assert Badge.ROLLBACK in badges
    assert [s for s, st in progress if st == "done"] == ["capture", "set-flag", "durable", "reload", "verify", "record"]
    assert stored_flags(live_demo.profile) == {FLAG: False}
    assert page_flag(live_demo) is False
    shell.wait_read(lambda s: s is not None and s.status is not None and not s.status.report.flag(FLAG).enabled)
    assert shell.session.badge() is Badge.NONE


def test_verify_from_menu_sets_failed_badge(make_shell: Any, start_demo: Any) -> None:
    demo = start_demo("--fault", "data-loss")
    demo.with_flags(json.dumps({FLAG: True}))  # the bad release: unified path on, losing data
    shell = make_shell(demo_options(demo.profile))
    assert shell.wait_known().mode == "live"
    open_menu(shell).action("verify").trigger()
    title, _message, level = shell.notice("Verification", timeout=120_000)
    assert title == "Verification FAILED" and level == "error"
    assert shell.session.activity.verify_failed
    assert shell.session.badge() is Badge.VERIFY_FAILED
    assert "FAILED" in shell.session.tooltip()


def test_backups_submenu_takes_and_lists_backups(make_shell: Any, live_demo: Any) -> None:
    shell = make_shell(demo_options(live_demo.profile))
    shell.wait_read()
    tray = open_menu(shell)
    assert tray.action("backup:take") is not None
    tray.action("backup:take").trigger()
    shell.notice("Backup taken")
    shell.qtbot.waitUntil(lambda: len(shell.session.backups) == 1, timeout=20_000)
    tray = open_menu(shell)
    backup = shell.session.backups[0]
    item = tray.action(f"backup:{backup.id}")
    assert item is not None and "manual" in item.text()
    item.trigger()
    console = shell.app.console
    assert console is not None and console.isVisible()
    shell.qtbot.waitUntil(lambda: console.pages["backups"].current_id() == backup.id, timeout=20_000)


def test_target_not_found_is_shown_and_rollback_disabled(make_shell: Any, tmp_path: Path) -> None:
    gone = tmp_path / "no-such-profile"
    shell = make_shell(demo_options(gone))
    shell.wait_read(lambda s: s is not None and s.error is not None)
    assert shell.session.shape() is FlagShape.NOT_FOUND
    tray = open_menu(shell)
    assert not tray.action("rollback").isEnabled()
    assert "target not found" in tray.action("no-flags").text()
    assert "does not exist" in shell.session.tooltip()


def test_open_console_and_quit_items(make_shell: Any, live_demo: Any) -> None:
    shell = make_shell(demo_options(live_demo.profile))
    shell.wait_read()
    tray = open_menu(shell)
    assert tray.menu.defaultAction() is tray.action("console")
    tray.action("console").trigger()
    assert shell.app.console.isVisible()
    shell.app.console.close()  # closing hides it while the tray runs
    assert not shell.app.console.isVisible()

