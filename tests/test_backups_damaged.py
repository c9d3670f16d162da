"""A damaged backup is never a single point of failure (issue 11 §5): a meta.json that is truncated,
not an object, lacks a key or holds a value of the wrong type is listed as damaged with why, is left
out of diff/restore/"latest", is neither counted nor deleted by retention, and never stops a write,
a restore or a rollback."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flagdeck.backups import DAMAGED_RETENTION, Backup, BackupStore
from flagdeck.errors import StorageUnreadable
from flagdeck.storage.leveldb_store import LevelDBStore
from tests.conftest import cli_json, run_cli


def _edit_meta(change: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        meta = json.loads((path / "meta.json").read_text())
        change(meta)
        (path / "meta.json").write_text(json.dumps(meta))
    return damage


def _truncate(path: Path) -> None:
    text = (path / "meta.json").read_text()
    (path / "meta.json").write_text(text[: len(text) // 2])


DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "lacks created": (_edit_meta(lambda m: m.pop("created")), "meta.json lacks 'created'"),
    "lacks origin": (_edit_meta(lambda m: m.pop("origin")), "meta.json lacks 'origin'"),
    "lacks storage_key": (_edit_meta(lambda m: m.pop("storage_key")), "meta.json lacks 'storage_key'"),
    "entry_count a string": (_edit_meta(lambda m: m.update(entry_count="many")),
                             "meta.json's 'entry_count' is str, not int"),
    "origin a number": (_edit_meta(lambda m: m.update(origin=5)), "meta.json's 'origin' is int, not str"),
    "created not a time": (_edit_meta(lambda m: m.update(created="yesterday")), "'created' is not a time"),
    "truncated": (_truncate, "meta.json is not valid JSON (truncated?)"),
    "not an object": (lambda p: (p / "meta.json").write_text("[1, 2]"), "meta.json holds list, not an object"),
    "entries.json gone": (lambda p: (p / "entries.json").unlink(), "entries.json is missing"),
}


def _take(store: BackupStore, leveldb: Path, *, folder: bool = False) -> Backup:
    pending = store.start("t-1", target_name="T", storage_key="featureFlags", mode="offline", reason="test")
    if folder:
        pending.copy_folder(leveldb)
    with LevelDBStore.open_read(leveldb) as db:
        backup = pending.finish("file://", db.entries("file://"), db.get("file://", "featureFlags"))
    store.prune("t-1")  # retention, as a write session runs it once the write is done
    return backup


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_a_damaged_backup_is_listed_with_why_and_never_picked(qtwe_profile: Path, tmp_path: Path,
                                                              kind: str) -> None:
    leveldb = qtwe_profile / "Local Storage" / "leveldb"
    store = BackupStore(tmp_path / "b")
    good, bad = _take(store, leveldb), _take(store, leveldb)
    damage, why = DAMAGE[kind]
    damage(bad.path)

    listed = {b.id: b for b in store.listing("t-1")}
    assert set(listed) == {good.id, bad.id}  # the damaged one is not hidden
    assert listed[bad.id].damaged is not None and why in listed[bad.id].damaged
    assert listed[good.id].damaged is None
    assert listed[bad.id].to_json()["retention"] == DAMAGED_RETENTION
    assert [b.id for b in store.list("t-1")] == [good.id]
    assert store.find("latest").id == good.id
    with pytest.raises(StorageUnreadable, match=f"backup {bad.id} is damaged"):
        store.find(bad.id)
    assert store.entries(store.find(good.id))  # the others still read


def test_retention_neither_counts_nor_deletes_a_damaged_backup(qtwe_profile: Path, tmp_path: Path) -> None:
    leveldb = qtwe_profile / "Local Storage" / "leveldb"
    store = BackupStore(tmp_path / "b", keep=3, keep_folders=1)
    oldest = _take(store, leveldb)
    damaged = _take(store, leveldb, folder=True)
    DAMAGE["lacks origin"][0](damaged.path)
    newer = [_take(store, leveldb, folder=True) for _ in range(2)]  # each prunes: none may fail
    assert [b.id for b in store.list("t-1")] == [newer[1].id, newer[0].id, oldest.id]  # 3 usable kept
    newest = _take(store, leveldb)
    assert [b.id for b in store.list("t-1")] == [newest.id, newer[1].id, newer[0].id]
    assert not oldest.path.exists()
    assert (damaged.path / "meta.json").is_file() and (damaged.path / "leveldb").is_dir()  # untouched


def test_an_entries_file_that_is_not_what_flagdeck_wrote_is_one_error(qtwe_profile: Path, tmp_path: Path) -> None:
    store = BackupStore(tmp_path / "b")
    backup = _take(store, qtwe_profile / "Local Storage" / "leveldb")
    for text, why in (('{"a": 1}', "a list of entries expected"), ('[{"value": "v"}]', "lacks 'key'"),
                      ('[{"key": "k", "value": "v", "raw_key_b64": "!!"}]', "unreadable"), ("[", "unreadable")):
        (backup.path / "entries.json").write_text(text)
        with pytest.raises(StorageUnreadable, match=why):
            store.entries(backup)


def test_commands_go_on_past_damaged_backups(qtwe_profile: Path, user_dirs: Path) -> None:
    at = ("--user-data-dir", str(qtwe_profile))
    made = [cli_json(*at, "backup", "--note", f"n{i}")["id"] for i in range(5)]
    usable = made[0]
    folder = next((user_dirs / "data" / "backups").iterdir())
    kinds = ["lacks created", "entry_count a string", "truncated", "lacks origin"]  # the newest lacks origin
    for ident, kind in zip(made[1:], kinds, strict=True):
        DAMAGE[kind][0](folder / ident)

    text = run_cli(*at, "backups")
    assert text.returncode == 0 and "Traceback" not in text.stderr, text.stderr
    assert f"DAMAGED (4): {DAMAGED_RETENTION}" in text.stdout
    for ident, kind in zip(made[1:], kinds, strict=True):
        line = next(line for line in text.stdout.splitlines() if ident in line)
        assert DAMAGE[kind][1] in line
    listed = cli_json(*at, "backups")
    assert {b["id"]: bool(b["damaged"]) for b in listed} == {i: i != usable for i in made}
    assert all(b["retention"] == DAMAGED_RETENTION for b in listed if b["damaged"])

    diff = run_cli(*at, "diff", "latest")
    assert diff.returncode == 0 and f"backup {usable}" in diff.stdout, diff.stderr
    refused = run_cli(*at, "diff", made[-1])
    assert refused.returncode == 4 and len(refused.stderr.strip().splitlines()) == 1
    assert f"backup {made[-1]} is damaged: meta.json lacks 'origin'" in refused.stderr
    assert cli_json(*at, "restore", "latest", "--yes")["restored_from"]["id"] == usable
    rollback = run_cli(*at, "rollback", "--yes")  # the emergency path: flag off, backed up first
    assert rollback.returncode == 0 and "Traceback" not in rollback.stderr, rollback.stdout + rollback.stderr
    assert cli_json(*at, "flags", "set", "USE_UNIFIED_DB_SERVICE=true")["before"] == \
        '{"USE_UNIFIED_DB_SERVICE":false}'
    for ident in made[1:]:
        assert (folder / ident / "meta.json").is_file()  # still there, still listed
    assert len(cli_json(*at, "backups")) > len(made)
    shutil.rmtree(folder / made[-1])  # removed by hand, as the listing says: gone from it
    assert made[-1] not in {b["id"] for b in cli_json(*at, "backups")}
