"""Timed toggles: a flag set "for 30 minutes" goes back by itself, through the one write path.

A timer is a private JSON file in ``<data dir>/timers/`` named ``<next action, epoch s>-<id>.json``,
so "is anything due?" is one directory listing (:func:`fire_overdue`, run before every command,
reads no file and imports nothing heavy when nothing is due). It holds the flag, the timed value,
the value to go back to (or absent), when, and how to find the target again.

Who fires it: whoever holds its *claim* (an ``flock`` on ``<id>.lock``, released by the OS when the
holder dies): the detached timer process ``flagdeck timers wait ID`` (``timer_process``), or the
tray. A timer nobody claims (its process was killed, the machine rebooted) is fired by the next
flagdeck command once due, or handed to a new timer process. Exactly once: every change of a
timer's file happens under the target's writer lock, and the revert re-reads the file there.

Firing never clobbers a newer decision: the revert is written only while the flag still holds
the timed value (else the timer is dropped and says why). A busy profile (the app runs without a
debug port) is never written: the timer waits and retries. A revert not confirmed on the app's
disk is not done: it stays, ``unconfirmed``, and the next attempt confirms it (or writes again).
Each end (reverted, dropped, cancelled) leaves a record in ``timers/done/``, a history row
(kind ``timed-revert``) and a team alert.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from flagdeck import paths, private_files, timers_due
from flagdeck.errors import FlagdeckError, TargetBusy, UsageError
from flagdeck.target_lock import target_lock, try_lock

if TYPE_CHECKING:
    from flagdeck.flag_ops import WriteResult
    from flagdeck.targets.resolve import Target

REASON = "timed revert"  # the backup's reason and the history kind's name
MAX_SECONDS = 30 * 86400
RETRY_SECONDS = (2, 5, 10, 20, 30, 60)  # after a busy or failed attempt; then every minute
DONE_KEPT = 50
State = Literal["arming", "waiting", "retrying", "reverting", "unconfirmed"]
Outcome = Literal["reverted", "dropped", "already-back", "cancelled", "replaced", "retry", "gone"]
FINAL: tuple[str, ...] = ("reverted", "dropped", "already-back", "cancelled", "replaced", "gone")


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds")


def _parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass(frozen=True)
class Timer:
    id: str
    flag: str
    present: bool  # the timed value is stored (False: ``flags unset NAME --for``)
    value: Any
    back_present: bool  # what it goes back to: the value before, or absent
    back: Any
    created: str  # ISO 8601 UTC
    due: str
    seconds: float
    target_name: str
    target_slug: str
    target: dict[str, Any]  # how to resolve it again (``TargetOptions`` fields, paths absolute)
    reload: bool = False
    durable_timeout: float = 15.0
    set_by: str = "cli"
    user: str = ""
    state: State = "waiting"
    next_try: str = ""  # ISO; the file name carries it as epoch seconds
    attempts: int = 0
    last_error: str | None = None
    pid: int | None = None  # the detached timer process, when one was started
    backup: str | None = None  # the backup taken before the timed write
    revert_backup: str | None = None  # the backup before an unconfirmed revert

    @property
    def due_at(self) -> datetime:
        return _parse_iso(self.due)

    @property
    def next_at(self) -> datetime:
        return _parse_iso(self.next_try or self.due)

    def remaining(self, now: datetime | None = None) -> float:
        return (self.due_at - (now or _now())).total_seconds()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Timer:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class FireResult:
    """One attempt at a timer: its outcome and the one line a person reads about it."""

    timer: Timer
    outcome: Outcome
    message: str
    write: WriteResult | None = field(default=None, repr=False)
    durability: dict[str, Any] | None = None

    @property
    def final(self) -> bool:
        return self.outcome in FINAL

    def to_json(self) -> dict[str, Any]:
        return {"timer": self.timer.to_json(), "outcome": self.outcome, "message": self.message,
                "durability": self.durability, "backup": self.write.backup.id if self.write and self.write.backup
                else None}


# --- the files -----------------------------------------------------------------------------------


def _dir_path() -> Path:
    return Path(timers_due.timers_dir())


def timers_dir() -> Path:
    return paths.sub_dir("timers")


def done_dir() -> Path:
    return paths.sub_dir("timers", "done")


def _name(timer: Timer) -> str:
    return f"{int(timer.next_at.timestamp()):010d}-{timer.id}.json"


def _listing() -> list[tuple[int, str, Path]]:
    """(next action epoch, id, path) of every stored timer, without reading one."""
    try:
        entries = list(os.scandir(_dir_path()))
    except OSError:
        return []
    out = []
    for e in entries:
        stem, _, ext = e.name.partition(".")
        when, dash, ident = stem.partition("-")
        if ext == "json" and dash and when.isdigit() and ident:
            out.append((int(when), ident, Path(e.path)))
    return sorted(out)


def _path(ident: str) -> Path | None:
    return next((p for _, i, p in _listing() if i == ident), None)


def load(ident: str) -> Timer | None:
    path = _path(ident)
    data = private_files.read_json(path) if path else None
    return Timer.from_json(data) if isinstance(data, dict) else None


def pending(target_slug: str | None = None) -> list[Timer]:
    """Every stored timer (of one target), soonest first."""
    out = []
    for _, _, path in _listing():
        data = private_files.read_json(path)
        if isinstance(data, dict):
            with contextlib.suppress(TypeError):
                t = Timer.from_json(data)
                if target_slug is None or t.target_slug == target_slug:
                    out.append(t)
    return sorted(out, key=lambda t: t.due)


def find(ident: str) -> Timer:
    """The timer whose id is ``ident`` or starts with it."""
    ident = ident.strip()
    matches = [t for t in pending() if t.id == ident] or [t for t in pending() if ident and t.id.startswith(ident)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise UsageError(f"{len(matches)} timers start with {ident!r}", hint="give more of the id")
    ended = finished(ident)
    if ended is not None:
        raise UsageError(f"timer {ended['timer']['id']} already ended ({ended['outcome']}: {ended['message']})")
    raise UsageError(f"no timer {ident!r}", hint="flagdeck timers lists them")


def save(timer: Timer) -> Timer:
    """Write the timer under its (possibly new) name; the old name goes once the new one is there."""
    old = _path(timer.id)
    new = timers_dir() / _name(timer)
    private_files.write_json(new, timer.to_json(), sync=True)
    if old is not None and old != new:
        old.unlink(missing_ok=True)
    return timer


def _finish(timer: Timer, outcome: Outcome, message: str, extra: dict[str, Any] | None = None) -> None:
    """The timer ends: a record in ``done/`` (the tray's notification, ``timers cancel`` of an ended
    one), then its file goes."""
    record = {"timer": timer.to_json(), "outcome": outcome, "message": message, "ended": _iso(_now()),
              "pid": os.getpid(), **(extra or {})}
    private_files.write_json(done_dir() / f"{timer.id}.json", record, sync=True)
    path = _path(timer.id)
    if path is not None:
        path.unlink(missing_ok=True)
    _claim_path(timer.id).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        ended = sorted(done_dir().glob("*.json"), key=lambda p: p.stat().st_mtime)
        for old in ended[:-DONE_KEPT]:
            old.unlink(missing_ok=True)


def finished(ident: str) -> dict[str, Any] | None:
    """The record of an ended timer (id or prefix), or None."""
    try:
        names = [p for p in done_dir().glob("*.json") if p.stem == ident or p.stem.startswith(ident)]
    except OSError:
        return None
    data = private_files.read_json(names[0]) if len(names) == 1 else None
    return data if isinstance(data, dict) else None


def ended_since(when: float) -> list[dict[str, Any]]:
    """Records of timers that ended after ``when`` (epoch seconds), oldest first (the tray's news)."""
    out = []
    with contextlib.suppress(OSError):
        for p in done_dir().glob("*.json"):
            with contextlib.suppress(OSError):
                if p.stat().st_mtime > when:
                    data = private_files.read_json(p)
                    if isinstance(data, dict):
                        out.append(data)
    return sorted(out, key=lambda d: str(d.get("ended", "")))


# --- claims: who is responsible for firing a timer ---------------------------------------------------


def _claim_path(ident: str) -> Path:
    return _dir_path() / f"{ident}.lock"


class Claim:
    """The exclusive right to fire one timer (an ``flock``; the OS drops it when the holder dies)."""

    def __init__(self, ident: str, fd: int) -> None:
        self.id = ident
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> Claim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __del__(self) -> None:
        self.release()


def claim(ident: str) -> Claim | None:
    """Claim timer ``ident``; None when another process (or another claim here) holds it."""
    fd = os.open(timers_dir() / f"{ident}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    if try_lock(fd):
        return Claim(ident, fd)
    os.close(fd)
    return None


def claimed(ident: str) -> bool:
    """Whether someone (a timer process, the tray) holds the claim of ``ident``."""
    c = claim(ident)
    if c is None:
        return True
    c.release()
    return False


# --- setting timers ------------------------------------------------------------------------------------


def check_duration(duration: timedelta) -> float:
    seconds = duration.total_seconds()
    if not 0 < seconds <= MAX_SECONDS:
        raise UsageError(f"--for must be more than 0 s and at most {MAX_SECONDS // 86400} days",
                         hint="e.g. --for 90s, 30m or 2h")
    return seconds


def _options_of(target: Target) -> dict[str, Any]:
    """What resolves the same target in another process: absolute paths, the preset, the origin;
    a debug port only when it was given (else the profile's ``DevToolsActivePort`` is read then)."""
    return {"target": target.preset.name if target.preset else None,
            "user_data_dir": str(target.user_data_dir.resolve()) if target.user_data_dir else None,
            "leveldb": str(target.leveldb_dir.resolve()),
            "storage_key": target.storage_key,
            "origin": target.origin,
            "debug_port": target.debug_port if target.debug_port_explicit else None}


def resolve_target(timer: Timer) -> Target:
    from flagdeck.targets.resolve import TargetOptions, resolve

    o = timer.target
    return resolve(TargetOptions(
        target=o.get("target"), user_data_dir=Path(o["user_data_dir"]) if o.get("user_data_dir") else None,
        leveldb=Path(o["leveldb"]) if o.get("leveldb") else None, storage_key=o.get("storage_key"),
        origin=o.get("origin"), debug_port=o.get("debug_port")))


def _holds(values: dict[str, Any] | None, name: str, present: bool, value: Any) -> bool:
    """Whether a flag document's values hold ``name`` as given (present and of the same type)."""
    values = values or {}
    if name not in values:
        return not present
    return present and values[name] == value and type(values[name]) is type(value)


@dataclass(frozen=True)
class TimedWrite:
    """``flags set|unset ... --for D``: the write, the timers it set, those it replaced."""

    write: WriteResult
    timers: list[Timer]
    replaced: list[Timer] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def durability(self) -> Any:
        return self.write.durability

    def to_json(self) -> dict[str, Any]:
        from flagdeck.jsonable import to_jsonable

        return {**to_jsonable(self.write), "timers": [t.to_json() for t in self.timers],
                "replaced_timers": [t.id for t in self.replaced], "timer_notes": list(self.notes)}


def timed_write(
    target: Target,
    duration: timedelta,
    *,
    assignments: Sequence[tuple[str, Any]] = (),
    removals: Sequence[str] = (),
    set_by: str = "cli",
    spawn: bool = True,
    **write_options: Any,
) -> TimedWrite:
    """Write as ``flag_ops.write_flags`` does and schedule the way back for every flag it touches.

    Under the target's writer lock: read what each flag holds now, store the timers (``arming``),
    write, then arm them with what the write replaced. A kill between the write and the arming
    leaves a stored timer that still fires (it reverts only what the flag still holds). A flag
    with a timer already keeps its original way back (the new timer replaces the old one).
    ``spawn``: start a detached timer process per timer (the tray passes False: it fires them).
    """
    from flagdeck import flag_ops
    from flagdeck.history import current_user

    seconds = check_duration(duration)
    wanted = [(n, True, v) for n, v in assignments] + [(n, False, None) for n in removals]
    if not wanted:
        raise UsageError("nothing to change")
    now = _now()
    due = _iso(now + timedelta(seconds=seconds))
    notes: list[str] = []
    with target_lock(target.slug, purpose="flags set --for"):
        values = _stored_values(target)
        earlier = {t.flag: t for t in pending(target.slug)}
        planned: list[Timer] = []
        for name, present, value in wanted:
            old = earlier.get(name)
            back_present, back = (old.back_present, old.back) if old else (name in (values or {}),
                                                                          (values or {}).get(name))
            if _holds({name: back} if back_present else {}, name, present, value):
                notes.append(f"{name} already {'holds that value' if present else 'is absent'}: no timer "
                             "(nothing to put back)")
                continue
            planned.append(save(Timer(
                id=secrets.token_hex(3), flag=name, present=present, value=value, back_present=back_present,
                back=back, created=_iso(now), due=due, seconds=seconds, target_name=target.name,
                target_slug=target.slug, target=_options_of(target), reload=bool(write_options.get("reload")),
                durable_timeout=float(write_options.get("durable_timeout") or 15.0), set_by=set_by,
                user=current_user(), state="arming", next_try=due)))
        try:
            result = flag_ops.write_flags(target, assignments=assignments, removals=removals, **write_options)
        except BaseException:
            for t in planned:
                path = _path(t.id)
                if path is not None:
                    path.unlink(missing_ok=True)
            raise
        changed = {c.flag: c for c in result.changes}
        armed = []
        for t in planned:
            change = changed.get(t.flag)
            if change is not None and t.flag not in earlier:  # what the write itself replaced
                t = replace(t, back_present=change.before_present, back=change.before)
            armed.append(save(replace(t, state="waiting", backup=result.backup.id if result.backup else None)))
        replaced = [earlier[t.flag] for t in armed if t.flag in earlier]
        for old in replaced:
            _finish(old, "replaced", f"replaced by timer {next(t.id for t in armed if t.flag == old.flag)}")
    for old in replaced:
        _stop_process(old)
    if spawn:
        from flagdeck import timer_process

        armed = [timer_process.start(t) for t in armed]
    return TimedWrite(result, armed, replaced, notes)


def supersede(target: Target, names: Sequence[str], why: str) -> list[Timer]:
    """A write of ``names`` without ``--for`` is a newer decision: their timers end (``replaced``)."""
    if not _listing():
        return []
    ended = []
    with target_lock(target.slug, purpose="timer cancel"):
        for t in pending(target.slug):
            if t.flag in names:
                _finish(t, "replaced", why)
                ended.append(t)
    for t in ended:
        _stop_process(t)
    return ended


def cancel(ident: str) -> Timer:
    """End a timer without reverting (the flag keeps its timed value)."""
    timer = find(ident)
    with target_lock(timer.target_slug, purpose="timer cancel"):
        current = load(timer.id)
        if current is None:
            find(timer.id)  # says how it ended
            raise UsageError(f"no timer {timer.id!r}")
        _finish(current, "cancelled", f"cancelled; {current.flag} keeps its value")
    _stop_process(current)
    return current


def _stop_process(timer: Timer) -> None:
    """Stop the timer's own process, if it still runs (checked by its command line: a pid can be reused)."""
    if not timer.pid or timer.pid == os.getpid():
        return
    try:
        import psutil

        proc = psutil.Process(timer.pid)
        cmd = proc.cmdline()
        if "timers" in cmd and "wait" in cmd and timer.id in cmd:
            proc.terminate()
    except Exception:  # gone, not ours, not allowed: it finds its file gone and exits by itself
        pass


# --- firing --------------------------------------------------------------------------------------------


def _stored_values(target: Target) -> dict[str, Any] | None:
    from flagdeck import flag_ops

    return flag_ops.status(target).report.document.values


def _retry_at(attempts: int) -> datetime:
    return _now() + timedelta(seconds=RETRY_SECONDS[min(attempts, len(RETRY_SECONDS) - 1)])


def value_text(present: bool, value: Any) -> str:
    from flagdeck.describe import side

    return side(value, present)


def describe(timer: Timer) -> str:
    """``FLAG true -> back to false``."""
    return (f"{timer.flag} {value_text(timer.present, timer.value)} -> back to "
            f"{value_text(timer.back_present, timer.back)}")


@contextlib.contextmanager
def _as_timer() -> Iterator[None]:
    """History rows of a timed revert say ``how = timer``, whoever runs it: for this thread only
    where ``history.recorded_as`` exists (main's, for the tray's worker threads), else for the
    process while the revert runs."""
    from flagdeck import history

    per_thread = getattr(history, "recorded_as", None)
    if per_thread is not None:
        with per_thread("timer"):
            yield
        return
    before = history.default_how()
    history.set_default_how("timer")
    try:
        yield
    finally:
        history.set_default_how(before)


def fire(ident: str, *, lock_wait: float = 0.0, durable_timeout: float | None = None) -> FireResult:
    """One attempt at timer ``ident`` (the caller holds its claim). Never raises a FlagdeckError:
    what stops it (a busy profile, another writer, an unreadable disk) is a ``retry`` outcome and
    is kept in the timer's file with the next try."""
    timer = load(ident)
    if timer is None:
        return FireResult(_gone(ident), "gone", f"timer {ident} already ended")
    try:
        target = resolve_target(timer)
        with target_lock(timer.target_slug, wait=lock_wait, purpose=REASON), _as_timer():
            current = load(ident)  # cancelled or fired while this one waited?
            if current is None:
                return FireResult(timer, "gone", f"timer {ident} already ended")
            try:
                return _attempt(current, target, durable_timeout)
            except FlagdeckError as exc:  # refused or failed: nothing written; kept with the next try
                return _retry(load(ident) or current, str(exc), busy=isinstance(exc, TargetBusy))
    except FlagdeckError as exc:  # outside the writer lock: the file is left as it is (a cancel may be under way)
        return _retry(load(ident) or timer, str(exc), busy=isinstance(exc, TargetBusy), keep=False)


def _gone(ident: str) -> Timer:
    record = finished(ident)
    if record is not None:
        with contextlib.suppress(TypeError, KeyError):
            return Timer.from_json(record["timer"])
    return Timer(ident, "?", False, None, False, None, "", _iso(_now()), 0, "?", "?", {})


def _retry(timer: Timer, why: str, *, busy: bool = False, keep: bool = True, **changes: Any) -> FireResult:
    """Not now: the next try is kept in the timer's file (``keep``: the caller holds the writer lock)."""
    kept = replace(timer, state=changes.pop("state", "retrying" if timer.state != "unconfirmed" else "unconfirmed"),
                   attempts=timer.attempts + 1, last_error=why, next_try=_iso(_retry_at(timer.attempts)), **changes)
    if keep and load(timer.id) is not None:
        save(kept)
    word = "busy" if busy else "not yet"
    return FireResult(kept, "retry", f"timer {timer.id} ({describe(timer)}): {word}: {why}; tried again "
                      f"at {local_time(kept.next_at)}")


def _attempt(timer: Timer, target: Target, durable_timeout: float | None) -> FireResult:
    from flagdeck import flag_ops, history
    from flagdeck.storage import durable
    from flagdeck.storage.leveldb_store import busy_error
    from flagdeck.targets import process

    if target.debug_port is None and process.lock_probe(target.lock_file):
        return _retry(timer, str(busy_error(target.leveldb_dir)), busy=True)
    status = flag_ops.status(target)
    if status.mode == "busy":
        return _retry(timer, str(busy_error(target.leveldb_dir)), busy=True)
    doc = status.report.document
    if not doc.valid:
        return _end(timer, "dropped", f"{target.storage_key} is not a JSON object any more ({doc.error}); "
                                      "not reverted: fix it by hand")
    values = doc.values
    now_text = value_text(timer.flag in (values or {}), (values or {}).get(timer.flag))
    if _holds(values, timer.flag, timer.present, timer.value):
        save(replace(timer, state="reverting"))  # a kill from here on: the next attempt confirms, not "already back"
        assignments = [(timer.flag, timer.back)] if timer.back_present else []
        removals = [] if timer.back_present else [timer.flag]
        result = flag_ops.write_flags(
            target, assignments=assignments, removals=removals, force=True, reload=timer.reload,
            reason=REASON, note=f"timer {timer.id} set {timer.created[:16].replace('T', ' ')} UTC for "
            f"{span_text(timer.seconds)}", durable_timeout=durable_timeout or timer.durable_timeout)
        d = result.durability
        if d is not None and not d.ok:
            return _retry(timer, d.detail, state="unconfirmed",
                          revert_backup=result.backup.id if result.backup else None)
        return _end(timer, "reverted", f"{timer.flag} back to {value_text(timer.back_present, timer.back)}"
                    + (f" ({d.detail})" if d else ""), result)
    if _holds(values, timer.flag, timer.back_present, timer.back):
        if timer.state not in ("reverting", "unconfirmed"):
            return _end(timer, "already-back", f"{timer.flag} is already {now_text} (set back by someone): "
                                               "nothing to do")
        if status.mode == "live":  # the revert is in the app's memory: is it on its disk now?
            raw = doc.raw
            waited = durable.wait_on_disk(target.leveldb_dir, status.origin or "", {target.storage_key: raw},
                                          timeout=durable_timeout or timer.durable_timeout)
            if waited is None:
                return _retry(timer, "the revert is still in the app's memory only (not on its disk)")
        detail = "on the app's disk" if status.mode == "live" else "on disk (read back)"
        history.try_record("timed-revert", target, after=doc.raw,
                           message=f"timed revert of timer {timer.id} confirmed: {timer.flag} "
                                   f"back to {now_text}, {detail}")
        return _end(timer, "reverted", f"{timer.flag} back to {now_text} ({detail})", history_row=False)
    return _end(timer, "dropped", f"{timer.flag} is now {now_text}, not {value_text(timer.present, timer.value)}: "
                                  "a newer decision wins; not reverted")


def _end(timer: Timer, outcome: Outcome, message: str, write: WriteResult | None = None, *,
         history_row: bool = True) -> FireResult:
    """A final outcome: the done record, a history row (a revert's own comes from its write), the alert."""
    from flagdeck import history

    d = write.durability.to_json() if write is not None and write.durability is not None else None
    if history_row and write is None:
        history.try_record("timed-revert", _target_like(timer), message=f"timer {timer.id}: {message}",
                           details={"timer": timer.id, "outcome": outcome, "flag": timer.flag})
    _finish(timer, outcome, message, {"durability": d})
    result = FireResult(timer, outcome, f"timer {timer.id} ({describe(timer)}): {message}", write, d)
    _team_alert(result)
    return result


@dataclass(frozen=True)
class _TargetLike:
    name: str
    slug: str


def _target_like(timer: Timer) -> _TargetLike:
    return _TargetLike(timer.target_name, timer.target_slug)


def _team_alert(result: FireResult) -> None:
    try:
        from flagdeck.notify import timed_revert

        timed_revert.ended(result)
    except Exception:  # an alert never fails the revert; the outbox says what waits
        pass


# --- before every command ------------------------------------------------------------------------------


def fire_overdue(say: Callable[[str], None], *, respawn: bool = True) -> list[FireResult]:
    """What every flagdeck command runs first: fire the due timers nobody else handles, say so.

    Cheap when nothing is due (one listing). A due timer whose claim is held is being handled by its
    process or the tray (it retries); one nobody holds is fired here, and when it cannot end now
    (busy) it is handed to a new timer process. Timers not due whose process died get a new one.
    """
    listing = _listing()
    if not listing:
        return []
    results = []
    limit = time.time()
    for when, ident, _ in listing:
        c = claim(ident)
        if c is None:
            if when <= limit:
                t = load(ident)
                if t is not None and t.last_error:
                    say(f"flagdeck: timer {ident} ({describe(t)}) is overdue; its timer process retries: "
                        f"{t.last_error}")
            continue
        try:
            if when > limit:
                if respawn:
                    c.release()
                    _respawn(ident)
                continue
            r = fire(ident)
        except Exception as exc:  # the user's command goes on; the timer stays for the next one
            say(f"flagdeck: timer {ident} could not be fired ({type(exc).__name__}: {exc}); it stays stored")
            continue
        finally:
            c.release()
        results.append(r)
        say(f"flagdeck: overdue {r.message}" if r.final else f"flagdeck: overdue {r.message}; "
            "a timer process keeps trying")
        if not r.final and respawn:
            _respawn(ident)
    return results


def _respawn(ident: str) -> None:
    t = load(ident)
    if t is None:
        return
    from flagdeck import timer_process

    with contextlib.suppress(OSError, FlagdeckError):
        timer_process.start(t)


# --- for people -------------------------------------------------------------------------------------


def span_text(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 120:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 120:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def local_time(when: datetime) -> str:
    return when.astimezone().strftime("%H:%M:%S")


def remaining_text(timer: Timer, now: datetime | None = None) -> str:
    """``in 12 min``, ``overdue``."""
    left = timer.remaining(now)
    return "overdue" if left <= 0 else f"in {span_text(left)}"


def state_text(timer: Timer) -> str:
    if timer.state == "unconfirmed":
        return "reverted in the app's memory, not yet on its disk (retrying)"
    if timer.state == "reverting":
        return "reverting now"
    if timer.state == "retrying":
        return f"retrying: {timer.last_error}" if timer.last_error else "retrying"
    if timer.state == "arming":
        return "being set"
    return "waiting"

