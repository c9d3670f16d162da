"""Helpers of the fleet tests: flagd definitions, a real file keyring, reading a profile's flags."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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
