"""The offline store on profiles written by QtWebEngine and by Debian's Chromium."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flagdeck.errors import NotALevelDB, StorageUnreadable, TargetBusy
from flagdeck.storage import codec
from flagdeck.storage.leveldb_store import LevelDBStore
from flagdeck.storage.store import Entry
from tests.conftest import (
    FLAGS_ON,
    PROFILE_CONTENT,
    leveldb_dump,
    needs_chromium,
    read_qtwebengine_profile,
)
from tests.engines import chromium as chromium_engine

ENGINES = ["qtwebengine", pytest.param("chromium", marks=needs_chromium)]


@pytest.fixture(params=ENGINES)
def leveldb(request: pytest.FixtureRequest) -> Path:
    if request.param == "qtwebengine":
        return request.getfixturevalue("qtwe_profile") / "Local Storage" / "leveldb"
    return request.getfixturevalue("chromium_profile") / "Default" / "Local Storage" / "leveldb"


def test_reads_every_origin_and_entry(leveldb: Path) -> None:
    with LevelDBStore.open_read(leveldb) as store:
        assert store.mode == "offline"
        assert store.origins() == sorted(PROFILE_CONTENT)
        for origin, items in PROFILE_CONTENT.items():
            assert {e.key: e.value for e in store.entries(origin)} == items
        assert store.origins_with_key("featureFlags") == ["file://"]
        assert store.get("file://", "featureFlags") == FLAGS_ON
        assert store.get("file://", "nope") is None


def test_read_does_not_touch_the_folder(leveldb: Path) -> None:
    before = {p.name: p.read_bytes() for p in leveldb.iterdir() if p.is_file() and p.name != "LOCK"}
    with LevelDBStore.open_read(leveldb) as store:
        store.entries("file://")
    after = {p.name: p.read_bytes() for p in leveldb.iterdir() if p.is_file() and p.name != "LOCK"}
    assert before == after


def test_put_changes_one_entry_and_meta_only(leveldb: Path) -> None:
    before = leveldb_dump(leveldb)
    with LevelDBStore.open_write(leveldb) as store:
        store.put("file://", "featureFlags", '{"USE_UNIFIED_DB_SERVICE":false}')
    after = leveldb_dump(leveldb)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed == {codec.entry_key("file://", "featureFlags"), codec.meta_key("file://")}
    meta_before = codec.OriginMeta.parse(before[codec.meta_key("file://")])
    meta_after = codec.OriginMeta.parse(after[codec.meta_key("file://")])
    assert meta_after.size_bytes == meta_before.size_bytes + 1  # "false" is one byte longer than "true"
    assert meta_after.last_modified >= meta_before.last_modified


def test_put_unicode_and_remove(leveldb: Path) -> None:
    with LevelDBStore.open_write(leveldb) as store:
        store.put("file://", "new ☃", "värde 𝄞")
        assert store.get("file://", "new ☃") == "värde 𝄞"
        store.put("file://", "language", None)
        assert store.get("file://", "language") is None
        size = sum(len(e.raw_key or b"") + len(e.raw_value or b"") for e in store.entries("file://"))
        assert store.meta("file://").size_bytes == size  # type: ignore[union-attr]


def test_new_origin_gets_meta(leveldb: Path) -> None:
    with LevelDBStore.open_write(leveldb) as store:
        store.put("app://.", "featureFlags", "{}")
        assert "app://." in store.origins()
        meta = store.meta("app://.")
        assert meta is not None and meta.size_bytes == len(b"\x01featureFlags") + len(b"\x01{}")


def test_put_raw_restores_exact_bytes(leveldb: Path) -> None:
    entry = Entry("k", "v", raw_key=b"\x00k\x00", raw_value=b"\x00v\x00")  # UTF-16 form of Latin-1 text
    with LevelDBStore.open_write(leveldb) as store:
        store.put_raw("file://", entry)
        store.put("file://", "k", "w")  # finds the existing UTF-16 key instead of adding a twin
        keys = [e.raw_key for e in store.entries("file://") if e.key == "k"]
    assert keys == [b"\x00k\x00"]


def test_qtwebengine_page_sees_offline_write(qtwe_profile: Path) -> None:
    with LevelDBStore.open_write(qtwe_profile / "Local Storage" / "leveldb") as store:
        store.put("file://", "featureFlags", '{"USE_UNIFIED_DB_SERVICE":false}')
    seen = read_qtwebengine_profile(qtwe_profile, "file://", "https://example.com")
    assert seen["file://"] == {**PROFILE_CONTENT["file://"], "featureFlags": '{"USE_UNIFIED_DB_SERVICE":false}'}
    assert seen["https://example.com"] == PROFILE_CONTENT["https://example.com"]


@needs_chromium
def test_chromium_page_sees_offline_write(chromium_profile: Path) -> None:
    leveldb = chromium_profile / "Default" / "Local Storage" / "leveldb"
    with LevelDBStore.open_write(leveldb) as store:
        store.put("file://", "featureFlags", '{"USE_UNIFIED_DB_SERVICE":false}')
    with chromium_engine.Chromium(chromium_profile) as browser:
        assert browser.get_items("file://")["featureFlags"] == '{"USE_UNIFIED_DB_SERVICE":false}'
        assert browser.get_items("https://example.com") == PROFILE_CONTENT["https://example.com"]


@needs_chromium
def test_running_browser_is_busy_and_nothing_is_written(running_chromium: chromium_engine.Chromium) -> None:
    leveldb = running_chromium.leveldb
    with pytest.raises(TargetBusy, match=r"chromium \(pid \d+\) holds the storage"):
        LevelDBStore.open_write(leveldb)
    with LevelDBStore.open_read(leveldb) as store:  # a snapshot still reads
        assert store.mode == "busy"
        assert store.get("file://", "featureFlags") == FLAGS_ON


def test_missing_and_not_leveldb(tmp_path: Path) -> None:
    with pytest.raises(NotALevelDB, match="does not exist"):
        LevelDBStore.open_read(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(StorageUnreadable, match="no CURRENT"):
        LevelDBStore.open_read(tmp_path / "empty")
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotALevelDB, match="not a folder"):
        LevelDBStore.open_read(tmp_path / "file")


def test_corrupt_table_is_unreadable(qtwe_profile: Path, tmp_path: Path) -> None:
    leveldb = qtwe_profile / "Local Storage" / "leveldb"
    with LevelDBStore.open_write(leveldb) as store:  # opening compacts the log into a table
        store.db.compact_range()
    tables = sorted(leveldb.glob("*.ldb"))
    assert tables, "expected a table file after compaction"
    for table in tables:
        data = bytearray(table.read_bytes())
        for i in range(10, min(len(data), 200)):
            data[i] ^= 0xFF
        table.write_bytes(bytes(data))
    with pytest.raises(StorageUnreadable, match="corrupt"), LevelDBStore.open_read(leveldb) as store:
        for origin in store.origins():
            store.entries(origin)


def test_missing_manifest_is_unreadable(qtwe_profile: Path) -> None:
    leveldb = qtwe_profile / "Local Storage" / "leveldb"
    for manifest in leveldb.glob("MANIFEST-*"):
        manifest.unlink()
    with pytest.raises(StorageUnreadable, match="corrupt"):
        LevelDBStore.open_read(leveldb)


def test_entries_missing_behind_meta_are_refused(qtwe_profile: Path) -> None:
    """An entry gone without its META update (a damaged table hides entries the same way)."""
    leveldb = qtwe_profile / "Local Storage" / "leveldb"
    with LevelDBStore.open_write(leveldb) as store:
        store.db.delete(codec.entry_key("file://", "language"))
    with LevelDBStore.open_read(leveldb) as store:
        assert store.get("file://", "featureFlags") == FLAGS_ON
        with pytest.raises(StorageUnreadable, match="should hold"):
            store.entries("file://")


def test_read_only_store_refuses_put(qtwe_profile: Path) -> None:
    with (LevelDBStore.open_read(qtwe_profile / "Local Storage" / "leveldb") as store,
          pytest.raises(StorageUnreadable, match="opened for reading")):
        store.put("file://", "featureFlags", "{}")


def test_snapshot_copy_is_private(qtwe_profile: Path) -> None:
    with LevelDBStore.open_read(qtwe_profile / "Local Storage" / "leveldb") as store:
        snap = store._snapshot_dir
        assert snap is not None and (snap.stat().st_mode & 0o077) == 0
    assert not snap.exists()
    shutil.rmtree(qtwe_profile)


