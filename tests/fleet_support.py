"""Helpers of the fleet tests: flagd definitions, a real file keyring, reading a profile's flags."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest

from flagdeck.storage.flags import FlagDocument
from flagdeck.storage.leveldb_store import LevelDBStore

FLAG = "USE_UNIFIED_DB_SERVICE"


def definitions(path: Path, flag: str = FLAG, *, default: str = "on", targeting: Any = None,
                state: str = "ENABLED") -> Path:
    """flagd's flag-definition JSON with one boolean flag (written atomically, as a deployment tool would)."""
    spec: dict[str, Any] = {"state": state, "variants": {"on": True, "off": False}, "defaultVariant": default}
    if targeting is not None:
        spec["targeting"] = targeting
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"$schema": "https://flagd.dev/schema/v0/flags.json", "flags": {flag: spec}}))
    tmp.replace(path)
    return path


def stored_flags(leveldb: Path, origin: str = "file://", key: str = "featureFlags") -> dict[str, Any] | None:
    """The flag document on disk (read from a private copy of the LevelDB)."""
    with LevelDBStore.open_read(leveldb) as store:
        return FlagDocument.parse(store.get(origin, key)).values


@pytest.fixture
def file_keyring(user_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A real keyring backend writing to the test's data dir, chosen explicitly (as a user would)."""
    from keyrings.alt.file import PlaintextKeyring

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    previous = keyring.get_keyring()
    keyring.set_keyring(PlaintextKeyring())
    try:
        yield Path(PlaintextKeyring().file_path)
    finally:
        keyring.set_keyring(previous)
