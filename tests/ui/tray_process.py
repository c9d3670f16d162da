"""``flagdeck tray`` as a real subprocess on an X display with a tray host, driven with xdotool.

The command is ``python -m flagdeck ... tray`` once ``cli.main`` registers ``tray_cmd``, and
``python -m flagdeck.ui ... tray`` (the same parser plus ``tray``) until then.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.ui.xserver import XSession

REPO = Path(__file__).resolve().parents[2]


def tray_entry() -> list[str]:
    from flagdeck.cli import main, tray_cmd

    module = "flagdeck" if tray_cmd in main.COMMAND_MODULES else "flagdeck.ui"
    return [sys.executable, "-m", module]


class TrayProcess:
    def __init__(self, x: XSession, global_args: list[str], tray_args: list[str], *, env: dict[str, str] | None = None,
                 argv: list[str] | None = None) -> None:
        """``argv``: another command line (``tests.ui.driven_tray``) instead of ``flagdeck ... tray``."""
        self.x = x
        self.argv = argv or [*tray_entry(), *global_args, "tray", *tray_args]
        self.env = x.env(env)
        self.data_dir = Path(self.env["FLAGDECK_DATA_DIR"])
        self.started = time.monotonic()
        self.err_path = self.data_dir.parent / f"tray-{time.monotonic_ns()}.err"
        self.err_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(self.argv, env=self.env, cwd=REPO, stdout=err, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        x.children.append(self.proc)

    @property
    def log_path(self) -> Path:
        return self.data_dir / "logs" / "tray.log"

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8")
        except OSError:
            return ""

    def output(self) -> str:
        return self.err_path.read_text(encoding="utf-8", errors="replace")

    def wait_log(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self.log()
            if text in log:
                return log
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"the tray never logged {text!r}\nlog:\n{self.log()[-3000:]}\noutput:\n"
                             f"{self.output()[-2000:]}")

    def icon(self, timeout: float = 15.0) -> tuple[str, int, int, int, int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            icons = self.x.tray_icons()
            if icons:
                return icons[-1]
            time.sleep(0.05)
        raise AssertionError(f"no icon in the tray\nlog:\n{self.log()[-2000:]}")

    def open_menu(self) -> None:
        _wid, x, y, w, h = self.icon()
        self.x.xdotool("mousemove", str(x + w // 2), str(y + h // 2), "click", "3")
        time.sleep(0.6)

    def keys(self, *keys: str, pause: float = 0.25) -> None:
        for key in keys:
            self.x.xdotool("key", key)
            time.sleep(pause)

    def wait_window(self, name: str, timeout: float = 30.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.x.visible_windows(name)
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError(f"no visible window named {name!r}\nlog:\n{self.log()[-2000:]}")

    def stop(self, timeout: float = 15.0) -> int:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        return int(self.proc.returncode)
