"""An X display with a system tray for the UI tests, the screenshots and the footprint benchmark:
``Xvfb`` (a free display picked by ``-displayfd``) and ``trayer`` (a freedesktop system-tray host).

Nothing here touches ``os.environ``: callers pass :meth:`XSession.env` to the processes they start
and ``-display`` to an in-process QApplication, so the rest of a test session keeps its offscreen Qt.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

XVFB = shutil.which("Xvfb")
TRAYER = shutil.which("trayer")
XDOTOOL = shutil.which("xdotool")
XWININFO = shutil.which("xwininfo")
IMPORT = shutil.which("import")
SCREEN = "1280x800x24"


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the process that started us exits (Linux), so an
    X server outlives every Qt client of this process, however the process ends."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def missing_tools() -> list[str]:
    return [name for name, path in (("Xvfb", XVFB), ("trayer", TRAYER), ("xdotool", XDOTOOL),
                                    ("xwininfo", XWININFO)) if path is None]


@dataclass
class XSession:
    display: str
    xvfb: subprocess.Popen[bytes]
    trayer: subprocess.Popen[bytes] | None = None
    children: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @classmethod
    def start(cls, *, tray: bool = True, screen: str = SCREEN, timeout: float = 15.0) -> XSession:
        if XVFB is None:
            raise RuntimeError("Xvfb is not installed (apt-get install xvfb)")
        read_fd, write_fd = os.pipe()
        xvfb = subprocess.Popen([XVFB, "-displayfd", str(write_fd), "-screen", "0", screen, "-nolisten", "tcp",
                                 "-noreset"], pass_fds=(write_fd,), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True, preexec_fn=_die_with_parent)
        os.close(write_fd)
        number = b""
        deadline = time.monotonic() + timeout
        with os.fdopen(read_fd, "rb") as pipe:
            while not number.endswith(b"\n") and time.monotonic() < deadline:
                chunk = pipe.read(1)
                if not chunk:
                    break
                number += chunk
        if not number.strip().isdigit():
            xvfb.kill()
            raise RuntimeError("Xvfb did not start")
        session = cls(f":{int(number)}", xvfb)
        if tray:
            session.start_tray_host(timeout)
        return session

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """Environment for a process on this display with Qt's xcb platform."""
        env = dict(os.environ if base is None else base)
        env.update(DISPLAY=self.display, QT_QPA_PLATFORM="xcb")
        env.pop("WAYLAND_DISPLAY", None)
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)  # no StatusNotifier host here: Qt uses the XEmbed tray
        return env

    def run(self, *argv: str, timeout: float = 20.0, check: bool = True) -> str:
        proc = subprocess.run(list(argv), env=self.env(), capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed ({proc.returncode}): {proc.stderr.strip()}")
        return proc.stdout

    # --- the tray host -----------------------------------------------------------------------------

    def start_tray_host(self, timeout: float = 15.0) -> None:
        if TRAYER is None:
            raise RuntimeError("trayer is not installed (apt-get install trayer)")
        self.trayer = subprocess.Popen([TRAYER, "--edge", "top", "--align", "right", "--widthtype", "request",
                                        "--height", "28", "--SetDockType", "true", "--transparent", "false",
                                        "--tint", "0x2d2d2d", "--expand", "true"],
                                       env=self.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                       start_new_session=True, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.panel_id() is not None:
                time.sleep(0.3)
                return
            time.sleep(0.1)
        raise RuntimeError("trayer did not show its panel")

    def panel_id(self) -> str | None:
        tree = self.run(XWININFO or "xwininfo", "-root", "-tree", check=False)
        m = re.search(r"^\s+(0x[0-9a-f]+) \"panel\": \(\"panel\" \"trayer\"\)", tree, re.MULTILINE)
        return m.group(1) if m else None

    def tray_icons(self) -> list[tuple[str, int, int, int, int]]:
        """Windows embedded in the tray panel bigger than 1x1: (id, x, y, w, h) in root coordinates."""
        panel = self.panel_id()
        if panel is None:
            return []
        tree = self.run(XWININFO or "xwininfo", "-id", panel, "-tree", check=False)
        found = []
        for m in re.finditer(r"(0x[0-9a-f]+) .*?(\d+)x(\d+)\+-?\d+\+-?\d+\s+\+(-?\d+)\+(-?\d+)", tree):
            wid, w, h, x, y = m.group(1), *(int(v) for v in m.group(2, 3, 4, 5))
            if wid != panel and w > 4 and h > 4:
                found.append((wid, x, y, w, h))
        # an icon is a socket window in the panel holding the client's window of the same size
        by_geometry: dict[tuple[int, int, int, int], str] = {}
        for wid, x, y, w, h in found:
            by_geometry.setdefault((x, y, w, h), wid)
        return [(wid, *geo) for geo, wid in by_geometry.items()]

    # --- driving it --------------------------------------------------------------------------------

    def xdotool(self, *args: str) -> str:
        return self.run(XDOTOOL or "xdotool", *args, check=False)

    def visible_windows(self, name: str) -> list[str]:
        return self.xdotool("search", "--onlyvisible", "--name", name).split()

    def screenshot(self, path: Path, crop: str | None = None) -> Path:
        if IMPORT is None:
            raise RuntimeError("ImageMagick's import is not installed")
        argv = [IMPORT, "-window", "root"]
        if crop:
            argv += ["-crop", crop, "+repage"]
        self.run(*argv, str(path))
        return path

    def stop(self) -> None:
        for proc in [*self.children, self.trayer, self.xvfb]:
            if proc is not None:
                stop_process(proc)


def stop_process(proc: subprocess.Popen[Any], timeout: float = 5.0) -> None:
    """SIGTERM, and SIGKILL when it has not exited within ``timeout``; nothing when it has ended."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
