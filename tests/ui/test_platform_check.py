"""Before Qt starts: a missing display or missing xcb libraries are one line, with the apt command.
(No Qt here: these run on a machine without a display.)"""

from __future__ import annotations

import os
import subprocess
import sys

from flagdeck.ui import platform_check
from flagdeck.ui.platform_check import display_problem, missing_xcb_packages, uses_xcb


def test_no_display_is_one_line() -> None:
    text = display_problem({}, "linux")
    assert text is not None and "\n" not in text
    assert "DISPLAY" in text and "flagdeck command" in text


def test_offscreen_and_other_platforms_need_nothing() -> None:
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert display_problem({}, "win32") is None
    assert display_problem({}, "darwin") is None


def test_missing_xcb_libraries_name_the_packages_and_the_apt_command() -> None:
    env = {"DISPLAY": ":0"}
    text = display_problem(env, "linux", missing=["libxcb-cursor0", "libxcb-icccm4"])
    assert text == ("Qt's X11 (xcb) platform needs libxcb-cursor0, libxcb-icccm4: "
                    "sudo apt-get install libxcb-cursor0 libxcb-icccm4")
    assert display_problem(env, "linux", missing=[]) is None


def test_wayland_session_is_not_checked_for_xcb() -> None:
    env = {"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}
    assert not uses_xcb(env, "linux")
    assert display_problem(env, "linux", missing=["libxcb-cursor0"]) is None
    assert uses_xcb({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "w"}, "linux")
    assert uses_xcb({"QT_QPA_PLATFORM": "xcb:display=:1"}, "linux")


def test_library_probe_finds_present_and_absent_libraries() -> None:
    libs = (("libc.so.6", "c", "libc6"), ("libflagdeck-nothing.so.9", "flagdeck-nothing", "libflagdeck-nothing9"))
    assert missing_xcb_packages(libs) == ["libflagdeck-nothing9"]
    assert missing_xcb_packages() == []  # this machine has Qt's xcb dependencies (system-deps.sh)


def test_tray_command_without_display_fails_in_one_line(tmp_path: object) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    from tests.ui.tray_process import tray_entry

    proc = subprocess.run([*tray_entry(), "tray", "--hidden"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("flagdeck: no display"), proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_library_message_reaches_the_user(tmp_path: object) -> None:
    """The xcb check runs before any Qt import: a missing library is one line and exit 2."""
    code = ("import sys; from flagdeck.ui import platform_check as p\n"
            "p.XCB_LIBRARIES = p.XCB_LIBRARIES + (('libxcb-flagdeck-test.so.0', 'xcb-flagdeck-test', "
            "'libxcb-flagdeck-test0'),)\n"
            "from flagdeck.cli import main, tray_cmd\n"
            "main.COMMAND_MODULES.append(tray_cmd) if tray_cmd not in main.COMMAND_MODULES else None\n"
            "rc = main.main(['tray', '--hidden'])\n"
            "print('qt imported' if any(m.startswith('PySide6.QtWidgets') for m in sys.modules) else 'no qt')\n"
            "sys.exit(rc)\n")
    env = {**os.environ, "DISPLAY": ":99", "QT_QPA_PLATFORM": "xcb"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == ("flagdeck: Qt's X11 (xcb) platform needs libxcb-flagdeck-test0: "
                                   "sudo apt-get install libxcb-flagdeck-test0")
    assert proc.stdout.strip() == "no qt"


def test_display_available_for_the_default_command() -> None:
    from flagdeck.cli import tray_cmd

    assert isinstance(tray_cmd.display_available(), bool)
    assert platform_check.display_problem({"DISPLAY": ":5"}, "linux", missing=[]) is None
