"""The fleet agent: the source's desired values, made true on this workstation through the one
write path, and said on the record.

One :func:`sync` reads the target (live or offline, as every command does), asks the source what
this workstation should run, plans per flag (:mod:`flagdeck.fleet.plan`) and carries the plan
out under the target's writer lock:

- ``apply``: one ``flag_ops.write_flags`` for all such flags (backup, lock, confirmation on the
  app's disk, history row recorded as ``fleet``): live when the app has a debug port (the page is
  reloaded, as a tray toggle does, so it commits at once and runs the new value), offline when it
  is closed. A write the app's disk does not hold (``durability`` not ok) is *pending*, not
  applied; so is one refused because the app runs without a debug port, or another flagdeck
  writes: shown by ``fleet status`` and retried by the next sync;
- ``kill-switch``: the Level-1 rollback (``rollback.plan.prepare`` + ``rollback.run.run``: capture,
  write, reload, verification, record, the team's rollback alert) instead of a bare write;
- ``pin``: the local change is kept, the flag pinned until ``fleet release``.

Every outcome goes to ``outcomes.json`` (``fleet status``, evidence bundles) and, for applied,
failed and newly pending changes, to the team's webhooks.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from flagdeck import flag_ops, history
from flagdeck.errors import ExitCode, FlagdeckError, TargetBusy
from flagdeck.fleet import plan as fleet_plan
from flagdeck.fleet import state as fleet_state
from flagdeck.fleet import workstation
from flagdeck.fleet.plan import FlagPlan
from flagdeck.fleet.source import Health, Source
from flagdeck.fleet.state import FleetState, Outcome
from flagdeck.fleet.workstation import Workstation
from flagdeck.storage import durable
from flagdeck.storage.flags import FlagDocument
from flagdeck.target_lock import target_lock
from flagdeck.targets.resolve import Target, default_flag

LOCAL_KINDS = ("flag-write", "restore", "rollback")


@dataclass
class SyncResult:
    target: Target
    source: str
    health: Health
    workstation: Workstation
    mode: str
    flags: list[FlagPlan]
    outcomes: list[Outcome] = field(default_factory=list)  # what this run did
    pins: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_outcomes: list[dict[str, Any]] = field(default_factory=list)
    last_sync: str | None = None
    wrote: bool = False  # a sync (True) or a look (``fleet status``)
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """1 when something failed or could not be evaluated, the source is stale (its last known
        flags: nothing new from it), or a write is not on the app's disk; 3 when writes wait for the
        app (busy); else 0."""
        mine = [o.outcome for o in self.outcomes]
        if ("failed" in mine or self.health.state != "connected" or any(p.action == "error" for p in self.flags)
                or any(p.get("kind") == "not-durable" for p in self.pending.values())):
            return int(ExitCode.CHECK_FAILED)
        if self.pending:
            return int(ExitCode.BUSY)
        return int(ExitCode.OK)

    def to_json(self) -> dict[str, Any]:
        return {"target": {**self.target.to_json(), "slug": self.target.slug}, "source": self.source,
                "health": self.health.to_json(), "workstation": self.workstation.to_json(), "mode": self.mode,
                "flags": [p.to_json() for p in self.flags], "outcomes": [o.to_json() for o in self.outcomes],
                "pins": self.pins, "pending": self.pending, "last_outcomes": self.last_outcomes,
                "last_sync": self.last_sync, "synced": self.wrote, "notes": self.notes,
                "exit_code": self.exit_code}


# --- reading -------------------------------------------------------------------------------------


def _rollback_flag(target: Target) -> str | None:
    try:
        return default_flag(target)
    except FlagdeckError:
        return None  # none, or several: no flag is a kill switch


def _disk_values(target: Target, status: flag_ops.StatusResult) -> dict[str, Any]:
    """Live: the flag values on the app's disk (a private snapshot of its LevelDB)."""
    from flagdeck.storage.leveldb_store import LevelDBStore

    origin = status.origin or status.page_origin
    if origin is None:
        return {}
    try:
        with LevelDBStore.open_read(target.leveldb_dir) as disk:
            return FlagDocument.parse(disk.get(origin, target.storage_key)).values or {}
    except FlagdeckError:
        return {}


def newest_history_id(target: Target) -> int:
    try:
        rows = history.query(target_slug=target.slug, limit=1)
    except FlagdeckError:
        return 0
    return rows[0].id if rows else 0


def _local_changes(target: Target, seen: int) -> tuple[set[str], int]:
    """Flags a flagdeck write not made by the fleet changed since history row ``seen`` (the CLI,
    the tray, the console, a manual rollback), and the newest row id."""
    try:
        rows = history.query(target_slug=target.slug, limit=500)
    except FlagdeckError:
        return set(), seen
    changed: set[str] = set()
    for row in rows:
        if row.id <= seen or row.how == "fleet" or row.kind not in LOCAL_KINDS or row.outcome != "ok":
            continue
        before = FlagDocument.parse(row.before).values or {}
        after = FlagDocument.parse(row.after).values or {}
        changed |= {n for n in {*before, *after} if not fleet_plan.same(before.get(n), after.get(n))
                    or (n in before) != (n in after)}
    return changed, max([seen, *(r.id for r in rows)])


@contextlib.contextmanager
def _locked(target: Target, write: bool) -> Iterator[None]:
    if not write:
        yield
        return
    with target_lock(target.slug, purpose="fleet sync"):
        yield


def sync(target: Target, source: Source, *, write: bool = True, reload: bool = True,
         durable_timeout: float = durable.DEFAULT_TIMEOUT, alert: bool = True) -> SyncResult:
    """Bring the target to the fleet's values (``write``), or only say where it stands."""
    with _locked(target, write):
        st = fleet_state.load(target.slug)
        status = flag_ops.status(target)
        who = workstation.of(target, history.target_version(target))
        health = source.health()
        desired = source.evaluate([(name, ftype) for name, ftype, *_ in fleet_plan.flags_of(status)], who)
        changed, newest = _local_changes(target, st.history_seen)
        disk = _disk_values(target, status) if status.mode == "live" else None
        plans = fleet_plan.decide(status, desired, synced=st.synced, pins=st.pins, changed_locally=changed,
                                  rollback_flag=_rollback_flag(target), stale=health.state != "connected",
                                  disk=disk)
        result = SyncResult(target, source.conn.source, health, who, status.mode, plans,
                            notes=list(status.notes), wrote=write)
        if write:
            _carry_out(result, st, source.conn.source, reload=reload, durable_timeout=durable_timeout,
                       origin=status.origin or status.page_origin)
            st.history_seen = max(newest, newest_history_id(target))
            st.last_sync = fleet_state.now()
            st.health = health.to_json()
            fleet_state.save(st)
            fleet_state.add_outcomes(target.slug, result.outcomes)
            if alert:
                _alert(result)
        result.pins, result.pending, result.last_sync = dict(st.pins), dict(st.pending), st.last_sync
        result.last_outcomes = fleet_state.outcomes(target.slug)[-10:]
        return result


# --- carrying the plan out ---------------------------------------------------------------------------


def _carry_out(result: SyncResult, st: FleetState, source: str, *, reload: bool, durable_timeout: float,
               origin: str | None) -> None:
    unsaved = [p for p in result.flags if p.action == "on-disk-pending"]
    if unsaved:
        _commit(result, st, unsaved, source, reload=reload, durable_timeout=durable_timeout, origin=origin)
    for p in result.flags:
        if p.action == "in-sync":
            st.synced[p.name] = p.fleet.value
            st.pending.pop(p.name, None)
        elif p.action == "pin":
            st.pins[p.name] = {"value": p.local, "since": fleet_state.now(), "why": "changed at this workstation"}
            st.pending.pop(p.name, None)
            result.outcomes.append(Outcome(fleet_state.now(), p.name, "pinned", "pin", p.fleet.value, p.local,
                                           p.local, result.mode, p.why, source=source))
    with history.recorded_as("fleet"):
        for p in result.flags:
            if p.action == "kill-switch":
                _kill_switch(result, st, p, source, reload=reload, durable_timeout=durable_timeout)
        applies = [p for p in result.flags if p.action == "apply"]
        if applies:
            _apply(result, st, applies, source, reload=reload, durable_timeout=durable_timeout)


def _commit(result: SyncResult, st: FleetState, plans: list[FlagPlan], source: str, *, reload: bool,
            durable_timeout: float, origin: str | None) -> None:
    """Live: the fleet's value is in the app's memory but not on its disk (an earlier write that
    Chromium had not committed yet). With reloads allowed the page is parked so it commits now, as
    after any live write; else Chromium's own commit is awaited. Not on disk: still pending."""
    from flagdeck import access

    why = plans[0].why
    if origin is not None:
        try:
            with access.open_read(result.target).store as store:
                if store.mode == "live":
                    expected = {result.target.storage_key: store.get(origin, result.target.storage_key)}
                    d, _ = store.make_durable(origin, expected, reload=reload,  # type: ignore[attr-defined]
                                              timeout=durable_timeout)
                    if d.ok:
                        for p in plans:
                            _done(result, st, p, "apply", p.local, f"now on the app's disk ({d.detail})", source,
                                  mode="live", durability=d)
                        return
                    why = d.detail
        except FlagdeckError as exc:
            why = f"{why}; {exc}"
    for p in plans:
        _pending(result, st, p, "not-durable", why, source)


def _pending(result: SyncResult, st: FleetState, p: FlagPlan, kind: str, why: str, source: str,
             action: str = "apply") -> None:
    """Keep ``p`` as pending; an outcome only when it was not pending so already (no noise per retry)."""
    before = st.pending.get(p.name)
    attempts = int(before.get("attempts", 0)) + 1 if before else 1
    st.pending[p.name] = {"value": p.fleet.value, "since": before.get("since") if before else fleet_state.now(),
                          "why": why, "kind": kind, "attempts": attempts, "last_try": fleet_state.now()}
    if before is None or not fleet_plan.same(before.get("value"), p.fleet.value) or before.get("why") != why:
        result.outcomes.append(Outcome(fleet_state.now(), p.name, "pending", action, p.fleet.value, p.local, p.local,
                                       result.mode, why, source=source))


def _done(result: SyncResult, st: FleetState, p: FlagPlan, action: str, after: Any, detail: str, source: str, *,
          mode: str, durability: durable.Durability | None = None, rollback: str | None = None) -> None:
    st.synced[p.name] = p.fleet.value
    st.pending.pop(p.name, None)
    result.outcomes.append(Outcome(fleet_state.now(), p.name, "applied", action, p.fleet.value, p.local, after, mode,
                                   detail, durability.to_json() if durability else None, rollback, source))


def _failed(result: SyncResult, st: FleetState, p: FlagPlan, action: str, detail: str, source: str) -> None:
    st.pending.pop(p.name, None)
    result.outcomes.append(Outcome(fleet_state.now(), p.name, "failed", action, p.fleet.value, p.local, p.local,
                                   result.mode, detail, source=source))


def _apply(result: SyncResult, st: FleetState, plans: list[FlagPlan], source: str, *, reload: bool,
           durable_timeout: float) -> None:
    try:
        write = flag_ops.write_flags(result.target, assignments=[(p.name, p.fleet.value) for p in plans],
                                     reload=reload, reason="fleet", note=f"fleet: {source}",
                                     durable_timeout=durable_timeout)
    except TargetBusy as exc:
        for p in plans:
            _pending(result, st, p, "busy", str(exc), source)
        return
    except FlagdeckError as exc:
        for p in plans:
            _failed(result, st, p, "apply", str(exc), source)
        return
    after = FlagDocument.parse(write.after).values or {}
    if not write.durable_ok:
        assert write.durability is not None
        for p in plans:
            _pending(result, st, p, "not-durable", write.durability.detail, source)
        return
    how = f"{write.mode}" + (f", backup {write.backup.id}" if write.backup else "")
    detail = f"written ({how})" + (f"; {write.durability.detail}" if write.durability else "")
    for p in plans:
        _done(result, st, p, "apply", after.get(p.name), detail, source, mode=write.mode,
              durability=write.durability)


def _kill_switch(result: SyncResult, st: FleetState, p: FlagPlan, source: str, *, reload: bool,
                 durable_timeout: float) -> None:
    from flagdeck.errors import NeedsRestart
    from flagdeck.rollback import plan as rollback_plan
    from flagdeck.rollback import run as rollback_run

    try:
        rp = rollback_plan.prepare(result.target, flag=p.name, reload=reload, durable_timeout=durable_timeout)
    except (NeedsRestart, TargetBusy) as exc:
        _pending(result, st, p, "busy", str(exc), source, action="kill-switch")
        return
    except FlagdeckError as exc:
        _failed(result, st, p, "kill-switch", str(exc), source)
        return
    rb = rollback_run.run(rp, note=f"fleet kill switch: {source}")
    detail = f"Level-1 rollback {rb.id} ({rp.mode}): {rb.outcome}"
    if rb.error is not None:
        detail += f": {rb.error}"
    after = (FlagDocument.parse(rb.write.after).values or {}).get(p.name) if rb.write and rb.write.after else p.local
    if rb.outcome in ("verified", "written", "unverified"):
        if rb.outcome == "unverified":
            detail += " (the verification did not confirm the flag in the page)"
        _done(result, st, p, "kill-switch", after, detail, source, mode=rp.mode,
              durability=rb.durability or (rb.write.durability if rb.write else None), rollback=rb.id)
    elif rb.outcome == "memory-only":
        _pending(result, st, p, "not-durable", detail, source, action="kill-switch")
    elif isinstance(rb.error, TargetBusy):
        _pending(result, st, p, "busy", detail, source, action="kill-switch")
    else:
        _failed(result, st, p, "kill-switch", detail, source)


def _alert(result: SyncResult) -> None:
    """The team hears of every applied, failed or newly pending change; a kill switch that ran
    already sent the rollback's own alert."""
    from flagdeck.fleet import report

    told = [o for o in result.outcomes if o.outcome in ("applied", "failed", "pending")
            and not (o.action == "kill-switch" and o.rollback is not None)]
    if told:
        report.alert(result.target, result.workstation, told)


# --- pins ----------------------------------------------------------------------------------------


def release(target: Target, names: list[str] | None) -> list[str]:
    """Release pins (all when ``names`` is None): the next sync applies the fleet's value again.
    The local changes that made them are consumed, so they do not pin the flags once more."""
    from flagdeck.errors import UsageError

    with target_lock(target.slug, purpose="fleet release"):
        st = fleet_state.load(target.slug)
        chosen = list(st.pins) if names is None else names
        unknown = [n for n in chosen if n not in st.pins]
        if unknown:
            raise UsageError(f"not pinned: {', '.join(unknown)}",
                             hint="pinned: " + (", ".join(st.pins) or "none"))
        status = flag_ops.status(target)
        local = {name: value for name, _, value, _ in fleet_plan.flags_of(status)}
        for n in chosen:
            st.pins.pop(n)
            st.synced[n] = local.get(n)
        st.history_seen = max(st.history_seen, newest_history_id(target))
        fleet_state.save(st)
        return chosen


def start(target: Target) -> None:
    """A new connection: local changes made before it are not the fleet's business (no pins from
    them); earlier pins and pending writes are dropped."""
    st = FleetState(target.slug, history_seen=newest_history_id(target))
    fleet_state.save(st)
