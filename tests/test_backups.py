"""Backup store: finished/unfinished, lookup, retention, privacy."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from flagdeck.backups import BackupStore
from flagdeck.errors import BackupNotFound
from flagdeck.storage.leveldb_store import LevelDBStore


def _take(store: BackupStore, leveldb: Path, *, folder: bool = True, note: str | None = None):
    pending = store.start("t-1", target_name="T", storage_key="featureFlags", mode="offline", reason="test",
                          note=note)
    if folder:
        pending.copy_folder(leveldb)
    with LevelDBStore.open_read(leveldb) as db:
        backup = pending.finish("file://", db.entries("file://"), db.get("file://", "featureFlags"))
    store.prune("t-1")  # retention, as a write session runs it once the write is done
    return backup


def test_round_trip_keeps_exact_bytes(qtwe_profile: Path, tmp_path: Path) -> None:
    leveldb = qtwe_profile / "Local Storage" / "leveldb"
    store = BackupStore(tmp_path / "b")
    backup = _take(store, leveldb, note="n")
    with LevelDBStore.open_read(leveldb) as db:
        assert store.entries(backup) == db.entries("file://")
    assert backup.folder_copy and backup.note == "n" and backup.entry_count == 4
    with LevelDBStore.open_read(backup.path / "leveldb") as copy:  # the folder copy opens
        assert copy.get("file://", "featureFlags") == backup.flag_value


def test_lookup(qtwe_profile: Path, tmp_path: Path) -> None:
    leveldb = qtwe_profile / "Local Storage" / "leveldb"
    store = BackupStore(tmp_path / "b")
    first, second = _take(store, leveldb, folder=False), _take(store, leveldb, folder=False)
    assert store.find("latest").id == second.id
    assert store.find(first.id).id == first.id
    with pytest.raises(BackupNotFound, match="matches 2"):
        store.find(first.id[:8])
    with pytest.raises(BackupNotFound, match="no backup"):
        store.find("nope")
    assert store.find(second.id[:-1]).id == second.id  # a unique prefix


def test_retention(qtwe_profile: Path, tmp_path: Path) -> None:
    leveldb = qtwe_profile / "Local Storage" / "leveldb"
    store = BackupStore(tmp_path / "b", keep=4, keep_folders=2)
    made = [_take(store, leveldb) for _ in range(6)]
    left = store.list("t-1")
    assert [b.id for b in left] == [b.id for b in reversed(made)][:4]
    assert [b.folder_copy for b in left] == [True, True, False, False]


def test_unfinished_backups_are_invisible_then_cleaned(qtwe_profile: Path, tmp_path: Path) -> None:
    leveldb = qtwe_profile / "Local Storage" / "leveldb"
    store = BackupStore(tmp_path / "b")
    crashed = store.start("t-1", target_name="T", storage_key="featureFlags", mode="offline", reason="x")
    crashed.copy_folder(leveldb)
    assert store.list("t-1") == []
    old = time.time() - 3600
    os.utime(crashed.path, (old, old))
    _take(store, leveldb, folder=False)
    assert not crashed.path.exists()


def test_private_modes(qtwe_profile: Path, tmp_path: Path) -> None:
    backup = _take(BackupStore(tmp_path / "b"), qtwe_profile / "Local Storage" / "leveldb")
    for item in [backup.path, *backup.path.rglob("*")]:
        assert stat.S_IMODE(item.stat().st_mode) & 0o077 == 0, item
