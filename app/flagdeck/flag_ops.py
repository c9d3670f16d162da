"""Flag operations: status, set/unset, backup, diff and restore, each returning a result value.

The CLI prints these results, the UI shows them, evidence bundles store them. Nothing here
prints or knows about Qt.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from flagdeck import access, history
from flagdeck.backups import Backup, BackupStore
from flagdeck.errors import FlagdeckError, NeedsConfirmation, OriginError, UsageError
from flagdeck.storage import durable
from flagdeck.storage.flags import FlagDocument, FlagReport, check_assignment, evaluate
from flagdeck.storage.leveldb_store import LevelDBStore
from flagdeck.storage.store import Entry, LocalStorageStore
from flagdeck.targets.resolve import Target


@dataclass(frozen=True)
class StatusResult:
    target: Target
    mode: str
    origin: str | None
    origins: list[str]
    report: FlagReport
    notes: list[str] = field(default_factory=list)
    # Live: the flags the running page uses (its build env included) and how flagdeck knows.
    page_flags: dict[str, Any] | None = None
    page_flags_source: str | None = None
    # Live: the origin of the page that was (or would be) asked: ``origin``, else the app's only
    # page origin (no override stored yet: the app runs on its defaults there). Watches follow it.
    page_origin: str | None = None


@dataclass(frozen=True)
class Change:
    flag: str
    before: Any
    after: Any
    before_present: bool
    after_present: bool


@dataclass(frozen=True)
class WriteResult:
    target: Target
    mode: str
    origin: str
    backup: Backup | None  # None when nothing needed writing
    before: str | None
    after: str | None
    changes: list[Change]
    report: FlagReport
    reloaded: bool = False
    reload_seconds: float | None = None
    notes: list[str] = field(default_factory=list)
    # Where the write stands on the app's disk (None: nothing was written, or the caller confirms it).
    durability: durable.Durability | None = None

    @property
    def changed(self) -> bool:
        return self.before != self.after

    @property
    def durable_ok(self) -> bool:
        """False when a write happened that is not confirmed on the app's disk."""
        return self.durability is None or self.durability.ok


def status(target: Target) -> StatusResult:
    """What is stored and in effect. A live app whose page of the origin is gone (crashed on
    start, or loading) is read from a snapshot of its disk instead, and says so."""
    opened = access.open_read(target)
    with opened.store as store:
        why = _no_page(store, target)
        if why is None:
            try:
                return status_from(target, store, opened.notes)
            except OriginError as exc:
                if store.mode != "live":
                    raise
                why = exc.message
    with LevelDBStore.open_read(target.leveldb_dir) as disk:
        return status_from(target, disk, [*opened.notes, f"{why}: the app runs but its page does not answer "
                                          "(crashed on start?); this is a snapshot of its disk"])


def _no_page(store: LocalStorageStore, target: Target) -> str | None:
    """Live: why the app's page cannot be asked (none open, or none of the target's origin)."""
    if store.mode != "live":
        return None
    present = store.page_origins()  # type: ignore[attr-defined]
    if not present:
        return "no open page in the app"
    if target.origin and target.origin not in present:
        return f"no open page of {target.origin} in the app"
    return None


def status_from(target: Target, store: LocalStorageStore, notes: Sequence[str] = ()) -> StatusResult:
    """:func:`status` on a store the caller opened (and closes): one snapshot for all it reads."""
    origins = store.origins()
    origin = access.resolve_origin(store, target, among=origins)
    raw = store.get(origin, target.storage_key) if origin else None
    notes = list(notes)
    if origin is None:
        notes.append(f"no origin holds {target.storage_key}: the app runs on its defaults"
                     + (f"; origins present: {', '.join(origins)}" if origins else ""))
    report = evaluate(FlagDocument.parse(raw), target.catalogue)
    page_origin = origin
    if store.mode == "live" and page_origin is None:
        page_origin = access.sole_origin(store, target)
    page_flags, source = _page_flags(store, page_origin, target.storage_key)
    return StatusResult(target, store.mode, origin, origins, report, notes, page_flags, source, page_origin)


def _page_flags(store: LocalStorageStore, origin: str | None, key: str) -> tuple[dict[str, Any] | None, str | None]:
    """What the running page uses: only the page knows a flag its build env turned on."""
    if store.mode != "live" or origin is None:
        return None, None
    from flagdeck.probe.page import PageProbe

    try:
        return PageProbe(store.page_session(origin), origin).page_flags(key)  # type: ignore[attr-defined]
    except FlagdeckError as exc:
        return None, f"unreadable: {exc}"


def _changes(before: FlagDocument, after: FlagDocument) -> list[Change]:
    old, new = before.values or {}, after.values or {}
    out = []
    for name in dict.fromkeys([*old, *new]):
        if name not in old or name not in new or old[name] != new[name] or type(old[name]) is not type(new[name]):
            out.append(Change(name, old.get(name), new.get(name), name in old, name in new))
    return out


def write_flags(
    target: Target,
    *,
    assignments: Sequence[tuple[str, Any]] = (),
    removals: Sequence[str] = (),
    force: bool = False,
    repair: bool = False,
    reload: bool = False,
    reason: str = "flags set",
    note: str | None = None,
    backups: BackupStore | None = None,
    live_store: LocalStorageStore | None = None,
    durable_timeout: float | None = durable.DEFAULT_TIMEOUT,
) -> WriteResult:
    """Set and/or remove flags in one backed-up write; other keys stay byte-identical.

    Every check runs before the app's storage is touched: a refused write changes nothing. A
    written change is confirmed on the app's disk (``result.durability``) unless
    ``durable_timeout`` is None (the caller confirms it: a rollback's own step).
    ``live_store``: an open live store to write through (rollback reuses its own connection).
    Every write, and every refused one, is recorded in the history.
    """
    if not assignments and not removals:
        raise UsageError("nothing to change")
    kind = "timed-revert" if reason == "timed revert" else "flag-write"
    try:
        result = _write_flags(target, assignments, removals, force=force, repair=repair, reload=reload,
                              reason=reason, note=note, backups=backups, live_store=live_store,
                              durable_timeout=durable_timeout)
    except FlagdeckError as exc:
        history.record_failure(kind, target, exc)
        raise
    history.record_flag_write(result, kind)
    return result


def _write_flags(
    target: Target, assignments: Sequence[tuple[str, Any]], removals: Sequence[str], *, force: bool, repair: bool,
    reload: bool, reason: str, note: str | None, backups: BackupStore | None, live_store: LocalStorageStore | None,
    durable_timeout: float | None,
) -> WriteResult:
    repaired = False
    with access.write_session(target, reason=reason, note=note, backups=backups, live_store=live_store,
                              reload=reload, durable_timeout=durable_timeout) as session:
        raw = session.current()
        doc = FlagDocument.parse(raw)
        if not doc.valid:
            if not repair:
                doc.require_valid(target.storage_key)
            repaired = True
            doc = FlagDocument.parse("{}")
        for name, value in assignments:
            check_assignment(name, value, target.catalogue, doc, force=force)
        new_raw = doc.edited(assignments, removals)  # one pass, however many flags
        if new_raw != raw:
            session.put(target.storage_key, new_raw)
    notes = list(session.notes)
    if repaired and session.written:
        notes.append(f"--repair: the invalid {target.storage_key} text is kept in backup "
                     f"{session.backup.id}; started a fresh object")
    live = session.mode == "live"
    if reload and not live:
        notes.append("--reload ignored offline: the app reads the flags on its next start")
    elif live and not reload:
        notes.append("the page reads flags once at load: reload it (--reload) for the change to apply")
    elif not live:
        notes.append("written offline: the app sees it on its next start")
    after_doc = FlagDocument.parse(new_raw)
    return WriteResult(
        target, session.mode, session.origin, session.backup if session.written else None, raw, new_raw,
        _changes(doc, after_doc), evaluate(after_doc, target.catalogue),
        reloaded=session.reload_seconds is not None, reload_seconds=session.reload_seconds, notes=notes,
        durability=session.durability,
    )


# --- backups -------------------------------------------------------------------------------------


def take_backup(target: Target, note: str | None = None, backups: BackupStore | None = None) -> Backup:
    """A manual backup: same as the one before a write, without the write."""
    with access.write_session(target, reason="manual", note=note, backups=backups,
                              keep_unused_backup=True) as session:
        return session.backup


@dataclass(frozen=True)
class EntryDiff:
    added: list[str]
    removed: list[str]
    changed: list[str]


@dataclass(frozen=True)
class DiffResult:
    target: Target
    backup: Backup
    mode: str
    flag_changes: list[Change]  # backup → now
    before: str | None
    now: str | None
    entries: EntryDiff  # other keys of the origin (names only: values may hold secrets)


def _entry_diff(backup_entries: list[Entry], current: list[Entry], skip: str) -> EntryDiff:
    old = {e.key: e.value for e in backup_entries if e.key != skip}
    new = {e.key: e.value for e in current if e.key != skip}
    return EntryDiff(
        added=sorted(set(new) - set(old)),
        removed=sorted(set(old) - set(new)),
        changed=sorted(k for k in set(old) & set(new) if old[k] != new[k]),
    )


def diff_backup(target: Target, ident: str, backups: BackupStore | None = None) -> DiffResult:
    store_b = backups or BackupStore()
    backup = store_b.find(ident, target.slug)
    saved = store_b.entries(backup)
    opened = access.open_read(target)
    with opened.store as store:
        return _diff(target, backup, store, saved)


def _saved_flag(backup: Backup, saved: list[Entry]) -> Entry | None:
    """The storage key's entry in the backup: its entries are the record (``meta.json`` only
    repeats the value, and a damaged one may lack it)."""
    return next((e for e in saved if e.key == backup.storage_key), None)


def _diff(target: Target, backup: Backup, store: LocalStorageStore, saved: list[Entry]) -> DiffResult:
    now = store.get(backup.origin, backup.storage_key)
    flag = _saved_flag(backup, saved)
    before = flag.value if flag is not None else None
    return DiffResult(
        target, backup, store.mode, _changes(FlagDocument.parse(before), FlagDocument.parse(now)), before, now,
        _entry_diff(saved, store.entries(backup.origin), backup.storage_key),
    )


RestoreScope = Literal["flags", "entries", "folder"]


@dataclass(frozen=True)
class RestoreResult:
    target: Target
    restored_from: Backup
    scope: RestoreScope
    diff: DiffResult
    safety_backup: Backup | None
    mode: str
    notes: list[str] = field(default_factory=list)
    durability: durable.Durability | None = None
    reloaded: bool = False

    @property
    def durable_ok(self) -> bool:
        return self.durability is None or self.durability.ok


def restore_backup(
    target: Target,
    ident: str,
    *,
    scope: RestoreScope = "flags",
    confirm: Callable[[DiffResult], bool] | None = None,
    backups: BackupStore | None = None,
    reload: bool = False,
    durable_timeout: float | None = durable.DEFAULT_TIMEOUT,
) -> RestoreResult:
    """Put a backup back after showing its diff to ``confirm`` (None or False answer: refuse).

    ``flags`` restores the storage key; ``entries`` every entry of the origin (keys added since
    are removed), in one write; ``folder`` the byte-exact LevelDB copy (offline only, app closed).
    Values come from the backup's entries. The diff is taken under the writer lock, on the state
    the write then changes: what ``confirm`` saw is what is replaced.
    """
    store_b = backups or BackupStore()
    backup = store_b.find(ident, target.slug)
    saved = store_b.entries(backup)
    if scope == "folder" and not backup.folder_copy:
        raise UsageError(f"backup {backup.id} has no folder copy (live backup, or pruned by retention)",
                         hint="restore with --scope entries instead")
    reason = f"before {'folder ' if scope == 'folder' else ''}restore {backup.id}"
    with access.write_session(target.with_origin(backup.origin), reason=reason, backups=store_b,
                              reload=reload, durable_timeout=durable_timeout) as session:
        if scope == "folder" and session.mode != "offline":
            raise UsageError("a folder restore needs the app closed", hint="close it, or use --scope entries")
        diff = _diff(target, backup, session.store, saved)
        if confirm is None or not confirm(diff):
            raise NeedsConfirmation("restore not confirmed; nothing was written", hint="pass --yes to restore")
        if scope == "flags":
            flag = _saved_flag(backup, saved)
            if flag is None:
                session.put(backup.storage_key, None)
            else:
                session.put_raw(flag)
        elif scope == "entries":
            saved_keys = {e.key for e in saved}
            for entry in session.store.entries(session.origin):
                if entry.key not in saved_keys:
                    session.put(entry.key, None)
            for entry in saved:
                session.put_raw(entry)
        else:
            session.replace_all(backup.path / "leveldb")
    notes = list(session.notes)
    if scope == "folder":
        notes.append(f"every key of the LevelDB is now as in backup {backup.id}; the state before "
                     f"is in backup {session.backup.id}")
    result = RestoreResult(target, backup, scope, diff, session.backup if session.written else None,
                           session.mode, notes, durability=session.durability,
                           reloaded=session.reload_seconds is not None)
    history.record_restore(result)
    return result
