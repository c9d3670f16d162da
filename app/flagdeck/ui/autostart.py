"""Start at login, per platform, as small backends with a no-op fallback. Qt-free.

- Linux and other XDG desktops: ``$XDG_CONFIG_HOME/autostart/flagdeck.desktop`` (XDG Autostart).
- Windows: the ``flagdeck`` value of ``HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run``.
- macOS: ``~/Library/LaunchAgents/io.github.flagdeck.tray.plist`` (a LaunchAgent, RunAtLoad).

Each starts ``flagdeck tray --hidden``: the tray without opening the console.
"""

from __future__ import annotations

import os
import plistlib
import sys
from pathlib import Path
from typing import Any, Protocol

from flagdeck import private_files
from flagdeck.desktop_entry import exec_value  # the XDG entry quoting (the menu entry uses it too)
from flagdeck.errors import StorageUnreadable
from flagdeck.executable import launcher

APP_ID = "flagdeck"
MAC_LABEL = "io.github.flagdeck.tray"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


def launch_command(hidden: bool = True) -> list[str]:
    """How to start the tray again: the flagdeck that runs now (the bundle's executable, the venv's
    ``flagdeck`` script, or ``python -m flagdeck``; ``executable.launcher``), absolute paths."""
    return [*launcher(), "tray", *(["--hidden"] if hidden else [])]


class Autostart(Protocol):
    name: str
    supported: bool

    def location(self) -> str: ...

    def enabled(self) -> bool: ...

    def enable(self, command: list[str]) -> None: ...

    def disable(self) -> None: ...


def _write_private(path: Path, data: bytes) -> None:
    """0600, atomically (``private_files.write_bytes``); a failure is one ``StorageUnreadable`` line."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        private_files.write_bytes(path, data)
    except OSError as exc:
        raise StorageUnreadable(f"cannot write {path}: {exc.strerror or exc}") from exc


def _remove(path: Path) -> None:
    """Gone (or never there); a failure is one ``StorageUnreadable`` line."""
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise StorageUnreadable(f"cannot remove {path}: {exc.strerror or exc}") from exc


class XdgAutostart:
    """An XDG Autostart entry; honours ``XDG_CONFIG_HOME``."""

    name = "xdg"
    supported = True

    def __init__(self, env: dict[str, str] | None = None, icon: str | None = None) -> None:
        self.env = dict(os.environ) if env is None else env
        self.icon = icon

    @property
    def path(self) -> Path:
        base = self.env.get("XDG_CONFIG_HOME") or str(Path(self.env.get("HOME", str(Path.home()))) / ".config")
        return Path(base) / "autostart" / f"{APP_ID}.desktop"

    def location(self) -> str:
        return str(self.path)

    def enabled(self) -> bool:
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError:
            return False
        lines = {line.strip() for line in text.splitlines()}
        return "Hidden=true" not in lines and "X-GNOME-Autostart-enabled=false" not in lines

    def enable(self, command: list[str]) -> None:
        lines = [
            "[Desktop Entry]",
            "Type=Application",
            "Name=flagdeck",
            "GenericName=Feature flag tray",
            "Comment=Feature flags, Level-1 rollback and verification for Electron/Chromium apps",
            f"Exec={exec_value(command)}",
            *([f"Icon={self.icon}"] if self.icon else []),
            "Terminal=false",
            "Categories=Development;",
            "X-GNOME-Autostart-enabled=true",
            "",
        ]
        _write_private(self.path, "\n".join(lines).encode("utf-8"))

    def disable(self) -> None:
        _remove(self.path)


class MacLaunchAgent:
    """A per-user LaunchAgent that runs the tray at login."""

    name = "launchagent"
    supported = True

    def __init__(self, home: Path | None = None) -> None:
        self.home = home or Path.home()

    @property
    def path(self) -> Path:
        return self.home / "Library" / "LaunchAgents" / f"{MAC_LABEL}.plist"

    def location(self) -> str:
        return str(self.path)

    def enabled(self) -> bool:
        try:
            data = plistlib.loads(self.path.read_bytes())
        except (OSError, plistlib.InvalidFileException, ValueError):
            return False
        return bool(data.get("RunAtLoad")) and not data.get("Disabled", False)

    def enable(self, command: list[str]) -> None:
        data = {"Label": MAC_LABEL, "ProgramArguments": list(command), "RunAtLoad": True,
                "ProcessType": "Interactive", "LimitLoadToSessionType": "Aqua"}
        _write_private(self.path, plistlib.dumps(data))

    def disable(self) -> None:
        _remove(self.path)


class WindowsRunKey:
    """The per-user ``Run`` registry value (what Task Manager's "Startup apps" lists)."""

    name = "run-key"
    supported = True

    def __init__(self, registry: Any = None) -> None:
        if registry is None:
            import winreg  # only on Windows

            registry = winreg
        self.reg = registry

    def location(self) -> str:
        return f"HKEY_CURRENT_USER\\{RUN_KEY}\\{APP_ID}"

    def enabled(self) -> bool:
        try:
            with self.reg.OpenKey(self.reg.HKEY_CURRENT_USER, RUN_KEY) as key:
                value, _ = self.reg.QueryValueEx(key, APP_ID)
                return bool(value)
        except OSError:
            return False

    def enable(self, command: list[str]) -> None:
        line = " ".join(f'"{a}"' if " " in a else a for a in command)
        with self.reg.CreateKey(self.reg.HKEY_CURRENT_USER, RUN_KEY) as key:
            self.reg.SetValueEx(key, APP_ID, 0, self.reg.REG_SZ, line)

    def disable(self) -> None:
        try:
            with self.reg.OpenKey(self.reg.HKEY_CURRENT_USER, RUN_KEY, 0, self.reg.KEY_SET_VALUE) as key:
                self.reg.DeleteValue(key, APP_ID)
        except FileNotFoundError:
            pass


class NoAutostart:
    """Where flagdeck knows no login mechanism: the menu item is disabled and says so."""

    name = "none"
    supported = False

    def location(self) -> str:
        return "not supported on this platform"

    def enabled(self) -> bool:
        return False

    def enable(self, command: list[str]) -> None:
        from flagdeck.errors import UsageError

        raise UsageError("starting at login is not supported on this platform")

    def disable(self) -> None:
        return None


def backend(platform: str = sys.platform, icon: str | None = None) -> Autostart:
    if platform == "win32":
        try:
            return WindowsRunKey()
        except ImportError:
            return NoAutostart()
    if platform == "darwin":
        return MacLaunchAgent()
    if platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return XdgAutostart(icon=icon)
    return NoAutostart()
