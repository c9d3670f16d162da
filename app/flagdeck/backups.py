"""Backups taken before every write, kept private to the user, with retention.

A backup is a folder ``<data>/backups/<target slug>/<id>/``:

- ``entries.json``: every localStorage entry of the origin (strings, and exact bytes offline);
- ``leveldb/``: a copy of the whole LevelDB folder, taken before flagdeck opened it (offline);
- ``meta.json``: written last, atomically; a folder without it is an unfinished backup.

Folders are 0700 and files 0600. Retention keeps the newest ``keep`` backups of a target and
the folder copies of the newest ``keep_folders`` (older ones keep their entries.json).

A backup whose ``meta.json`` is unreadable, truncated, lacks a key or holds a value of the wrong
type (or whose ``entries.json`` is gone) is *damaged*: :meth:`BackupStore.listing` shows it with
why, :meth:`BackupStore.list` (what diff, restore and "latest" pick from) leaves it out, and
retention neither counts it nor deletes it (:data:`DAMAGED_RETENTION`). One damaged backup never
stops a write, a rollback or the listing of the others.
"""

from __future__ import annotations

import builtins
import json
import re
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
DAMAGED_RETENTION = ("retention keeps damaged backups: it never counts them among the newest nor deletes "
                     "them; delete such a folder by hand once you no longer need what it holds")

# meta.json: key → the types its value may have (a missing optional key takes its default).
_REQUIRED: dict[str, tuple[type, ...]] = {
    "id": (str,), "created": (str,), "target": (str,), "origin": (str,), "storage_key": (str,),
    "mode": (str,), "reason": (str,),
}
_OPTIONAL: dict[str, tuple[type, ...]] = {
    "target_name": (str,), "note": (str, type(None)), "flag_value": (str, type(None)), "entry_count": (int,),
    "folder_copy": (bool,), "size_bytes": (int,),
}
_ID_TIME = re.compile(r"^(\d{8})-(\d{6})")


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
    damaged: str | None = None  # why the backup cannot be used (see the module); None when it can

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "path"}
        data["path"] = str(self.path)
        if self.damaged:
            data["retention"] = DAMAGED_RETENTION
        return data


def _meta_problems(meta: Any, path: Path) -> list[str]:
    """What makes ``meta`` (meta.json of the backup folder ``path``) unusable; [] when nothing."""
    if not isinstance(meta, dict):
        return [f"meta.json holds {type(meta).__name__}, not an object"]
    problems = []
    for key, types in {**_REQUIRED, **_OPTIONAL}.items():
        if key not in meta:
            if key in _REQUIRED:
                problems.append(f"meta.json lacks {key!r}")
            continue
        value = meta[key]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            problems.append(f"meta.json's {key!r} is {type(value).__name__}, not {types[0].__name__}")
    if isinstance(meta.get("id"), str) and meta["id"] != path.name:
        problems.append(f"meta.json's id {meta['id']!r} is not its folder's name")
    created = meta.get("created")
    if isinstance(created, str):
        try:
            datetime.fromisoformat(created)
        except ValueError:
            problems.append(f"meta.json's 'created' is not a time: {created[:40]!r}")
    if not (path / "entries.json").is_file():
        problems.append("entries.json is missing")
    return problems


def _moment(created: str) -> datetime:
    """``created`` as an aware time for sorting (whatever ISO spelling it has; unknown: the oldest)."""
    try:
        when = datetime.fromisoformat(created)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _created_or_folder(meta: dict[str, Any], path: Path) -> str:
    """A damaged backup's time: meta.json's when it is one, else :func:`_time_of_folder`."""
    created = meta.get("created")
    if isinstance(created, str):
        try:
            datetime.fromisoformat(created)
            return created
        except ValueError:
            pass
    return _time_of_folder(path)


def _time_of_folder(path: Path) -> str:
    """When a damaged backup was taken, as best known: its id's time, else the folder's mtime."""
    m = _ID_TIME.match(path.name)
    if m:
        try:
            return datetime.strptime(m.group(1) + m.group(2), "%Y%m%d%H%M%S").replace(tzinfo=UTC).isoformat()
        except ValueError:
            pass
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="milliseconds")
    except OSError:
        return ""


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
        return backup  # retention runs once the write is done (access.write_session), never before

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
        """The backup in ``path``; a damaged one (see the module) comes back with ``damaged`` set
        and what could be read of it, never as an exception."""
        try:
            meta: Any = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as exc:
            why = (f"meta.json is not valid JSON (truncated?): {exc}" if isinstance(exc, ValueError)
                   else f"meta.json unreadable: {exc}")
            meta, problems = {}, [why]
        else:
            problems = _meta_problems(meta, path)
            if not isinstance(meta, dict):
                meta = {}

        def value(key: str, default: Any) -> Any:
            got = meta.get(key, default)
            types = _REQUIRED.get(key) or _OPTIONAL[key]
            ok = isinstance(got, types) and not (isinstance(got, bool) and bool not in types)
            return got if ok else default

        target = value("target", path.parent.name)
        return Backup(
            id=path.name, created=value("created", "") if not problems else _created_or_folder(meta, path),
            target=target, target_name=value("target_name", target), origin=value("origin", ""),
            storage_key=value("storage_key", ""), mode=value("mode", ""), reason=value("reason", ""),
            note=value("note", None), flag_value=value("flag_value", None),
            entry_count=value("entry_count", 0),
            folder_copy=value("folder_copy", False) and (path / "leveldb").is_dir(),
            size_bytes=value("size_bytes", 0), path=path, damaged="; ".join(problems) or None,
        )

    def listing(self, slug: str | None = None) -> builtins.list[Backup]:
        """Every backup with a meta.json, damaged ones included (``damaged`` says why), newest first
        (of one target, or all)."""
        if not self.root.is_dir():
            return []
        dirs = [self.root / slug] if slug else [d for d in self.root.iterdir() if d.is_dir()]
        found = []
        for target_dir in dirs:
            if not target_dir.is_dir():
                continue
            for path in target_dir.iterdir():
                if (path / "meta.json").is_file():
                    found.append(self._load(path))
        return sorted(found, key=lambda b: (_moment(b.created), b.id), reverse=True)

    def list(self, slug: str | None = None) -> builtins.list[Backup]:
        """Finished, usable backups, newest first (of one target, or all): damaged ones left out."""
        return [b for b in self.listing(slug) if not b.damaged]

    def find(self, ident: str, slug: str | None = None) -> Backup:
        """A backup by id or unique id prefix ("latest" for the newest usable one)."""
        every = self.listing(slug)
        backups = [b for b in every if not b.damaged]
        if ident == "latest" and backups:
            return backups[0]
        hits = [b for b in every if b.id == ident] or [b for b in every if b.id.startswith(ident)]
        if len(hits) == 1 and hits[0].damaged:
            raise StorageUnreadable(f"backup {hits[0].id} is damaged: {hits[0].damaged}",
                                    hint=f"its files are in {hits[0].path}; pick another with flagdeck backups")
        if len(hits) == 1:
            return hits[0]
        if not hits:
            raise BackupNotFound(f"no backup {ident!r}" + (" for this target" if slug else ""),
                                 hint="flagdeck backups lists them")
        raise BackupNotFound(f"{ident!r} matches {len(hits)} backups", hint="give more of the id")

    def entries(self, backup: Backup) -> builtins.list[Entry]:
        """The entries the backup holds; StorageUnreadable (one line) when entries.json is not what
        flagdeck wrote."""
        try:
            data = json.loads((backup.path / "entries.json").read_text(encoding="utf-8"))
            if not isinstance(data, list):
                raise ValueError(f"a list of entries expected, found {type(data).__name__}")
            return [Entry.from_json(item) for item in data]
        except (OSError, ValueError, RecursionError, KeyError, TypeError, AttributeError) as exc:
            why = f"lacks {exc}" if isinstance(exc, KeyError) else str(exc)
            raise StorageUnreadable(f"backup {backup.id}: entries.json unreadable: {why}") from exc

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
        backups = self.list(slug)  # a damaged backup is neither counted nor deleted (DAMAGED_RETENTION)
        for index, backup in enumerate(backups):
            if backup.id == protect:
                continue
            if index >= self.keep:
                shutil.rmtree(backup.path, ignore_errors=True)
            elif index >= self.keep_folders and backup.folder_copy:
                shutil.rmtree(backup.path / "leveldb", ignore_errors=True)
