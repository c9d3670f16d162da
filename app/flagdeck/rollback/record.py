"""Rollback records: ``<data>/rollbacks/<id>/record.json`` beside the capture files."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flagdeck import paths
from flagdeck.errors import UsageError
from flagdeck.private_files import read_json, write_json


def new_record_dir(slug: str) -> tuple[str, Path]:
    rid = datetime.now(UTC).strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)
    folder = paths.sub_dir("rollbacks") / rid
    folder.mkdir(mode=0o700)
    return rid, folder


def save(folder: Path, data: dict[str, Any]) -> Path:
    return write_json(folder / "record.json", data)


def load_all(slug: str | None = None) -> list[dict[str, Any]]:
    """Records, newest first (of one target when ``slug`` is given)."""
    root = paths.data_dir() / "rollbacks"
    out = []
    for path in sorted(root.glob("*/record.json"), reverse=True) if root.is_dir() else []:
        data = read_json(path)
        if not isinstance(data, dict):
            continue
        if slug is None or data.get("target", {}).get("slug") == slug:
            out.append(data)
    return out


def find(rid: str) -> dict[str, Any]:
    hits = [r for r in load_all() if str(r.get("id", "")).startswith(rid)]
    if len(hits) != 1:
        raise UsageError(f"{'no' if not hits else len(hits)} rollback record(s) match {rid!r}")
    return hits[0]
