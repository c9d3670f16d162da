"""Before Qt starts: is there a display, and does Qt's xcb plugin have its libraries?

Without ``libxcb-cursor0`` & co. Qt aborts with a multi-line message about plugins that tells a
user nothing about what to install. Checked here (``dlopen`` of the exact sonames the plugin
links, ``ctypes.util.find_library`` as a second opinion) so flagdeck can say it in one line with
the apt command. Qt-free, so it runs before the first PySide6 import.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from collections.abc import Mapping

# (soname Qt's xcb plugin loads, find_library name, Debian/Ubuntu package)
XCB_LIBRARIES: tuple[tuple[str, str, str], ...] = (
    ("libxcb-cursor.so.0", "xcb-cursor", "libxcb-cursor0"),
    ("libxcb-icccm.so.4", "xcb-icccm", "libxcb-icccm4"),
    ("libxcb-keysyms.so.1", "xcb-keysyms", "libxcb-keysyms1"),
    ("libxcb-image.so.0", "xcb-image", "libxcb-image0"),
    ("libxcb-render-util.so.0", "xcb-render-util", "libxcb-render-util0"),
    ("libxcb-shape.so.0", "xcb-shape", "libxcb-shape0"),
    ("libxcb-xkb.so.1", "xcb-xkb", "libxcb-xkb1"),
    ("libxkbcommon-x11.so.0", "xkbcommon-x11", "libxkbcommon-x11-0"),
)


def _loadable(soname: str, name: str) -> bool:
    try:
        ctypes.CDLL(soname)
        return True
    except OSError:
        return ctypes.util.find_library(name) is not None


def missing_xcb_packages(libraries: tuple[tuple[str, str, str], ...] | None = None) -> list[str]:
    """Debian packages of the xcb libraries this machine lacks (empty when all load)."""
    wanted = XCB_LIBRARIES if libraries is None else libraries
    return [package for soname, name, package in wanted if not _loadable(soname, name)]


def uses_xcb(env: Mapping[str, str], platform: str = sys.platform) -> bool:
    """Whether Qt will pick its xcb plugin: asked for, or X11 without a Wayland session."""
    if not platform.startswith("linux"):
        return False
    wanted = env.get("QT_QPA_PLATFORM", "").strip()
    if wanted:
        return wanted.split(";")[0].split(":")[0] == "xcb"
    return bool(env.get("DISPLAY")) and not env.get("WAYLAND_DISPLAY")


def display_problem(env: Mapping[str, str] | None = None, platform: str = sys.platform,
                    missing: list[str] | None = None) -> str | None:
    """One line saying why a Qt window cannot open here, or None when it can.

    ``missing``: the result of :func:`missing_xcb_packages` (computed when None and xcb is used).
    """
    env = os.environ if env is None else env
    if not platform.startswith("linux"):
        return None
    wanted = env.get("QT_QPA_PLATFORM", "").strip()
    if wanted.startswith(("offscreen", "minimal", "vnc", "eglfs", "linuxfb")):
        return None
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        return ("no display: the tray and console need a desktop session (DISPLAY or WAYLAND_DISPLAY); "
                "every action is also a flagdeck command")
    if uses_xcb(env, platform):
        lacking = missing_xcb_packages() if missing is None else missing
        if lacking:
            return (f"Qt's X11 (xcb) platform needs {', '.join(lacking)}: "
                    f"sudo apt-get install {' '.join(lacking)}")
    return None
