"""flagdeck's own folders (platformdirs), private to the user.

``FLAGDECK_DATA_DIR`` / ``FLAGDECK_CONFIG_DIR`` move them (tests, portable use); otherwise the
platform's usual places: ``~/.local/share/flagdeck`` and ``~/.config/flagdeck`` on Linux.
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "flagdeck"


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.name == "posix" and path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


def data_dir() -> Path:
    env = os.environ.get("FLAGDECK_DATA_DIR")
    if env:
        return _private_dir(Path(env))
    import platformdirs  # here: a command that never needs it does not pay for its import

    return _private_dir(Path(platformdirs.user_data_dir(APP, appauthor=False)))


def config_dir() -> Path:
    env = os.environ.get("FLAGDECK_CONFIG_DIR")
    if env:
        return _private_dir(Path(env))
    import platformdirs

    return _private_dir(Path(platformdirs.user_config_dir(APP, appauthor=False)))


def sub_dir(*parts: str) -> Path:
    """A private folder under the data dir (``backups``, ``locks``, ``demo-target``...)."""
    return _private_dir(data_dir().joinpath(*parts))


def notify_outbox_dir() -> Path:
    """Where alerts wait for delivery (``notify.outbox``); not created here: every command looks
    at it (``cli.main``) without loading the alert code."""
    return data_dir() / "notify" / "outbox"
