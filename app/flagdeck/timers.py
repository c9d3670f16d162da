"""Timed toggles: a flag set "for 30 minutes" goes back by itself, through the one write path.
This module holds the timers, their files and claims, and sets and cancels them; firing them is
``timer_fire``, the detached process ``timer_process``.

A timer is a private JSON file in ``<data dir>/timers/`` named ``<next action, epoch s>-<id>.json``,
so "is anything due?" is one directory listing (``timers_due``, run before every command, reads no
file and imports nothing heavy when nothing is stored). It holds the flag, the timed value, the
value to go back to (or absent), when, and how to find the target again.

Who fires it: whoever holds its *claim* (an ``flock`` on ``<id>.lock``, released by the OS when the
holder dies): the detached timer process ``flagdeck timers wait ID``, or the tray. A timer nobody
claims (its process was killed, the machine rebooted) is fired by the next flagdeck command once
due, or handed to a new timer process. Exactly once: every change of a timer's file happens under
the target's writer lock, and a revert re-reads the file there. Each end (reverted, dropped,
cancelled, replaced) leaves a record in ``timers/done/``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from flagdeck import paths, private_files, timers_due
from flagdeck.errors import UsageError
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


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_utc(when: datetime) -> str:
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
        return (self.due_at - (now or utc_now())).total_seconds()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Timer:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


# --- the files -----------------------------------------------------------------------------------


def _dir_path() -> Path:
    return Path(timers_due.timers_dir())


def timers_dir() -> Path:
    return paths.sub_dir("timers")


def done_dir() -> Path:
    return paths.sub_dir("timers", "done")


def _name(timer: Timer) -> str:
    return f"{int(timer.next_at.timestamp()):010d}-{timer.id}.json"


def listing() -> list[tuple[int, str, Path]]:
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
    return next((p for _, i, p in listing() if i == ident), None)


def load(ident: str) -> Timer | None:
    path = _path(ident)
    data = private_files.read_json(path) if path else None
    return Timer.from_json(data) if isinstance(data, dict) else None


def pending(target_slug: str | None = None) -> list[Timer]:
    """Every stored timer (of one target), soonest first."""
    out = []
    for _, _, path in listing():
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


def finish(timer: Timer, outcome: Outcome, message: str, extra: dict[str, Any] | None = None) -> None:
    """The timer ends: a record in ``done/`` (the tray's notification, ``timers cancel`` of an ended
    one), then its file goes."""
    record = {"timer": timer.to_json(), "outcome": outcome, "message": message, "ended": iso_utc(utc_now()),
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


def holds(values: dict[str, Any] | None, name: str, present: bool, value: Any) -> bool:
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
    now = utc_now()
    due = iso_utc(now + timedelta(seconds=seconds))
    notes: list[str] = []
    with target_lock(target.slug, purpose="flags set --for"):
        values = _stored_values(target)
        earlier = {t.flag: t for t in pending(target.slug)}
        planned: list[Timer] = []
        for name, present, value in wanted:
            old = earlier.get(name)
            back_present, back = (old.back_present, old.back) if old else (name in (values or {}),
                                                                          (values or {}).get(name))
            if holds({name: back} if back_present else {}, name, present, value):
                notes.append(f"{name} already {'holds that value' if present else 'is absent'}: no timer "
                             "(nothing to put back)")
                continue
            planned.append(save(Timer(
                id=secrets.token_hex(3), flag=name, present=present, value=value, back_present=back_present,
                back=back, created=iso_utc(now), due=due, seconds=seconds, target_name=target.name,
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
            finish(old, "replaced", f"replaced by timer {next(t.id for t in armed if t.flag == old.flag)}")
    for old in replaced:
        _stop_process(old)
    if spawn:
        from flagdeck import timer_process

        armed = [timer_process.start(t) for t in armed]
    return TimedWrite(result, armed, replaced, notes)


def supersede(target: Target, names: Sequence[str], why: str) -> list[Timer]:
    """A write of ``names`` without ``--for`` is a newer decision: their timers end (``replaced``)."""
    if not listing():
        return []
    ended = []
    with target_lock(target.slug, purpose="timer cancel"):
        for t in pending(target.slug):
            if t.flag in names:
                finish(t, "replaced", why)
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
        finish(current, "cancelled", f"cancelled; {current.flag} keeps its value")
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


# --- reading the target, for people -------------------------------------------------------------------


def _stored_values(target: Target) -> dict[str, Any] | None:
    from flagdeck import flag_ops

    return flag_ops.status(target).report.document.values


def value_text(present: bool, value: Any) -> str:
    from flagdeck.describe import side

    return side(value, present)


def describe(timer: Timer) -> str:
    """``FLAG true -> back to false``."""
    return (f"{timer.flag} {value_text(timer.present, timer.value)} -> back to "
            f"{value_text(timer.back_present, timer.back)}")


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

