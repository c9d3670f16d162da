"""Rollback history and audit log: one SQLite file in flagdeck's data dir.

Every flag write, restore, rollback, compare, verification and evidence export is a row: who
(OS user), when (UTC), which target (name + slug), what changed (the flag document text before and
after: callers pass only that), how (``cli``/``tray``/``console``, a process-wide default the
entry point sets with :func:`set_default_how`), outcome, artifacts (paths), a ``message`` and
``details`` JSON. The message and details are redacted here whatever the caller passed (an error
message is where a token slips in), with the target's preset rules; ``before``/``after`` are kept
as they are: they are the audit record of what was written, the flag document (flag names and
values, not app data), and an evidence bundle redacts them with the rest of the audit log.
:func:`markdown_table` prints the runbook's "Rollback History" table from the rollback rows.

The file is 0600, in WAL mode with a busy timeout, so the CLI and the tray (two processes) can
write at once; the schema is versioned with ``PRAGMA user_version`` and migrated on open.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import getpass
import json
import os
import re
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from flagdeck import paths
from flagdeck.describe import change_text
from flagdeck.errors import FlagdeckError, StorageUnreadable, UsageError
from flagdeck.jsonable import dumps
from flagdeck.storage.flags import js_repr

if TYPE_CHECKING:
    from flagdeck.redact import Redactor

DB_NAME = "history.sqlite3"
LOCK_WAIT = 15.0  # seconds another flagdeck process may hold the database
KINDS = ("flag-write", "restore", "rollback", "compare", "verify", "evidence-export", "timed-revert")
HOWS = ("cli", "tray", "console", "api", "fleet", "timer")
Outcome = Literal["ok", "failed"]
ROLLBACK_TYPE = "Level 1: Feature Flag Toggle"
MARKDOWN_HEADER = "| Date | Version | Issue | Rollback Type | Resolution |"
MARKDOWN_RULE = "|------|---------|-------|---------------|------------|"

_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE entries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        time TEXT NOT NULL,
        user TEXT NOT NULL,
        host TEXT NOT NULL DEFAULT '',
        kind TEXT NOT NULL,
        target_name TEXT NOT NULL DEFAULT '',
        target_slug TEXT NOT NULL DEFAULT '',
        how TEXT NOT NULL,
        outcome TEXT NOT NULL,
        message TEXT,
        before TEXT,
        after TEXT,
        version TEXT,
        details TEXT NOT NULL DEFAULT '{}',
        artifacts TEXT NOT NULL DEFAULT '[]',
        issue TEXT,
        resolution TEXT
    );
    CREATE INDEX entries_target_time ON entries (target_slug, time);
    CREATE INDEX entries_kind_time ON entries (kind, time);
    """,
)
SCHEMA_VERSION = len(_MIGRATIONS)

_default_how = "cli"
_how_here: contextvars.ContextVar[str | None] = contextvars.ContextVar("flagdeck_history_how", default=None)


def set_default_how(how: str) -> None:
    """What the entry point is (``cli``, ``tray``, ``console``): recorded on every row after."""
    global _default_how
    if how not in HOWS:
        raise UsageError(f"unknown history source {how!r}", hint=f"one of {', '.join(HOWS)}")
    _default_how = how


def default_how() -> str:
    return _how_here.get() or _default_how


@contextlib.contextmanager
def recorded_as(how: str) -> Iterator[None]:
    """Rows written inside the block (this thread or task only) say ``how``: the fleet agent's
    writes and rollbacks go through the one write path and are recorded as ``fleet``, whichever
    process (CLI or tray) runs the agent."""
    if how not in HOWS:
        raise UsageError(f"unknown history source {how!r}", hint=f"one of {', '.join(HOWS)}")
    token = _how_here.set(how)
    try:
        yield
    finally:
        _how_here.reset(token)


class TargetLike(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def slug(self) -> str: ...


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    time: str  # ISO 8601 UTC
    user: str
    host: str
    kind: str
    target_name: str
    target_slug: str
    how: str
    outcome: str
    message: str | None
    before: str | None
    after: str | None
    version: str | None
    details: dict[str, Any] = field(default_factory=dict)
    artifacts: list[str] = field(default_factory=list)
    issue: str | None = None
    resolution: str | None = None

    @property
    def date(self) -> str:
        return self.time[:10]

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def db_path() -> Path:
    return paths.data_dir() / DB_NAME


def _connect(path: Path | None = None, wait: float = LOCK_WAIT) -> sqlite3.Connection:
    """The database, set up (WAL, schema). SQLite answers "locked" without waiting where waiting
    could deadlock (a new file being switched to WAL, or migrated, by another process at the same
    moment): the set-up is tried again for ``wait`` seconds before the database counts as unusable."""
    path = path or db_path()
    deadline = time.monotonic() + wait
    while True:
        conn: sqlite3.Connection | None = None
        try:
            if not path.exists():
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
            conn = sqlite3.connect(path, timeout=wait, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            _migrate(conn, path)
            break
        except sqlite3.OperationalError as exc:
            if conn is not None:
                conn.close()
            if not _busy(exc) or time.monotonic() >= deadline:
                raise StorageUnreadable(f"history database {path} is unusable: {exc}") from None
            time.sleep(0.02)
        except sqlite3.DatabaseError as exc:
            if conn is not None:
                conn.close()
            raise StorageUnreadable(f"history database {path} is unusable: {exc}") from None
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        with contextlib.suppress(OSError):
            if side.exists() and side.stat().st_mode & 0o077:
                side.chmod(0o600)
    return conn


def _busy(exc: sqlite3.OperationalError) -> bool:
    return getattr(exc, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or \
        "locked" in str(exc) or "busy" in str(exc)


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise StorageUnreadable(f"history database {path} was written by a newer flagdeck (schema {version})",
                                hint="upgrade flagdeck")
    conn.execute("BEGIN IMMEDIATE")  # two processes opening a new file at once: one migrates
    try:  # (BEGIN itself failing leaves no transaction to roll back: _connect tries again)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for n in range(version, SCHEMA_VERSION):
            for statement in _MIGRATIONS[n].split(";"):
                if statement.strip():
                    conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


@contextlib.contextmanager
def _db() -> Iterator[sqlite3.Connection]:
    conn = _connect()
    try:
        yield conn
    except sqlite3.DatabaseError as exc:
        raise StorageUnreadable(f"history database: {exc}") from None
    finally:
        conn.close()


def current_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


@functools.cache
def _every_preset_secrets() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Every preset's secret keys and fields, read once per process (for rows of a target without
    a preset: a profile given by folder may well be Cherry Studio's)."""
    from flagdeck.redact import every_preset_secrets

    return every_preset_secrets()


def _redactor(target: TargetLike | None) -> Redactor:
    """A fresh redactor (its own secrets and report) with the target's preset rules, which are
    compiled once per process and shared."""
    from flagdeck.redact import Redactor

    preset = getattr(target, "preset", None)
    if preset is not None:
        return Redactor.for_target(preset)
    return Redactor(*_every_preset_secrets())


def _redact(target: TargetLike | None, message: str | None, details: dict[str, Any] | None
            ) -> tuple[str | None, dict[str, Any]]:
    """``message`` and ``details`` with secrets masked: both learn from each other (a key named in
    the details is masked verbatim in the message too). Details become plain JSON first (anything
    else as its text, which the patterns then see)."""
    plain = json.loads(json.dumps(details or {}, default=str))
    clean = _redactor(target).scrub_json({"message": message, "details": plain}, "history")
    masked = clean["details"]
    return clean["message"], masked if isinstance(masked, dict) else {}


def record(
    kind: str,
    target: TargetLike | None,
    *,
    before: str | None = None,
    after: str | None = None,
    outcome: Outcome = "ok",
    message: str | None = None,
    details: dict[str, Any] | None = None,
    artifacts: Sequence[str | Path] = (),
    version: str | None = None,
    how: str | None = None,
) -> int:
    """Add one row; returns its id. ``before``/``after`` must be the flag document text only.

    Raises ``StorageUnreadable`` when the database cannot be written; :func:`try_record` is the
    variant for callers whose own action must not fail because the audit log did.
    """
    if kind not in KINDS:
        raise UsageError(f"unknown history kind {kind!r}", hint=f"one of {', '.join(KINDS)}")
    if outcome not in ("ok", "failed"):
        raise UsageError(f"outcome must be ok or failed, not {outcome!r}")
    import socket  # here: reading the history never needs it

    message, clean = _redact(target, message, details)
    row = (
        datetime.now(UTC).isoformat(timespec="milliseconds"), current_user(), socket.gethostname(), kind,
        target.name if target else "", target.slug if target else "", how or default_how(), outcome,
        message, before, after, version,
        dumps(clean, sort_keys=True),
        dumps([str(a) for a in artifacts]),
    )
    with _db() as conn:
        cur = conn.execute(
            "INSERT INTO entries (time, user, host, kind, target_name, target_slug, how, outcome, message,"
            " before, after, version, details, artifacts) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [_stored(v) for v in row])
        return int(cur.lastrowid or 0)


def try_record(kind: str, target: TargetLike | None, **kwargs: Any) -> int | None:
    """:func:`record`, returning None instead of raising when the audit log cannot be written."""
    try:
        return record(kind, target, **kwargs)
    except FlagdeckError:
        return None


def record_flag_write(result: Any, kind: str = "flag-write") -> int | None:
    """The row for a ``flag_ops.WriteResult`` (one line at the end of ``write_flags``); a timer's
    revert is kind ``timed-revert``."""
    changes = "; ".join(change_text(c) for c in result.changes) or "no change"
    backup = result.backup
    durability = getattr(result, "durability", None)
    if durability is not None and not durability.ok:
        changes += f"; {durability.detail}"
    return try_record(kind, result.target, before=result.before, after=result.after, message=changes,
                      outcome="ok" if durability is None or durability.ok else "failed",
                      details={"mode": result.mode, "origin": result.origin, "backup": backup.id if backup else None,
                               "reloaded": result.reloaded, "notes": list(result.notes),
                               "durability": durability.to_json() if durability else None},
                      artifacts=[str(backup.path)] if backup else ())


def record_restore(result: Any) -> int | None:
    """The row for a ``flag_ops.RestoreResult`` (one line at the end of ``restore_backup``)."""
    diff = result.diff
    safety = result.safety_backup
    durability = getattr(result, "durability", None)
    message = f"restored {result.scope} from backup {result.restored_from.id}"
    if durability is not None and not durability.ok:
        message += f"; {durability.detail}"
    return try_record("restore", result.target, before=diff.now, after=diff.before, message=message,
                      outcome="ok" if durability is None or durability.ok else "failed",
                      details={"mode": result.mode, "scope": result.scope, "from": result.restored_from.id,
                               "safety_backup": safety.id if safety else None,
                               "durability": durability.to_json() if durability else None},
                      artifacts=[str(result.restored_from.path)] + ([str(safety.path)] if safety else []))


def record_rollback(result: Any, *, version: str | None = None, bundle: str | Path | None = None) -> int | None:
    """The row for a ``rollback.run.RollbackResult`` (one line after ``record.save`` in the run).

    ``version``: :func:`target_version` taken while the app ran (the runbook table's Version).
    """
    plan = result.plan
    write = getattr(result, "write", None)
    error = getattr(result, "error", None)
    # ok only for a run that finished: no error, no step (but the record itself) left running or failed
    unfinished = any(s.status in ("pending", "running", "failed") for s in result.steps if s.id != "record")
    outcome: Outcome = "failed" if result.outcome == "failed" or error is not None or unfinished else "ok"
    message = f"{result.outcome}: {plan.flag} -> {js_repr(plan.value)} ({plan.mode})"
    if error is not None:
        message += f": {error}"
    note = getattr(result, "note", None)
    if note:
        message += f"; note: {note}"
    record_dir = str(Path(result.record_path).parent) if getattr(result, "record_path", "") else None
    artifacts = [a for a in (record_dir, str(write.backup.path) if write and write.backup else None,
                             str(bundle) if bundle else None) if a]
    return try_record(
        "rollback", plan.target, before=write.before if write else None, after=write.after if write else None,
        outcome=outcome, message=message, version=version, artifacts=artifacts,
        details={"level": 1, "rollback_type": ROLLBACK_TYPE, "rollback_id": result.id, "mode": plan.mode,
                 "outcome": result.outcome, "seconds": round(float(result.seconds), 3), "note": note,
                 "steps": [{"id": s.id, "status": s.status, "seconds": round(float(s.seconds), 3)}
                           for s in result.steps]})


def record_failure(kind: str, target: TargetLike | None, error: BaseException, *, before: str | None = None,
                   details: dict[str, Any] | None = None) -> int | None:
    """A failed action: its one-line error as the message (``except FlagdeckError as e: ...; raise``)."""
    return try_record(kind, target, before=before, outcome="failed", message=str(error),
                      details={"error": getattr(error, "kind", type(error).__name__), **(details or {})})


def _stored(value: Any) -> Any:
    """A text column's value as SQLite can take it: a str with a lone surrogate (a JavaScript string
    may hold one; UTF-8 cannot) goes in as its ``surrogatepass`` UTF-8 bytes, a BLOB that
    :func:`_loaded` turns back into the identical str. Every other value as it is."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "surrogatepass")
    return value


def _loaded(value: Any) -> Any:
    return value.decode("utf-8", "surrogatepass") if isinstance(value, bytes) else value


def _entry(row: sqlite3.Row) -> HistoryEntry:
    data = {key: _loaded(value) for key, value in dict(row).items()}
    data["details"] = json.loads(data.get("details") or "{}")
    data["artifacts"] = json.loads(data.get("artifacts") or "[]")
    return HistoryEntry(**data)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)?\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400, None: 1}


def parse_duration(text: str) -> timedelta:
    """``90s``, ``30m``, ``24h``, ``7d``, ``2w`` (a bare number is seconds)."""
    m = _DURATION.match(text or "")
    if not m:
        raise UsageError(f"not a duration: {text!r}", hint="use e.g. 30m, 24h, 7d")
    unit = m.group(2).lower() if m.group(2) else None
    return timedelta(seconds=float(m.group(1)) * _UNITS[unit])


def parse_since(text: str) -> datetime:
    """A ``--since`` value: a duration back from now (``7d``) or an ISO date/time (UTC if naive)."""
    try:
        return datetime.now(UTC) - parse_duration(text)
    except UsageError:
        pass
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"not a duration or date: {text!r}", hint="use e.g. 7d, 24h or 2025-09-01") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def query(
    target_slug: str | None = None,
    kind: str | None = None,
    since: datetime | timedelta | None = None,
    limit: int | None = None,
) -> list[HistoryEntry]:
    """Rows, newest first, filtered by target, kind and time."""
    where: list[str] = []
    args: list[Any] = []
    if target_slug:
        where.append("target_slug = ?")
        args.append(target_slug)
    if kind:
        where.append("kind = ?")
        args.append(kind)
    if since is not None:
        when = datetime.now(UTC) - since if isinstance(since, timedelta) else since
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        where.append("time >= ?")
        args.append(when.astimezone(UTC).isoformat(timespec="milliseconds"))
    sql = "SELECT * FROM entries" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        args.append(int(limit))
    with _db() as conn:
        conn.row_factory = sqlite3.Row
        return [_entry(r) for r in conn.execute(sql, args)]


def get(entry_id: int) -> HistoryEntry:
    with _db() as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT * FROM entries WHERE id = ?", (entry_id,)).fetchone()
    if row is None:
        raise UsageError(f"no history entry {entry_id}", hint="flagdeck history lists them")
    return _entry(row)


def annotate(entry_id: int, issue: str | None = None, resolution: str | None = None,
             version: str | None = None) -> HistoryEntry:
    """Add the issue link, resolution or app version to a row after the fact (the runbook's table)."""
    if issue is None and resolution is None and version is None:
        raise UsageError("nothing to annotate", hint="give --issue, --resolution or --version")
    sets = [(col, val) for col, val in (("issue", issue), ("resolution", resolution), ("version", version))
            if val is not None]
    with _db() as conn:
        updated = conn.execute(f"UPDATE entries SET {', '.join(f'{c} = ?' for c, _ in sets)} WHERE id = ?",
                               [_stored(v) for _, v in sets] + [entry_id]).rowcount
    if updated == 0:
        raise UsageError(f"no history entry {entry_id}", hint="flagdeck history lists them")
    return get(entry_id)


# --- the runbook's table -------------------------------------------------------------------------


def _cell(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text.replace("|", "\\|") if text else "-"


def rollback_type(entry: HistoryEntry) -> str:
    kind = entry.details.get("rollback_type") or (
        f"Level {entry.details['level']}: Feature Flag Toggle" if entry.details.get("level") in (1, "1")
        else (f"Level {entry.details['level']}" if entry.details.get("level") else ROLLBACK_TYPE))
    return f"{kind} (failed)" if entry.outcome == "failed" else str(kind)


def markdown_table(entries: Sequence[HistoryEntry]) -> str:
    """The runbook's "Rollback History" table, one row per rollback, oldest first."""
    rows = [e for e in entries if e.kind == "rollback"]
    lines = [MARKDOWN_HEADER, MARKDOWN_RULE]
    for e in sorted(rows, key=lambda e: e.id):
        lines.append(f"| {e.date} | {_cell(e.version)} | {_cell(e.issue)} | {_cell(rollback_type(e))} "
                     f"| {_cell(e.resolution)} |")
    if not rows:
        lines.append("| -    | -       | -     | -             | -          |")
    return "\n".join(lines)


# --- the app's version -----------------------------------------------------------------------------

_ENGINE_TOKENS = {"mozilla", "applewebkit", "chrome", "headlesschrome", "safari", "electron", "qtwebengine",
                  "gecko", "khtml", "version", "mobile"}


def version_from_user_agent(user_agent: str) -> str | None:
    """``CherryStudio/1.9.3`` from an Electron user agent (the app's own product token)."""
    for name, ver in re.findall(r"([A-Za-z][\w.-]*)/(\d[\w.+-]*)", user_agent or ""):
        if name.lower() not in _ENGINE_TOKENS:
            return f"{name} {ver}"
    return None


def target_version(target: Any, live_store: Any | None = None, *,
                   browser_info: dict[str, Any] | None = None) -> str | None:
    """The target app's version, when it can be told without side effects.

    The demo target's ``<profile>/demo-target.json`` "version"; else, live, the app's product token
    in the user agent (Electron puts ``AppName/x.y.z`` there) or the browser version from
    ``/json/version`` (what ``Browser.getVersion`` answers); else None. ``browser_info``: that
    ``/json/version`` answer when the caller already has it (it is not asked again).
    """
    from flagdeck.targets import launch

    state = launch.demo_state(target)
    if state and state.get("version"):
        return f"flagdeck-demo {state['version']}"
    if browser_info is not None:
        return _version_from_browser(browser_info)
    port = getattr(live_store, "port", None) if live_store is not None else None
    if port is None and getattr(target, "debug_port", None):
        try:
            from flagdeck.storage.live_store import check_debug_port

            check_debug_port(target.debug_port, leveldb_dir=target.leveldb_dir,
                             process_names=target.process_names)
            port = target.debug_port
        except FlagdeckError:
            return None
    if port is None:
        return None
    try:
        from flagdeck.storage import cdp

        info = cdp.browser_version(int(port))
    except FlagdeckError:
        return None
    return _version_from_browser(info)


def _version_from_browser(info: dict[str, Any]) -> str | None:
    return version_from_user_agent(str(info.get("User-Agent", ""))) or (str(info.get("Browser") or "") or None)
