"""Comparisons on disk: ``<data>/perf/compare-<YYYYmmdd-HHMMSS>-<target slug>.json`` (UTC), 0600.

The name sorts by time, which is how ``triggers.perf_trigger`` finds the newest one of a target;
evidence bundles take the whole ``perf/`` folder (charts and baselines included).
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flagdeck import paths
from flagdeck.perf.result import CompareResult
from flagdeck.private_files import read_json


def folder() -> Path:
    return paths.sub_dir("perf")


def save(result: CompareResult) -> Path:
    """Write the result under a new name (a second later if that second is taken)."""
    stamp = time.time()
    while True:
        name = f"compare-{datetime.fromtimestamp(stamp, UTC).strftime('%Y%m%d-%H%M%S')}-{result.target_slug}.json"
        path = folder() / name
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            stamp += 1
            continue
        break
    result.saved_path = str(path)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(result.to_json(), fh, indent=1, ensure_ascii=False)
    return path


def latest(target_slug: str) -> dict[str, Any] | None:
    """The newest saved comparison of a target, as its JSON document."""
    found = sorted(folder().glob(f"compare-*-{target_slug}.json"))
    if not found:
        return None
    data = read_json(found[-1])
    return data if isinstance(data, dict) else None
