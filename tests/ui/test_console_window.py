"""The console window: pages built when first shown, keyboard shortcuts, the target picked from a
folder or a preset and remembered, the window without a tray, closing, launch and the demo incident."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication

from flagdeck.targets import process
from flagdeck.targets.resolve import TargetOptions
from flagdeck.ui.console.target_dialog import TargetDialog
from flagdeck.ui.settings import UiSettings
from flagdeck.ui.state import FlagShape
from tests.ui.conftest import demo_options


def test_pages_are_built_when_first_shown_and_shortcuts_switch(console_on: Any, live_demo: Any) -> None:
    _shell, console = console_on(live_demo)
    assert set(console.pages) == {"flags"}
    keys = [c.key for c in console.classes]
    assert keys == ["flags", "rollback", "verify", "backups", "log", "performance", "evidence", "history"]
    console.activateWindow()
    for number, key in enumerate(keys, 1):
        action = console.findChild(type(console.menuBar().actions()[0]), f"go:{key}")
        assert action.shortcut().toString() == f"Ctrl+{number}"
        action.trigger()
        assert console.stack.currentWidget() is console.pages[key]
        assert console.nav.currentRow() == number - 1
    assert UiSettings().value("console/page") == "history"
    for name, shortcut in (("refresh", "F5"), ("rollback", "Ctrl+Shift+R"), ("verify", "Ctrl+Shift+V"),
                           ("backup", "Ctrl+B"), ("change-target", "Ctrl+T"), ("quit", "Ctrl+Q")):
        action = console.findChild(type(console.menuBar().actions()[0]), name)
        assert action.shortcut().toString() == shortcut, name


def test_target_from_a_folder_is_used_and_remembered(console_on: Any, live_demo: Any, start_demo: Any,
                                                    tmp_path: Path) -> None:
    shell, console = console_on(live_demo)
    dialog = TargetDialog(shell.session, console)
    dialog.tabs.setCurrentIndex(1)
    dialog.user_data.setText(str(tmp_path / "missing"))
    dialog._accept()
    assert not dialog.error.isHidden() and "is not a folder" in dialog.error.text.text()
    other = tmp_path / "other-profile"
    other.mkdir()
    dialog.user_data.setText(str(other))
    dialog._accept()
    assert dialog.chosen == TargetOptions(user_data_dir=other)
    shell.app.settings.set_target_options(dialog.chosen)
    shell.session.set_options(dialog.chosen)
    shell.qtbot.waitUntil(lambda: shell.session.shape() is FlagShape.NOT_FOUND, timeout=10_000)
    assert "no 'Local Storage/leveldb'" in console.target_state.text()
    assert UiSettings().target_options() == TargetOptions(user_data_dir=other)
    shell.session.set_options(demo_options(live_demo.profile))
    shell.wait_known()


def test_presets_are_listed_with_what_is_running(console_on: Any, live_demo: Any) -> None:
    shell, console = console_on(live_demo)
    dialog = TargetDialog(shell.session, console)
    shell.qtbot.waitUntil(lambda: dialog.presets.rowCount() >= 3, timeout=20_000)
    names = [dialog.presets.item(r, 0).text() for r in range(dialog.presets.rowCount())]
    assert {"demo", "chromium", "cherry-studio"} <= set(names)
    dialog.presets.selectRow(names.index("demo"))
    assert dialog.options() == TargetOptions(target="demo")


def test_without_a_tray_the_console_opens_and_says_so(make_shell: Any, live_demo: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QSystemTrayIcon

    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: False))
    shell = make_shell(demo_options(live_demo.profile), hidden=False)
    console = shell.app.console
    assert shell.app.tray is None and console is not None and console.isVisible()
    assert "No system tray" in console.no_tray.text.text()
    quit_calls: list[int] = []
    console.quit_app = lambda: quit_calls.append(1)
    console.close()  # without a tray, closing the window quits
    shell.qtbot.waitUntil(lambda: bool(quit_calls), timeout=5000)


def test_launch_restarts_the_app_with_a_debug_port(console_on: Any, start_demo: Any) -> None:
    demo = start_demo(port=False)
    shell, console = console_on(demo)
    assert shell.session.snapshot.mode == "busy"
    console.launch(confirm=False)
    shell.notice("App started", timeout=120_000)
    shell.qtbot.waitUntil(lambda: shell.session.snapshot.mode == "live" and shell.session.watch_alive,
                          timeout=30_000)


def test_demo_incident_from_the_file_menu_stops_with_the_console(console_on: Any, live_demo: Any,
                                                                  user_dirs: Path) -> None:
    """The demo target the console started is stopped when flagdeck quits, unless the Options menu
    says to keep it running."""
    shell, console = console_on(live_demo)
    console.start_demo("data-loss")
    lock = user_dirs / "data" / "demo-target" / "Local Storage" / "leveldb" / "LOCK"
    try:
        shell.notice("Demo incident started", timeout=240_000)
        assert shell.session.options.target == "demo" and shell.session.options.debug_port
        # the flag is on through the build env, not stored: only the running page tells
        shell.qtbot.waitUntil(lambda: shell.session.shape() is FlagShape.ON, timeout=30_000)
        snap = shell.session.snapshot
        assert snap.mode == "live" and not snap.status.report.flags[0].stored
        assert snap.page_flags == {"USE_UNIFIED_DB_SERVICE": True} and snap.page_source == "window.featureFlags"
        keep = console.findChild(QAction, "keep-demo")
        keep.trigger()  # kept running: quitting leaves it
        shell.app._stop_demo()
        assert process.lock_holder(lock) is not None
        keep.trigger()
        shell.app.shutdown()  # what Quit does after the event loop
        assert process.lock_holder(lock) is None  # stopped with the console
    finally:
        holder = process.lock_holder(lock)
        if holder is not None:
            os.killpg(holder.pid, signal.SIGKILL)


def test_about_and_clipboard_free(console_on: Any, live_demo: Any) -> None:
    shell, console = console_on(live_demo)
    assert console.windowTitle() == f"{shell.session.label()} — flagdeck"
    assert console.target_name.toolTip() == str(live_demo.profile)
    assert QApplication.instance().applicationName() == "flagdeck"
    assert console.windowIcon().availableSizes()
    assert Qt.WindowType.Window & console.windowFlags()
