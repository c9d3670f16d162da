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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from flagdeck.backups import Backup, BackupStore, PendingBackup
from flagdeck.errors import OriginError
from flagdeck.storage.leveldb_store import LevelDBStore, busy_error
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


@dataclass
class WriteSession:
    """An open, backed-up store for one write; ``origin`` is settled, ``backup`` finished.

    Write through :meth:`put` / :meth:`put_raw` so the session knows whether anything changed:
    a session that wrote nothing (a refused value, a no-op) drops its backup on exit.
    """

    target: Target
    store: LocalStorageStore
    origin: str
    backup: Backup
    notes: list[str]
    written: bool = False

    @property
    def mode(self) -> str:
        return self.store.mode

    def current(self) -> str | None:
        return self.store.get(self.origin, self.target.storage_key)

    def put(self, key: str, value: str | None) -> None:
        self.written = True
        self.store.put(self.origin, key, value)

    def put_raw(self, entry: Entry) -> None:
        self.written = True
        self.store.put_raw(self.origin, entry)


@contextlib.contextmanager
def write_session(
    target: Target, *, reason: str, note: str | None = None, backups: BackupStore | None = None,
    keep_unused_backup: bool = False, live_store: LocalStorageStore | None = None,
) -> Iterator[WriteSession]:
    """Lock, open for writing, back up the origin (and the folder offline), then yield.

    The backup is dropped again when the block writes nothing, unless ``keep_unused_backup``.
    ``live_store``: an open live store to write through (the caller keeps and closes it).
    """
    backups = backups or BackupStore()
    with target_lock(target.slug, purpose=reason):
        live, notes = (live_store, []) if live_store is not None else _try_live(target)
        pending: PendingBackup | None = None
        store: LocalStorageStore
        try:
            pending = backups.start(target.slug, target_name=target.name, storage_key=target.storage_key,
                                    mode="live" if live else "offline", reason=reason, note=note)
            if live is not None:
                store = live
            else:
                store = LevelDBStore.open_write(target.leveldb_dir, before_open=pending.copy_folder)
        except BaseException:
            if pending is not None:
                pending.abandon()
            if live is not None and live_store is None:
                live.close()
            raise
        session: WriteSession | None = None
        try:
            try:
                origin = resolve_origin(store, target, for_write=True)
                assert origin is not None
                entries = store.entries(origin)
                flag_value = next((e.value for e in entries if e.key == target.storage_key), None)
                backup = pending.finish(origin, entries, flag_value)
            except BaseException:
                pending.abandon()
                raise
            session = WriteSession(target, store, origin, backup, notes)
            yield session
        finally:
            if store is not live_store:
                store.close()
            if session is not None and not session.written and not keep_unused_backup:
                backups.discard(session.backup)

