"""Start at login: the XDG entry (honouring XDG_CONFIG_HOME), the macOS LaunchAgent, the Windows
Run key (against a stand-in registry), the no-op fallback, and the tray menu's checkable item."""

from __future__ import annotations

import configparser
import plistlib
import shlex
from pathlib import Path
from typing import Any

import pytest

from flagdeck.errors import UsageError
from flagdeck.ui import autostart
from flagdeck.ui.autostart import MacLaunchAgent, NoAutostart, WindowsRunKey, XdgAutostart, launch_command


def test_xdg_entry_honours_xdg_config_home(tmp_path: Path) -> None:
    backend = XdgAutostart(env={"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "HOME": str(tmp_path / "home")},
                           icon="/opt/flagdeck/flagdeck.svg")
    assert backend.path == tmp_path / "cfg" / "autostart" / "flagdeck.desktop"
    assert not backend.enabled()
    backend.enable(["/opt/my apps/python", "-m", "flagdeck", "tray", "--hidden"])
    assert backend.enabled()
    entry = configparser.ConfigParser(interpolation=None)
    entry.read(backend.path)
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application" and section["Icon"] == "/opt/flagdeck/flagdeck.svg"
    assert shlex.split(section["Exec"]) == ["/opt/my apps/python", "-m", "flagdeck", "tray", "--hidden"]
    assert backend.path.stat().st_mode & 0o077 == 0
    backend.disable()
    assert not backend.path.exists() and not backend.enabled()
    backend.disable()  # twice is fine


def test_a_failed_write_says_so_and_leaves_nothing(tmp_path: Path) -> None:
    from flagdeck.errors import StorageUnreadable

    backend = XdgAutostart(env={"XDG_CONFIG_HOME": str(tmp_path)})
    backend.path.mkdir(parents=True)  # a folder where the entry goes: the rename fails
    with pytest.raises(StorageUnreadable, match="cannot write"):
        backend.enable(["flagdeck", "tray", "--hidden"])
    assert [p.name for p in backend.path.parent.iterdir()] == ["flagdeck.desktop"]  # no temp file left


def test_xdg_entry_defaults_to_home_config(tmp_path: Path) -> None:
    backend = XdgAutostart(env={"HOME": str(tmp_path)})
    assert backend.path == tmp_path / ".config" / "autostart" / "flagdeck.desktop"


def test_xdg_entry_disabled_by_the_desktop_counts_as_off(tmp_path: Path) -> None:
    backend = XdgAutostart(env={"XDG_CONFIG_HOME": str(tmp_path)})
    backend.enable(["flagdeck", "tray", "--hidden"])
    backend.path.write_text(backend.path.read_text().replace("X-GNOME-Autostart-enabled=true",
                                                             "X-GNOME-Autostart-enabled=false"))
    assert not backend.enabled()


def test_exec_quoting_doubles_percent_signs(tmp_path: Path) -> None:
    backend = XdgAutostart(env={"XDG_CONFIG_HOME": str(tmp_path)})
    backend.enable(["/x/100%/flagdeck", "tray"])
    assert "Exec=/x/100%%/flagdeck tray" in backend.path.read_text()


def test_macos_launch_agent(tmp_path: Path) -> None:
    backend = MacLaunchAgent(home=tmp_path)
    backend.enable(["/Applications/flagdeck.app/Contents/MacOS/flagdeck", "tray", "--hidden"])
    data = plistlib.loads(backend.path.read_bytes())
    assert backend.path.parent == tmp_path / "Library" / "LaunchAgents"
    assert data["Label"] == "io.github.flagdeck.tray" and data["RunAtLoad"] is True
    assert data["ProgramArguments"][-2:] == ["tray", "--hidden"]
    assert backend.enabled()
    backend.disable()
    assert not backend.enabled()


class FakeRegistry:
    """The few ``winreg`` calls the Run-key backend makes, over a dict."""

    HKEY_CURRENT_USER, KEY_SET_VALUE, REG_SZ = "HKCU", 2, 1

    def __init__(self) -> None:
        self.values: dict[str, dict[str, str]] = {}

    class _Key:
        def __init__(self, reg: FakeRegistry, path: str) -> None:
            self.reg, self.path = reg, path

        def __enter__(self) -> Any:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

    def OpenKey(self, root: str, path: str, *_a: Any) -> Any:
        if path not in self.values:
            raise FileNotFoundError(path)
        return self._Key(self, path)

    def CreateKey(self, root: str, path: str) -> Any:
        self.values.setdefault(path, {})
        return self._Key(self, path)

    def QueryValueEx(self, key: Any, name: str) -> tuple[str, int]:
        try:
            return self.values[key.path][name], self.REG_SZ
        except KeyError:
            raise FileNotFoundError(name) from None

    def SetValueEx(self, key: Any, name: str, _r: int, _t: int, value: str) -> None:
        self.values[key.path][name] = value

    def DeleteValue(self, key: Any, name: str) -> None:
        if name not in self.values[key.path]:
            raise FileNotFoundError(name)
        del self.values[key.path][name]


def test_windows_run_key() -> None:
    reg = FakeRegistry()
    backend = WindowsRunKey(registry=reg)
    assert not backend.enabled()
    backend.enable([r"C:\Program Files\flagdeck\flagdeck.exe", "tray", "--hidden"])
    assert reg.values[autostart.RUN_KEY]["flagdeck"] == r'"C:\Program Files\flagdeck\flagdeck.exe" tray --hidden'
    assert backend.enabled()
    backend.disable()
    assert not backend.enabled()
    backend.disable()


def test_fallback_and_backend_choice(tmp_path: Path) -> None:
    none = NoAutostart()
    assert not none.supported and not none.enabled()
    with pytest.raises(UsageError):
        none.enable(["x"])
    assert isinstance(autostart.backend("linux"), XdgAutostart)
    assert isinstance(autostart.backend("darwin"), MacLaunchAgent)
    assert isinstance(autostart.backend("win32"), NoAutostart)  # no winreg here: the no-op fallback
    assert isinstance(autostart.backend("sunos5"), NoAutostart)


def test_launch_command_starts_the_tray_hidden() -> None:
    command = launch_command()
    assert command[-2:] == ["tray", "--hidden"]
    assert Path(command[0]).exists()


def test_start_at_login_menu_item(make_shell: Any, tmp_path: Path) -> None:
    from tests.ui.conftest import demo_options

    shell = make_shell(demo_options(tmp_path / "nothing"))
    tray = shell.app.tray
    tray.menu.aboutToShow.emit()
    item = tray.action("autostart")
    assert item.isCheckable() and not item.isChecked()
    item.trigger()
    entry = Path(shell.app.autostart.location())
    assert entry.is_file() and entry.parent.name == "autostart"
    assert "tray --hidden" in entry.read_text()
    tray.menu.aboutToShow.emit()
    assert tray.action("autostart").isChecked()
    tray.action("autostart").trigger()
    assert not entry.exists()
