"""The UI's own settings: an INI file under flagdeck's config dir (``ui.ini``), via QSettings.

Kept: the target (the same options the CLI takes), whether to reload after a live toggle without
asking, the console's geometry and page. Nothing secret is stored here.
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

    @property
    def always_reload(self) -> bool:
        """Live toggles reload the page without asking (the reload offer's "always" box)."""
        return self._bool("flags/always_reload", False)

    @always_reload.setter
    def always_reload(self, value: bool) -> None:
        self.qs.setValue("flags/always_reload", bool(value))
        self.qs.sync()

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
