"""Rollback records: ``<data>/rollbacks/<id>/record.json`` beside the capture files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flagdeck import paths
from flagdeck.backups import new_id
from flagdeck.private_files import read_json, write_json


def new_record_dir() -> tuple[str, Path]:
    rid = new_id()
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

