"""Offline localStorage: the app is closed and its ``Local Storage/leveldb`` folder is ours.

Reads never touch the app's folder: opening a LevelDB replays its log and may rewrite files, so a
read opens a private snapshot copy (which also works while the app runs: mode ``busy``). A write
is checked on such a snapshot first (``access.write_session``) and opens the folder itself only
to apply changes that passed every check: :meth:`LevelDBStore.open_write` after making sure nobody
holds its ``LOCK``, with the files it creates given the mode of the app's own files. All changes
of one write go in one synced LevelDB write batch with the origin's ``META`` row, so a kill at any
moment leaves either the old or the new state.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Self

import plyvel_next as plyvel

from flagdeck.errors import NotALevelDB, StorageUnreadable, TargetBusy
from flagdeck.storage import codec
from flagdeck.storage.store import Entry, Mode
from flagdeck.targets import process

# Files a snapshot copy or a backup does not need: the lock and LevelDB's own text logs.
_SKIP_FILES = frozenset({"LOCK", "LOG", "LOG.old"})


def check_leveldb_dir(path: Path) -> None:
    """Raise a clear error unless ``path`` looks like a readable LevelDB folder."""
    if not path.exists():
        raise NotALevelDB(f"{path} does not exist")
    if not path.is_dir():
        raise NotALevelDB(f"{path} is not a folder")
    if not os.access(path, os.R_OK | os.X_OK):
        raise StorageUnreadable(f"permission denied reading {path}")
    current = path / "CURRENT"
    if not current.is_file():  # the folder is there, its database is not readable: 4, not a usage error
        raise StorageUnreadable(f"{path} is not a readable LevelDB folder (no CURRENT file)")
    try:
        manifest = current.read_text(encoding="ascii", errors="replace").strip()
    except PermissionError as exc:
        raise StorageUnreadable(f"permission denied reading {current}") from exc
    if not manifest.startswith("MANIFEST-") or not (path / manifest).is_file():
        raise StorageUnreadable(f"{path}: CURRENT names {manifest!r}, which is missing (corrupt LevelDB)")


def copy_leveldb_dir(src: Path, dst: Path) -> None:
    """Copy the LevelDB files of ``src`` into a new folder ``dst`` (0700, files 0600)."""
    dst.mkdir(mode=0o700, parents=True, exist_ok=False)
    for entry in os.scandir(src):
        if entry.name in _SKIP_FILES or not entry.is_file(follow_symlinks=False):
            continue
        target = dst / entry.name
        try:
            shutil.copyfile(entry.path, target)
        except FileNotFoundError:
            continue  # a compaction removed it between listing and copying; LevelDB no longer needs it
        except PermissionError as exc:
            raise StorageUnreadable(f"permission denied reading {entry.path}") from exc
        os.chmod(target, 0o600)


def link_leveldb_dir(src: Path, dst: Path) -> None:
    """A folder ``dst`` holding hard links to the files of the private copy ``src``.

    Safe to open: LevelDB never writes an existing file in place (tables are immutable, the log
    and MANIFEST are replaced by new files on open, CURRENT by a rename), so opening ``dst`` never
    changes ``src``. Falls back to copying where links are not possible.
    """
    dst.mkdir(mode=0o700, parents=True, exist_ok=False)
    for entry in os.scandir(src):
        if not entry.is_file(follow_symlinks=False):
            continue
        try:
            os.link(entry.path, dst / entry.name)
        except OSError:
            shutil.copyfile(entry.path, dst / entry.name)
            os.chmod(dst / entry.name, 0o600)


def _translate(exc: Exception, path: Path) -> Exception:
    text = str(exc)
    low = text.lower()
    if "lock" in low and ("unavailable" in low or "already held" in low or "resource" in low):
        return busy_error(path)
    if "permission denied" in low or "read-only" in low:
        return StorageUnreadable(f"cannot write {path}: {text.splitlines()[0]}")
    if isinstance(exc, plyvel.CorruptionError) or "corrupt" in low:
        return StorageUnreadable(f"corrupt LevelDB in {path}: {text.splitlines()[0]}")
    if "does not exist" in low:
        return NotALevelDB(f"{path} is not a LevelDB folder ({text.splitlines()[0]})")
    return StorageUnreadable(f"cannot open LevelDB in {path}: {text.splitlines()[0]}")


def busy_error(path: Path) -> TargetBusy:
    holder = process.lock_holder(path / "LOCK")
    who = f"{holder.name} (pid {holder.pid})" if holder else "another program"
    return TargetBusy(
        f"{who} holds the storage in {path}; nothing was written",
        hint="close the app, or start it with a debug port (flagdeck launch, or "
        "--remote-debugging-port=N) and pass --debug-port N",
    )


class LevelDBStore:
    """localStorage in a LevelDB folder. Use :meth:`open_read` or :meth:`open_write`."""

    def __init__(self, db: plyvel.DB, path: Path, mode: Mode, snapshot_dir: Path | None,
                 app_modes: _AppModes | None = None) -> None:
        self._db: plyvel.DB | None = db
        self.path = path
        self.mode: Mode = mode
        self.location = str(path)
        self._snapshot_dir = snapshot_dir
        self._app_modes = app_modes  # set when this store has the app's own folder open for writing
        try:
            self._check_version()
        except BaseException:
            self.close()
            raise

    def _check_version(self) -> None:
        """Chromium writes ``VERSION`` when it creates the database; reading it also checks that
        block's checksum (iterators may hide a damaged block, point reads do not)."""
        if self._get(codec.VERSION_KEY) is not None:
            return
        if next(self._iterator(include_value=False), None) is not None:
            raise NotALevelDB(f"{self.path} is a LevelDB but not Chromium's localStorage (no VERSION key)")

    # --- opening ------------------------------------------------------------------------------

    @classmethod
    def open_read(cls, path: Path, *, copy: Path | None = None) -> LevelDBStore:
        """Open a private copy of ``path``: no effect on the app's files, works while it runs.

        ``copy``: a private byte-exact copy of ``path`` taken already (a backup's folder copy); the
        snapshot links to its files instead of copying the folder again, and leaves it unchanged.
        """
        check_leveldb_dir(path)
        busy = _lock_taken(path)
        tmp = Path(tempfile.mkdtemp(prefix="flagdeck-snapshot-"))
        try:
            if copy is None:
                copy_leveldb_dir(path, tmp / "db")
            else:
                link_leveldb_dir(copy, tmp / "db")
            db = _open(tmp / "db", path)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return cls(db, path, "busy" if busy else "offline", tmp)

    @classmethod
    def open_write(cls, path: Path) -> LevelDBStore:
        """Open the app's folder itself, to apply changes already checked on a snapshot.

        Files LevelDB creates meanwhile get the mode of the app's own files (Chromium's are 0600).
        """
        check_leveldb_dir(path)
        if not os.access(path, os.W_OK):
            raise StorageUnreadable(f"{path} is read-only; nothing was written")
        if _lock_taken(path):
            raise busy_error(path)
        modes = _AppModes.of(path)
        try:
            db = _open(path, path)
        except BaseException:
            modes.settle()
            raise
        return cls(db, path, "offline", None, modes)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._app_modes is not None:
            self._app_modes.settle()
            self._app_modes = None
        if self._snapshot_dir is not None:
            shutil.rmtree(self._snapshot_dir, ignore_errors=True)
            self._snapshot_dir = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def db(self) -> plyvel.DB:
        if self._db is None:
            raise StorageUnreadable(f"{self.path}: store already closed")
        return self._db

    def _get(self, key: bytes) -> bytes | None:
        try:
            value: bytes | None = self.db.get(key, verify_checksums=True)
        except plyvel.Error as exc:
            raise _translate(exc, self.path) from exc
        return value

    def _iterator(self, **kwargs: object) -> Iterator[Any]:
        """A checksum-verifying iterator whose LevelDB errors become flagdeck errors."""
        try:
            with self.db.iterator(verify_checksums=True, **kwargs) as it:
                yield from it
        except plyvel.Error as exc:
            raise _translate(exc, self.path) from exc

    # --- reading ------------------------------------------------------------------------------

    def origins(self) -> list[str]:
        found: set[str] = set()
        for key in self._iterator(prefix=codec.META_PREFIX, include_value=False):
            found.add(key[len(codec.META_PREFIX) :].decode("utf-8", "replace"))
        # Entries whose origin has no META row: skip-scan, one seek per origin.
        try:
            with self.db.iterator(include_value=False, verify_checksums=True) as it:
                it.seek(codec.ENTRY_PREFIX)
                for key in it:
                    if not key.startswith(codec.ENTRY_PREFIX):
                        break
                    origin_bytes = key[1:].partition(codec.ORIGIN_SEPARATOR)[0]
                    found.add(origin_bytes.decode("utf-8", "replace"))
                    it.seek(codec.ENTRY_PREFIX + origin_bytes + b"\x01")
        except plyvel.Error as exc:
            raise _translate(exc, self.path) from exc
        return sorted(o for o in found if self._has_entries(o))

    def _has_entries(self, origin: str) -> bool:
        return next(self._iterator(prefix=codec.entry_prefix(origin), include_value=False), None) is not None

    def origins_with_key(self, key: str) -> list[str]:
        return [o for o in self.origins() if self._find_raw_key(o, key) is not None]

    def _iter_raw(self, origin: str) -> Iterator[tuple[bytes, bytes]]:
        prefix = codec.entry_prefix(origin)
        for raw_key, raw_value in self._iterator(prefix=prefix):
            yield bytes(raw_key[len(prefix) :]), bytes(raw_value)

    def entries(self, origin: str) -> list[Entry]:
        """Every entry of ``origin``; raises when they disagree with the origin's META size.

        LevelDB iterators can end early without an error on a damaged block; Chromium's own
        bookkeeping (META size_bytes = sum of encoded key and value lengths) exposes that.
        """
        found = [
            Entry(_decode(raw_key), _decode(raw_value), raw_key, raw_value)
            for raw_key, raw_value in self._iter_raw(origin)
        ]
        meta = self.meta(origin)
        size = sum(len(e.raw_key or b"") + len(e.raw_value or b"") for e in found)
        if meta is not None and meta.size_bytes != size:
            raise StorageUnreadable(
                f"corrupt or inconsistent LevelDB in {self.path}: origin {origin} should hold "
                f"{meta.size_bytes} bytes of entries, LevelDB returns {size}; refusing to guess"
            )
        return found

    def _find_raw_key(self, origin: str, key: str) -> bytes | None:
        """The encoded key as stored (either encoding), or None."""
        prefix = codec.entry_prefix(origin)
        for candidate in _key_encodings(key):
            if self._get(prefix + candidate) is not None:
                return candidate
        return None

    def get(self, origin: str, key: str) -> str | None:
        raw_key = self._find_raw_key(origin, key)
        if raw_key is None:
            return None
        raw_value = self._get(codec.entry_prefix(origin) + raw_key)
        return None if raw_value is None else _decode(raw_value)

    def meta(self, origin: str) -> codec.OriginMeta | None:
        raw = self._get(codec.meta_key(origin))
        return None if raw is None else codec.OriginMeta.parse(raw)

    # --- writing ------------------------------------------------------------------------------

    def raw_key(self, origin: str, key: str) -> bytes:
        """The key's bytes as stored (either encoding), or the encoding Chromium would pick."""
        return self._find_raw_key(origin, key) or codec.encode_string(key)

    def raw_value(self, origin: str, raw_key: bytes) -> bytes | None:
        return self._get(codec.entry_prefix(origin) + raw_key)

    def put(self, origin: str, key: str, value: str | None) -> None:
        self.apply(origin, [(self.raw_key(origin, key), None if value is None else codec.encode_string(value))])

    def put_raw(self, origin: str, entry: Entry) -> None:
        raw_key = entry.raw_key or self.raw_key(origin, entry.key)
        self.apply(origin, [(raw_key, entry.raw_value or codec.encode_string(entry.value))])

    def apply(self, origin: str, changes: Sequence[tuple[bytes, bytes | None]]) -> None:
        """Set (or, for None, delete) each encoded entry of ``origin`` and its ``META`` row (size,
        modification time, as Chromium keeps them) in one synced write batch."""
        if self._app_modes is None:
            raise StorageUnreadable("this store was opened for reading")
        prefix = codec.entry_prefix(origin)
        meta = self.meta(origin)
        size = meta.size_bytes if meta is not None else sum(len(k) + len(v) for k, v in self._iter_raw(origin))
        final: dict[bytes, bytes | None] = dict(changes)
        for raw_key, raw_value in final.items():
            old_value = self._get(prefix + raw_key)
            size -= 0 if old_value is None else len(raw_key) + len(old_value)
            size += 0 if raw_value is None else len(raw_key) + len(raw_value)
        size = max(0, size)
        new_meta = codec.OriginMeta(codec.chromium_now(), size, meta.extra if meta else b"")
        try:
            with self.db.write_batch(sync=True) as batch:
                for raw_key, raw_value in final.items():
                    if raw_value is None:
                        batch.delete(prefix + raw_key)
                    else:
                        batch.put(prefix + raw_key, raw_value)
                if size or meta is not None:
                    batch.put(codec.meta_key(origin), new_meta.serialize())
        except plyvel.Error as exc:
            raise _translate(exc, self.path) from exc

    def replace_all_from(self, other: LevelDBStore) -> None:
        """Make this database hold exactly ``other``'s keys and values, in one synced batch."""
        if self._app_modes is None:
            raise StorageUnreadable("this store was opened for reading")
        wanted: dict[bytes, bytes] = dict(other._iterator())
        try:
            with self.db.write_batch(sync=True) as batch:
                for key in self._iterator(include_value=False):
                    if key not in wanted:
                        batch.delete(key)
                for key, value in wanted.items():
                    batch.put(key, value)
        except plyvel.Error as exc:
            raise _translate(exc, self.path) from exc


def _decode(data: bytes) -> str:
    try:
        return codec.decode_string(data)
    except codec.CodecError:
        return data.decode("latin-1")


def _key_encodings(key: str) -> list[bytes]:
    forms = [codec.encode_string(key)]
    utf16 = bytes([codec.UTF16LE]) + key.encode("utf-16-le", "surrogatepass")
    if utf16 not in forms:
        forms.append(utf16)
    return forms


def _open(path: Path, shown: Path) -> plyvel.DB:
    try:
        return plyvel.DB(str(path), create_if_missing=False, paranoid_checks=True)
    except plyvel.Error as exc:
        raise _translate(exc, shown) from exc


def _lock_taken(path: Path) -> bool:
    """True when another process holds the LevelDB ``LOCK`` (POSIX fcntl / Windows share lock)."""
    return process.lock_probe(path / "LOCK")


class _AppModes:
    """Keeps files LevelDB creates in the app's folder at the mode of the app's own files.

    While the folder is open the process umask is narrowed (never widened: other threads' files
    only get more private); on close each file that is new since the open (or replaced, as
    ``CURRENT`` is by a rename) gets the mode ``CURRENT`` had. The app's other files keep theirs.
    """

    def __init__(self, path: Path, mode: int | None, old_umask: int, before: dict[str, int]) -> None:
        self.path, self.mode, self.old_umask, self.before = path, mode, old_umask, before

    @classmethod
    def of(cls, path: Path) -> _AppModes:
        before: dict[str, int] = {}
        mode = None
        for entry in os.scandir(path):
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            before[entry.name] = st.st_ino
            if entry.name == "CURRENT":
                mode = stat.S_IMODE(st.st_mode)
        old = os.umask(0o077)
        os.umask(old | (0o777 & ~mode & 0o077) if mode is not None else old)
        return cls(path, mode, old, before)

    def settle(self) -> None:
        os.umask(self.old_umask)
        if self.mode is None or os.name != "posix":
            return
        for entry in os.scandir(self.path):
            try:
                st = entry.stat(follow_symlinks=False)
                if not stat.S_ISREG(st.st_mode) or self.before.get(entry.name) == st.st_ino:
                    continue
                if stat.S_IMODE(st.st_mode) != self.mode:
                    os.chmod(entry.path, self.mode)
            except OSError:
                continue
