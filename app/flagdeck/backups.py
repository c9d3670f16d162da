"""Backups taken before every write, kept private to the user, with retention.

A backup is a folder ``<data>/backups/<target slug>/<id>/``:

- ``entries.json``: every localStorage entry of the origin (strings, and exact bytes offline);
- ``leveldb/``: a copy of the whole LevelDB folder, taken before flagdeck opened it (offline);
- ``meta.json``: written last, atomically; a folder without it is an unfinished backup.

Folders are 0700 and files 0600. Retention keeps the newest ``keep`` backups of a target and
the folder copies of the newest ``keep_folders`` (older ones keep their entries.json).
"""

from __future__ import annotations

import builtins
import json
import secrets
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flagdeck import paths
from flagdeck.errors import BackupNotFound, StorageUnreadable
from flagdeck.private_files import write_json
from flagdeck.storage.leveldb_store import copy_leveldb_dir
from flagdeck.storage.store import Entry

DEFAULT_KEEP = 50
DEFAULT_KEEP_FOLDERS = 5
_UNFINISHED_GRACE_S = 600


@dataclass(frozen=True)
class Backup:
    id: str
    created: str
    target: str
    target_name: str
    origin: str
    storage_key: str
    mode: str
    reason: str
    note: str | None
    flag_value: str | None
    entry_count: int
    folder_copy: bool
    size_bytes: int
    path: Path = field(compare=False)

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "path"}
        data["path"] = str(self.path)
        return data


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def new_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


class PendingBackup:
    """A backup being taken: copy the folder first (before the store opens), then the entries."""

    def __init__(self, store: BackupStore, slug: str, info: dict[str, Any]) -> None:
        self.store = store
        self.id = new_id()
        self.path = store.root / slug / self.id
        self.path.mkdir(mode=0o700, parents=True)
        self.info = {"id": self.id, "target": slug, **info}
        self.folder_copy = False

    def copy_folder(self, leveldb_dir: Path) -> None:
        copy_leveldb_dir(leveldb_dir, self.path / "leveldb")
        self.folder_copy = True

    def finish(self, origin: str, entries: list[Entry], flag_value: str | None) -> Backup:
        write_json(self.path / "entries.json", [e.to_json() for e in entries], sync=True)
        meta = {
            **self.info,
            "origin": origin,
            "created": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "flag_value": flag_value,
            "entry_count": len(entries),
            "folder_copy": self.folder_copy,
            "size_bytes": _dir_size(self.path),
        }
        write_json(self.path / "meta.json", meta, sync=True)
        backup = self.store._load(self.path)
        self.store.prune(self.info["target"], protect=self.id)
        return backup

    def abandon(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


class BackupStore:
    def __init__(self, root: Path | None = None, *, keep: int = DEFAULT_KEEP,
                 keep_folders: int = DEFAULT_KEEP_FOLDERS) -> None:
        self.root = root or paths.sub_dir("backups")
        self.keep = keep
        self.keep_folders = keep_folders

    def start(self, slug: str, *, target_name: str, storage_key: str, mode: str,
              reason: str, note: str | None = None) -> PendingBackup:
        info = {"target_name": target_name, "storage_key": storage_key, "mode": mode,
                "reason": reason, "note": note}
        return PendingBackup(self, slug, info)

    def _load(self, path: Path) -> Backup:
        try:
            meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StorageUnreadable(f"backup {path.name} is unreadable: {exc}") from exc
        return Backup(
            id=meta["id"], created=meta["created"], target=meta["target"],
            target_name=meta.get("target_name", meta["target"]), origin=meta["origin"],
            storage_key=meta["storage_key"], mode=meta["mode"], reason=meta["reason"],
            note=meta.get("note"), flag_value=meta.get("flag_value"),
            entry_count=int(meta.get("entry_count", 0)),
            folder_copy=bool(meta.get("folder_copy")) and (path / "leveldb").is_dir(),
            size_bytes=int(meta.get("size_bytes", 0)), path=path,
        )

    def list(self, slug: str | None = None) -> list[Backup]:
        """Finished backups, newest first (of one target, or all)."""
        if not self.root.is_dir():
            return []
        dirs = [self.root / slug] if slug else [d for d in self.root.iterdir() if d.is_dir()]
        found = []
        for target_dir in dirs:
            if not target_dir.is_dir():
                continue
            for path in target_dir.iterdir():
                if (path / "meta.json").is_file():
                    try:
                        found.append(self._load(path))
                    except StorageUnreadable:
                        continue
        return sorted(found, key=lambda b: (b.created, b.id), reverse=True)

    def find(self, ident: str, slug: str | None = None) -> Backup:
        """A backup by id or unique id prefix ("latest" for the newest)."""
        backups = self.list(slug)
        if ident == "latest" and backups:
            return backups[0]
        hits = [b for b in backups if b.id == ident] or [b for b in backups if b.id.startswith(ident)]
        if len(hits) == 1:
            return hits[0]
        if not hits:
            raise BackupNotFound(f"no backup {ident!r}" + (" for this target" if slug else ""),
                                 hint="flagdeck backups lists them")
        raise BackupNotFound(f"{ident!r} matches {len(hits)} backups", hint="give more of the id")

    def entries(self, backup: Backup) -> builtins.list[Entry]:
        try:
            data = json.loads((backup.path / "entries.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StorageUnreadable(f"backup {backup.id}: entries.json unreadable: {exc}") from exc
        return [Entry.from_json(item) for item in data]

    def discard(self, backup: Backup) -> None:
        """Drop a backup whose write did not happen."""
        shutil.rmtree(backup.path, ignore_errors=True)

    def prune(self, slug: str, *, protect: str | None = None) -> None:
        target_dir = self.root / slug
        if not target_dir.is_dir():
            return
        now = time.time()
        for path in target_dir.iterdir():  # unfinished backups of crashed runs
            unfinished = path.is_dir() and not (path / "meta.json").exists() and path.name != protect
            if unfinished and now - path.stat().st_mtime > _UNFINISHED_GRACE_S:
                shutil.rmtree(path, ignore_errors=True)
        backups = self.list(slug)
        for index, backup in enumerate(backups):
            if backup.id == protect:
                continue
            if index >= self.keep:
                shutil.rmtree(backup.path, ignore_errors=True)
            elif index >= self.keep_folders and backup.folder_copy:
                shutil.rmtree(backup.path / "leveldb", ignore_errors=True)
