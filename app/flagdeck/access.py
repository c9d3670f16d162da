"""Open a target's localStorage in the right mode: live over CDP, or offline on disk.

- Live when a debug port is known (``--debug-port`` or the profile's ``DevToolsActivePort``) and
  the security gate in ``live_store.connect_live`` accepts it.
- Offline otherwise; reads use a private snapshot (mode ``busy`` while the app holds the folder),
  writes need the folder free and back it up before opening it.

Writes go through :func:`write_session`: one writer per target (``target_lock``), a finished
backup before the first byte changes, the store closed whatever happens.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flagdeck.backups import Backup, BackupStore, PendingBackup
from flagdeck.errors import OriginError, StorageUnreadable, TargetBusy, UsageError
from flagdeck.storage import codec, durable
from flagdeck.storage.leveldb_store import LevelDBStore, busy_error, check_leveldb_dir
from flagdeck.storage.store import Entry, LocalStorageStore
from flagdeck.target_lock import target_lock
from flagdeck.targets import process
from flagdeck.targets.resolve import Target


@dataclass
class Opened:
    store: LocalStorageStore
    notes: list[str] = field(default_factory=list)

    @property
    def mode(self) -> str:
        return self.store.mode


def _try_live(target: Target) -> tuple[LocalStorageStore | None, list[str]]:
    """The live store when the target's debug port is usable, else None and why."""
    if target.debug_port is None:
        return None, []
    from flagdeck.storage import live_store  # websockets only when live mode is asked for

    try:
        store = live_store.connect_live(
            target.debug_port,
            leveldb_dir=target.leveldb_dir,
            process_names=target.process_names,
        )
    except live_store.NoDebugPort:
        if process.lock_probe(target.lock_file):
            # The app runs but nothing answers on the port: the storage is not ours to touch.
            raise busy_error(target.leveldb_dir) from None
        how = "given" if target.debug_port_explicit else "recorded in DevToolsActivePort"
        return None, [f"nothing listens on debug port {target.debug_port} ({how}); the app is closed, "
                      "so flagdeck works offline"]
    return store, []


def open_read(target: Target) -> Opened:
    """The target's store for reading (live when its debug port is usable); close it after use."""
    store, notes = _try_live(target)
    if store is not None:
        return Opened(store, notes)
    offline = LevelDBStore.open_read(target.leveldb_dir)
    if offline.mode == "busy":
        notes.append("the app is running and holds its storage: this is a snapshot of the disk "
                     "(Chromium writes about a second late); writes need it closed or a debug port")
    return Opened(offline, notes)


def resolve_origin(store: LocalStorageStore, target: Target, *, for_write: bool = False,
                   among: Sequence[str] | None = None) -> str | None:
    """The origin to use: the explicit/preset one, else the one holding the storage key.

    ``among``: the store's ``origins()`` when the caller has listed them already (not listed again).
    """
    if target.origin:
        return target.origin
    if among is None:
        holders = store.origins_with_key(target.storage_key)
    else:
        holders = [o for o in among if store.get(o, target.storage_key) is not None]
    if len(holders) == 1:
        return holders[0]
    if len(holders) > 1:
        raise OriginError(
            f"{len(holders)} origins hold {target.storage_key}: {', '.join(holders)}",
            hint="pick one with --origin ORIGIN",
        )
    if not for_write:
        return None
    known = store.origins() if among is None else among
    raise OriginError(
        f"no origin in {store.location} holds {target.storage_key}",
        hint="pass --origin ORIGIN to create it there"
        + (f" (origins present: {', '.join(known)})" if known else ""),
    )


def app_origins(store: LocalStorageStore, target: Target) -> list[str]:
    """The origins the app has: its open pages (live), else those on disk (also when a live app's
    page crashed and none is open)."""
    present = store.page_origins() if store.mode == "live" else store.origins()  # type: ignore[attr-defined]
    if not present and store.mode == "live":
        with LevelDBStore.open_read(target.leveldb_dir) as disk:
            present = disk.origins()
    return list(present)


def sole_origin(store: LocalStorageStore, target: Target) -> str | None:
    """The app's only origin, when it has exactly one: a flag its build env turned on has no
    stored override yet, and that is where one goes."""
    present = app_origins(store, target)
    return present[0] if len(present) == 1 else None


def write_origin(store: LocalStorageStore, target: Target) -> tuple[str, str | None]:
    """The origin a write goes to, and a note when flagdeck chose it: the explicit or preset one,
    the one holding the storage key, else (live) the origin of the app's only page: a flag its
    build env turned on has no stored override yet, and that is where one goes, as a rollback does.
    Offline the origins on disk are no such evidence (a browser profile holds every site's)."""
    origin = resolve_origin(store, target)
    if origin is not None:
        return origin, None
    only = sole_origin(store, target) if store.mode == "live" else None
    if only is None:
        resolve_origin(store, target, for_write=True)  # raises, naming the origins present
    assert only is not None
    return only, f"no stored {target.storage_key} yet: created it for the app's only origin {only}"


@dataclass
class WriteSession:
    """One write, checked before the app's storage is touched.

    ``store`` is what the caller reads and checks: a private snapshot of the LevelDB (offline) or
    the live app. :meth:`put` / :meth:`put_raw` only stage a change; when the block ends without
    an error the staged changes are applied together (offline: one synced batch on the app's
    folder, opened only then; live: one task of the page), then confirmed on the app's disk. A
    block that raises, or stages nothing, leaves the app's folder byte-identical and drops the
    backup (unless ``written`` is set by a caller that writes through the store itself).
    """

    target: Target
    store: LocalStorageStore
    origin: str
    notes: list[str]
    _pending: PendingBackup
    _entries: list[Entry]
    written: bool = False
    staged: dict[str, Entry | None] = field(default_factory=dict)
    replace_from: Path | None = None
    durability: durable.Durability | None = None
    reload_seconds: float | None = None
    _backup: Backup | None = None

    @property
    def has_changes(self) -> bool:
        return bool(self.staged) or self.replace_from is not None

    @property
    def mode(self) -> str:
        return "offline" if self.store.mode == "busy" else self.store.mode

    @property
    def backup(self) -> Backup:
        """The finished backup of the state before the write (taken on first use)."""
        if self._backup is None:
            flag_value = next((e.value for e in self._entries if e.key == self.target.storage_key), None)
            self._backup = self._pending.finish(self.origin, self._entries, flag_value)
        return self._backup

    def current(self) -> str | None:
        return self.store.get(self.origin, self.target.storage_key)

    def put(self, key: str, value: str | None) -> None:
        self.staged[key] = None if value is None else Entry(key, value)

    def put_raw(self, entry: Entry) -> None:
        self.staged[entry.key] = entry

    def replace_all(self, folder: Path) -> None:
        """Stage: the whole LevelDB is to hold exactly what the LevelDB copy in ``folder`` holds
        (offline only: a folder restore)."""
        if self.store.mode == "live":
            raise UsageError("a folder restore needs the app closed", hint="close it, or use --scope entries")
        self.replace_from = folder

    def expected(self) -> dict[str, str | None]:
        return {k: (None if e is None else e.value) for k, e in self.staged.items()}


@contextlib.contextmanager
def write_session(
    target: Target, *, reason: str, note: str | None = None, backups: BackupStore | None = None,
    keep_unused_backup: bool = False, live_store: LocalStorageStore | None = None, reload: bool = False,
    durable_timeout: float | None = durable.DEFAULT_TIMEOUT,
) -> Iterator[WriteSession]:
    """Lock, read and let the caller check and stage, then back up, apply and confirm on disk.

    ``live_store``: an open live store to write through (the caller keeps and closes it).
    ``reload`` (live): the page is reloaded after the write; parking it for that moment makes
    Chromium commit at once. ``durable_timeout``: how long to wait for the app's disk; None leaves
    the confirmation to the caller (a rollback shows it as its own step).
    """
    backups = backups or BackupStore()
    with target_lock(target.slug, purpose=reason):
        live, notes = (live_store, []) if live_store is not None else _try_live(target)
        if live is None:
            session_cm = _offline_session(target, backups, reason, note, notes)
        else:
            session_cm = _live_session(target, live, backups, reason, note, notes, reload, durable_timeout)
        try:
            with session_cm as session:
                yield session
        finally:
            if live is not None and live_store is None:
                live.close()
        if not session.written and not keep_unused_backup:
            if session._backup is not None:
                backups.discard(session._backup)
            else:
                session._pending.abandon()
        elif session._backup is None:
            _ = session.backup
        _prune(backups, target)


def _prune(backups: BackupStore, target: Target) -> None:
    """Retention runs after the write and never fails it."""
    try:
        backups.prune(target.slug)
    except Exception:  # a retention problem is no reason to report a write as failed
        pass


@contextlib.contextmanager
def _offline_session(target: Target, backups: BackupStore, reason: str, note: str | None,
                     notes: list[str]) -> Iterator[WriteSession]:
    path = target.leveldb_dir
    check_leveldb_dir(path)
    if not os.access(path, os.W_OK):
        raise StorageUnreadable(f"{path} is read-only; nothing was written")
    if process.lock_probe(target.lock_file):
        raise busy_error(path)
    pending = backups.start(target.slug, target_name=target.name, storage_key=target.storage_key,
                            mode="offline", reason=reason, note=note)
    session: WriteSession | None = None
    try:
        pending.copy_folder(path)
        with LevelDBStore.open_read(path, copy=pending.path / "leveldb") as snapshot:
            origin, origin_note = write_origin(snapshot, target)
            session = WriteSession(target, snapshot, origin, notes + ([origin_note] if origin_note else []),
                                   pending, snapshot.entries(origin))
            yield session
            if session.has_changes:
                _ = session.backup  # finished before the first byte of the app's folder changes
                _apply_offline(snapshot, session)
                session.written = True
                session.durability = durable.offline()
    except BaseException:
        if session is None or not session.written:
            if session is not None and session._backup is not None:
                backups.discard(session._backup)
            else:
                pending.abandon()
        raise


def _apply_offline(snapshot: LevelDBStore, session: WriteSession) -> None:
    """Open the app's folder and apply the staged changes in one batch, if it still holds what
    the snapshot showed (else nothing is written)."""
    origin = session.origin
    if session.replace_from is not None:
        with LevelDBStore.open_read(session.replace_from) as saved, \
                LevelDBStore.open_write(session.target.leveldb_dir) as real:
            real.replace_all_from(saved)
        return
    with LevelDBStore.open_write(session.target.leveldb_dir) as real:
        changes: list[tuple[bytes, bytes | None]] = []
        for key, entry in session.staged.items():
            raw_key = (entry.raw_key if entry is not None and entry.raw_key else None) or snapshot.raw_key(origin, key)
            if real.raw_value(origin, raw_key) != snapshot.raw_value(origin, raw_key):
                raise TargetBusy(f"{key} of {origin} changed on disk while flagdeck prepared its write; "
                                 "nothing was written", hint="try again")
            raw_value = None if entry is None else (entry.raw_value or codec.encode_string(entry.value))
            changes.append((raw_key, raw_value))
        real.apply(origin, changes)
        for raw_key, raw_value in changes:
            if real.raw_value(origin, raw_key) != raw_value:
                raise StorageUnreadable(f"{session.target.leveldb_dir}: the write did not read back as written")


@contextlib.contextmanager
def _live_session(target: Target, live: LocalStorageStore, backups: BackupStore, reason: str,
                  note: str | None, notes: list[str], reload: bool,
                  durable_timeout: float | None) -> Iterator[WriteSession]:
    pending = backups.start(target.slug, target_name=target.name, storage_key=target.storage_key,
                            mode="live", reason=reason, note=note)
    session: WriteSession | None = None
    try:
        origin, origin_note = write_origin(live, target)
        session = WriteSession(target, live, origin, notes + ([origin_note] if origin_note else []),
                               pending, live.entries(origin))
        yield session
        if session.staged:
            _ = session.backup
            live.put_many(origin, [(k, None if e is None else e.value) for k, e in session.staged.items()])  # type: ignore[attr-defined]
            session.written = True
            if durable_timeout is not None:
                session.durability, session.reload_seconds = live.make_durable(  # type: ignore[attr-defined]
                    origin, session.expected(), reload=reload, timeout=durable_timeout)
        elif reload:
            session.reload_seconds = float(live.reload(origin))  # type: ignore[attr-defined]
    except BaseException:
        if session is None or not session.written:
            if session is not None and session._backup is not None:
                backups.discard(session._backup)
            else:
                pending.abandon()
        raise
