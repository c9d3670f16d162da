"""The UI's own settings: an INI file under flagdeck's config dir (``ui.ini``), via QSettings.

Kept: the target (the same options the CLI takes), whether a quick toggle asks first, whether the
trigger board is checked by itself, whether the demo target outlives the console, the console's
geometry and page. Nothing secret is stored here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from flagdeck import paths
from flagdeck.targets.resolve import TargetOptions

FILE_NAME = "ui.ini"


class UiSettings:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.config_dir() / FILE_NAME
        self.qs = QSettings(str(self.path), QSettings.Format.IniFormat)

    # --- the target ---------------------------------------------------------------------------------

    def target_options(self) -> TargetOptions | None:
        """The last target picked in the UI, or None (then the CLI's default: the demo preset)."""
        self.qs.beginGroup("target")
        try:
            if not self.qs.childKeys():
                return None
            text = lambda k: (str(self.qs.value(k)) or None) if self.qs.value(k) not in (None, "") else None  # noqa: E731
            port = self.qs.value("debug_port")
            return TargetOptions(
                target=text("preset"),
                user_data_dir=Path(v) if (v := text("user_data_dir")) else None,
                leveldb=Path(v) if (v := text("leveldb")) else None,
                storage_key=text("storage_key"),
                origin=text("origin"),
                debug_port=int(port) if port not in (None, "") else None,
            )
        finally:
            self.qs.endGroup()

    def set_target_options(self, opts: TargetOptions) -> None:
        self.qs.remove("target")
        self.qs.beginGroup("target")
        values = {"preset": opts.target, "user_data_dir": opts.user_data_dir, "leveldb": opts.leveldb,
                  "storage_key": opts.storage_key, "origin": opts.origin, "debug_port": opts.debug_port}
        for key, value in values.items():
            self.qs.setValue(key, "" if value is None else str(value))
        self.qs.endGroup()
        self.qs.sync()

    # --- small preferences --------------------------------------------------------------------------

    def _bool(self, key: str, default: bool) -> bool:
        value = self.qs.value(key, default)
        return value in (True, "true", "1", 1) if not isinstance(value, bool) else value

    def _set_bool(self, key: str, value: bool) -> None:
        self.qs.setValue(key, bool(value))
        self.qs.sync()

    @property
    def confirm_toggle(self) -> bool:
        """A quick toggle of a live app asks first (set and reload, or set only); off: one click
        writes and reloads, and offers Undo."""
        return self._bool("flags/confirm_toggle", False)

    @confirm_toggle.setter
    def confirm_toggle(self, value: bool) -> None:
        self._set_bool("flags/confirm_toggle", value)

    @property
    def auto_check_triggers(self) -> bool:
        """The trigger board is checked by itself while the app is live (start, another target,
        after every rollback or flag change)."""
        return self._bool("incident/auto_check", True)

    @auto_check_triggers.setter
    def auto_check_triggers(self, value: bool) -> None:
        self._set_bool("incident/auto_check", value)

    @property
    def keep_demo_running(self) -> bool:
        """The demo target the console started keeps running after flagdeck quits."""
        return self._bool("demo/keep_running", False)

    @keep_demo_running.setter
    def keep_demo_running(self, value: bool) -> None:
        self._set_bool("demo/keep_running", value)

    def value(self, key: str, default: Any = None) -> Any:
        return self.qs.value(key, default)

    def set_value(self, key: str, value: Any) -> None:
        self.qs.setValue(key, value)
        self.qs.sync()

    def geometry(self) -> QByteArray | None:
        value = self.qs.value("console/geometry")
        return value if isinstance(value, QByteArray) else None

    def set_geometry(self, data: QByteArray) -> None:
        self.set_value("console/geometry", data)
