"""Firing timed toggles: one attempt at a timer (:func:`fire`), and what every flagdeck command
runs first (:func:`fire_overdue`). The timers themselves, their files and claims: ``timers``.

An attempt re-reads the timer under the target's writer lock (exactly once: a cancel or another
firer that came first leaves nothing to do), then: a busy profile (the app holds its LevelDB
without a debug port) is never written, the timer retries; a flag that no longer holds the timed
value is a newer decision (dropped, and said so); else the way back is written through
``flag_ops.write_flags`` (backup, lock, confirmed on the app's disk, history kind
``timed-revert``). A revert not confirmed on the app's disk is not done: ``unconfirmed``, and the
next attempt confirms it from the disk (or writes again if the app lost it). Every end leaves a
done record, a history row and a team alert.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from flagdeck import timers
from flagdeck.errors import FlagdeckError, TargetBusy
from flagdeck.target_lock import target_lock

if TYPE_CHECKING:
    from flagdeck.flag_ops import WriteResult
    from flagdeck.targets.resolve import Target


@dataclass(frozen=True)
class FireResult:
    """One attempt at a timer: its outcome and the one line a person reads about it."""

    timer: timers.Timer
    outcome: timers.Outcome
    message: str
    write: WriteResult | None = field(default=None, repr=False)
    durability: dict[str, Any] | None = None

    @property
    def final(self) -> bool:
        return self.outcome in timers.FINAL

    def to_json(self) -> dict[str, Any]:
        return {"timer": self.timer.to_json(), "outcome": self.outcome, "message": self.message,
                "durability": self.durability, "backup": self.write.backup.id if self.write and self.write.backup
                else None}


def _retry_at(attempts: int) -> datetime:
    return timers.utc_now() + timedelta(seconds=timers.RETRY_SECONDS[min(attempts, len(timers.RETRY_SECONDS) - 1)])


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
    timer = timers.load(ident)
    if timer is None:
        return FireResult(_gone(ident), "gone", f"timer {ident} already ended")
    try:
        target = timers.resolve_target(timer)
        with target_lock(timer.target_slug, wait=lock_wait, purpose=timers.REASON), _as_timer():
            current = timers.load(ident)  # cancelled or fired while this one waited?
            if current is None:
                return FireResult(timer, "gone", f"timer {ident} already ended")
            try:
                return _attempt(current, target, durable_timeout)
            except FlagdeckError as exc:  # refused or failed: nothing written; kept with the next try
                return _retry(timers.load(ident) or current, str(exc), busy=isinstance(exc, TargetBusy))
    except FlagdeckError as exc:  # outside the writer lock: the file is left as it is (a cancel may be under way)
        return _retry(timers.load(ident) or timer, str(exc), busy=isinstance(exc, TargetBusy), keep=False)


def _gone(ident: str) -> timers.Timer:
    record = timers.finished(ident)
    if record is not None:
        with contextlib.suppress(TypeError, KeyError):
            return timers.Timer.from_json(record["timer"])
    return timers.Timer(ident, "?", False, None, False, None, "", timers.iso_utc(timers.utc_now()), 0, "?", "?", {})


def _retry(timer: timers.Timer, why: str, *, busy: bool = False, keep: bool = True, **changes: Any) -> FireResult:
    """Not now: the next try is kept in the timer's file (``keep``: the caller holds the writer lock)."""
    state = changes.pop("state", "retrying" if timer.state != "unconfirmed" else "unconfirmed")
    kept = replace(timer, state=state, attempts=timer.attempts + 1, last_error=why,
                   next_try=timers.iso_utc(_retry_at(timer.attempts)), **changes)
    if keep and timers.load(timer.id) is not None:
        timers.save(kept)
    word = "busy" if busy else "not yet"
    return FireResult(kept, "retry", f"timer {timer.id} ({timers.describe(timer)}): {word}: {why}; tried again "
                      f"at {timers.local_time(kept.next_at)}")


def _attempt(timer: timers.Timer, target: Target, durable_timeout: float | None) -> FireResult:
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
    now_text = timers.value_text(timer.flag in (values or {}), (values or {}).get(timer.flag))
    if timers.holds(values, timer.flag, timer.present, timer.value):
        timers.save(replace(timer, state="reverting"))  # killed from here on: the next attempt confirms it
        assignments = [(timer.flag, timer.back)] if timer.back_present else []
        removals = [] if timer.back_present else [timer.flag]
        result = flag_ops.write_flags(
            target, assignments=assignments, removals=removals, force=True, reload=timer.reload,
            reason=timers.REASON, note=f"timer {timer.id} set {timer.created[:16].replace('T', ' ')} UTC for "
            f"{timers.span_text(timer.seconds)}", durable_timeout=durable_timeout or timer.durable_timeout)
        d = result.durability
        if d is not None and not d.ok:
            return _retry(timer, d.detail, state="unconfirmed",
                          revert_backup=result.backup.id if result.backup else None)
        return _end(timer, "reverted", f"{timer.flag} back to {timers.value_text(timer.back_present, timer.back)}"
                    + (f" ({d.detail})" if d else ""), result)
    if timers.holds(values, timer.flag, timer.back_present, timer.back):
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
    timed = timers.value_text(timer.present, timer.value)
    return _end(timer, "dropped", f"{timer.flag} is now {now_text}, not {timed}: "
                                  "a newer decision wins; not reverted")


def _end(timer: timers.Timer, outcome: timers.Outcome, message: str, write: WriteResult | None = None, *,
         history_row: bool = True) -> FireResult:
    """A final outcome: the done record, a history row (a revert's own comes from its write), the alert."""
    from flagdeck import history

    d = write.durability.to_json() if write is not None and write.durability is not None else None
    if history_row and write is None:
        history.try_record("timed-revert", _target_like(timer), message=f"timer {timer.id}: {message}",
                           details={"timer": timer.id, "outcome": outcome, "flag": timer.flag})
    timers.finish(timer, outcome, message, {"durability": d})
    result = FireResult(timer, outcome, f"timer {timer.id} ({timers.describe(timer)}): {message}", write, d)
    _team_alert(result)
    return result


@dataclass(frozen=True)
class _TargetLike:
    name: str
    slug: str


def _target_like(timer: timers.Timer) -> _TargetLike:
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
    listing = timers.listing()
    if not listing:
        return []
    results = []
    limit = time.time()
    for when, ident, _ in listing:
        c = timers.claim(ident)
        if c is None:
            if when <= limit:
                t = timers.load(ident)
                if t is not None and t.last_error:
                    say(f"flagdeck: timer {ident} ({timers.describe(t)}) is overdue; its timer process retries: "
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
    t = timers.load(ident)
    if t is None:
        return
    from flagdeck import timer_process

    with contextlib.suppress(OSError, FlagdeckError):
        timer_process.start(t)
