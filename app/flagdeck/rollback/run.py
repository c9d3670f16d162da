"""Level-1 rollback, run: each planned step timed and reported as it goes, the whole kept on record.

A step that fails (any exception, Ctrl-C included) stops the rollback there: later steps are
skipped, except the two that keep the promises of a failed run:

- ``relaunch``: once the app was closed it is started again, on its old state when the write did
  not happen, whatever failed after the close;
- ``record``: the record file, the history row and the team alert say the run failed.

Ctrl-C is re-raised once both ran (a first press during them is held). The run holds the
target's writer lock from its first step to its last, so no other flagdeck writes in between.
"""

from __future__ import annotations

import contextlib
import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from flagdeck import flag_ops, history, interrupts, notify
from flagdeck.errors import ExitCode, FlagdeckError
from flagdeck.probe.page import PageProbe
from flagdeck.rollback import record
from flagdeck.rollback.capture import Capture, capture
from flagdeck.rollback.plan import RollbackPlan
from flagdeck.storage import durable
from flagdeck.target_lock import target_lock
from flagdeck.targets import launch, process
from flagdeck.targets.resolve import Target
from flagdeck.verify.result import VerifyReport, now_iso

log = logging.getLogger("flagdeck.rollback")

StepStatus = Literal["pending", "running", "done", "failed", "skipped"]
# memory-only: rolled back in the running app, but not on its disk when flagdeck stopped waiting
Outcome = Literal["verified", "unverified", "failed", "written", "memory-only"]


@dataclass
class StepResult:
    id: str
    title: str
    status: StepStatus = "pending"
    seconds: float = 0.0
    detail: str = ""


@dataclass
class RollbackResult:
    id: str
    plan: RollbackPlan
    steps: list[StepResult]
    started: str
    seconds: float = 0.0
    outcome: Outcome = "failed"
    verify: VerifyReport | None = None
    write: flag_ops.WriteResult | None = None
    capture: Capture | None = None
    error: FlagdeckError | None = None
    record_path: str = ""
    notes: list[str] = field(default_factory=list)
    durability: durable.Durability | None = None  # live: where the rolled-back value stands on disk
    note: str | None = None  # what the person who confirmed it wrote (incident link, a few words)

    def step(self, step_id: str) -> StepResult | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "started": self.started, "seconds": round(self.seconds, 3), "outcome": self.outcome,
            "flag": self.plan.flag, "mode": self.plan.mode, "plan": self.plan.to_json(),
            "target": {**self.plan.target.to_json(), "slug": self.plan.target.slug},
            "steps": [s.__dict__ for s in self.steps],
            "verify": self.verify.to_json() if self.verify else None,
            "backup": self.write.backup.id if self.write and self.write.backup else None,
            "flag_before": self.write.before if self.write else None,
            "flag_after": self.write.after if self.write else None,
            "capture": self.capture.to_json() if self.capture else None,
            "error": self.error.as_dict() if self.error else None,
            "durability": self.durability.to_json() if self.durability else (
                self.write.durability.to_json() if self.write and self.write.durability else None),
            "record": self.record_path, "notes": self.notes, "note": self.note,
        }


Progress = Callable[[StepResult], None]


class NotDurable(Exception):
    """The ``durable`` step's way of failing without stopping the run: the app already runs the
    rolled-back value, the reload and verification still tell the truth about it, and the outcome
    says ``memory-only``."""

# Steps that run after a failure too (relaunch only when the app was closed).
_RECOVERY = ("relaunch", "record")


class StepFailed(FlagdeckError):
    """A step raised something that is not one of flagdeck's own errors: the OS, a bug, Ctrl-C.
    Its traceback goes into the record (and the log), its one line to the user."""

    exit_code = ExitCode.CHECK_FAILED
    kind = "step-failed"

    def __init__(self, step: StepResult, what: str, *, kind: str | None = None, exit_code: ExitCode | None = None,
                 trace: str = "") -> None:
        super().__init__(f"{step.title}: {what}")
        self.what = what  # the step's detail (the message names the step too)
        self.kind = kind or self.kind
        self.exit_code = exit_code or self.exit_code
        self.trace = trace

    def as_dict(self) -> dict[str, object]:
        return {**super().as_dict(), "traceback": self.trace} if self.trace else super().as_dict()

    @classmethod
    def of(cls, step: StepResult, exc: BaseException) -> StepFailed:
        if isinstance(exc, KeyboardInterrupt):
            return cls(step, "interrupted (Ctrl-C)", kind="interrupted", exit_code=ExitCode.USAGE)
        trace = "".join(traceback.format_exception(exc))
        if isinstance(exc, OSError):
            where = f": {exc.filename}" if exc.filename else ""
            return cls(step, f"{exc.strerror or exc}{where}", kind="os-error", exit_code=ExitCode.UNREADABLE,
                       trace=trace)
        return cls(step, f"internal error ({type(exc).__name__}: {exc})", trace=trace)


class _Runner:
    def __init__(self, plan: RollbackPlan, progress: Progress | None, *, watch: bool, window: float,
                 note: str | None, thorough: bool) -> None:
        self.plan = plan
        self.progress = progress or (lambda s: None)
        self.watch, self.window, self.note, self.thorough = watch, window, note, thorough
        rid, self.folder = record.new_record_dir()
        self.result = RollbackResult(rid, plan, [StepResult(s.id, s.title) for s in plan.steps], now_iso(), note=note)
        self.target: Target = plan.target
        self.live: Any = None  # LiveStore, opened for live mode
        self.version: str | None = None  # the app's version, for the runbook's history table
        self.origin: str | None = plan.target.origin
        self.t0 = time.monotonic()
        self._lock: contextlib.ExitStack | None = None  # where the first step enters the writer lock
        self.parked: Any = None  # live_store.Parked while the app's page waits on a blank page

    def run(self) -> RollbackResult:
        self.t0 = time.monotonic()
        actions = {"capture": self.capture, "close": self.close, "set-flag": self.set_flag,
                   "durable": self.durable_step, "reload": self.reload, "relaunch": self.relaunch,
                   "verify": self.verify_step, "record": self.finish}
        stop: BaseException | None = None  # Ctrl-C (or SystemExit): raised again once recorded
        try:
            with contextlib.ExitStack() as lock:
                self._lock = lock
                for step in self.result.steps:
                    if self.result.error is None:
                        stop = self._do(step, actions[step.id])
                    elif step.id in _RECOVERY and (step.id != "relaunch" or self._closed_the_app()):
                        with interrupts.held() as presses:
                            stop = self._do(step, actions[step.id]) or stop
                        if presses and stop is None:
                            stop = KeyboardInterrupt()
                    else:
                        step.status = "skipped"
        finally:
            if self.parked is not None:  # never leave the app on the blank page
                with contextlib.suppress(Exception):
                    self.parked.restore()
            if self.live is not None:
                with contextlib.suppress(Exception):
                    self.live.close()
            if not self.result.record_path:  # the loop itself was broken off: still on record
                self.finish()
        if stop is not None:
            raise stop
        return self.result

    def finish(self) -> str:
        """Outcome, history row, team alert (neither may fail the rollback), then the record file."""
        self.result.seconds = time.monotonic() - self.t0
        self.result.outcome = self._outcome()
        self.result.record_path = str(self.folder / "record.json")
        self._aside("history row", lambda: history.record_rollback(self.result, version=self.version))
        alert = self._aside("team alert", lambda: notify.rollback_done(
            notify.summary_from_rollback(self.result, version=self.version)))
        if alert is not None:
            self.result.notes.append("team alert queued (flagdeck notify status)")
        step = self.result.step("record")
        if step is not None and step.status == "running":  # this is that step: the file says it is done
            step.status, step.detail = "done", f"saved in {self.folder}"
        record.save(self.folder, self.result.to_json())
        return f"saved in {self.folder}"

    def _aside(self, what: str, func: Callable[[], Any]) -> Any:
        """Bookkeeping that must not stop the record file from being written."""
        try:
            return func()
        except Exception as exc:
            log.info("rollback %s: %s failed", self.result.id, what, exc_info=True)
            self.result.notes.append(f"{what} not written: {exc}")
            return None

    def _do(self, step: StepResult, action: Callable[[], str]) -> BaseException | None:
        """Run one step; any exception fails it (the first one is the run's error). Returns what
        must be raised again once the run is recorded (Ctrl-C, SystemExit)."""
        start = time.monotonic()
        step.status = "running"
        stop: BaseException | None = None
        try:
            self._tell(step)
            self._hold_lock()
            step.detail = action()
            step.status = "done"
        except NotDurable as exc:  # the change is in the app but not on its disk: loud, yet the run goes on
            step.status, step.detail = "failed", str(exc)
        except BaseException as exc:  # every failure is recorded; Ctrl-C is raised again after that
            stop = self._failed(step, exc)
        step.seconds = round(time.monotonic() - start, 3)
        try:
            self._tell(step)
        except BaseException as exc:  # Ctrl-C as the step ended: the run stops here all the same
            if self.result.error is None:
                self.result.error = StepFailed.of(step, exc)
            stop = stop or exc
        return stop

    def _tell(self, step: StepResult) -> None:
        """Report a step; a view that cannot show it does not stop the rollback (Ctrl-C does)."""
        try:
            self.progress(step)
        except Exception:
            log.info("rollback %s: progress of %s failed", self.result.id, step.id, exc_info=True)

    def _failed(self, step: StepResult, exc: BaseException) -> BaseException | None:
        error = exc if isinstance(exc, FlagdeckError) else StepFailed.of(step, exc)
        if not isinstance(exc, FlagdeckError | KeyboardInterrupt):  # the record has it too; not on stderr
            log.info("rollback %s, step %s: %s", self.result.id, step.id, error.as_dict().get("traceback"))
        step.status, step.detail = "failed", error.what if isinstance(error, StepFailed) else str(error)
        if self.result.error is None:
            self.result.error = error
        else:
            self.result.notes.append(f"{step.title} failed too: {step.detail}")
        return None if isinstance(exc, Exception) else exc

    def _hold_lock(self) -> None:
        """Take the target's writer lock in the first step (a wait for another writer is that step's)."""
        if self._lock is not None and self.result.error is None:
            lock, self._lock = self._lock, None
            lock.enter_context(target_lock(self.plan.target.slug, purpose="rollback"))

    def _closed_the_app(self) -> bool:
        close = self.result.step("close")
        return self.plan.running is not None and close is not None and close.status in ("done", "failed")

    # --- steps ----------------------------------------------------------------------------------

    def _open_live(self) -> None:
        from flagdeck.storage.live_store import connect_live

        assert self.target.debug_port is not None
        self.live = connect_live(self.target.debug_port, leveldb_dir=self.target.leveldb_dir,
                                 process_names=self.target.process_names)

    def capture(self) -> str:
        page = None
        if self.plan.mode == "live":
            self._open_live()
            assert self.origin is not None  # plan.prepare set it (target.with_origin)
            page = PageProbe(self.live.page_session(self.origin), self.origin)
        self.version = history.target_version(self.target, self.live)  # while the app still runs
        cap = capture(self.target, self.folder, page, thorough=self.thorough)
        self.result.capture = cap
        parts = ", ".join(sorted(cap.files)) or "nothing live"
        return f"{parts}; {len(cap.manual)} item(s) to capture by hand" if cap.manual else parts

    def close(self) -> str:
        running = self.plan.running
        if running is None:
            return "the app was not running"
        seconds = launch.close_gracefully(running.pid, self.target.lock_file, port=self.target.debug_port)
        return f"{running.name} (pid {running.pid}) closed in {seconds:.1f} s"

    def set_flag(self) -> str:
        target = self.target if self.live is not None else replace(self.target, debug_port=None)
        # Live, the next step confirms the disk (its own step, timed); offline the batch is synced.
        write = flag_ops.write_flags(target, assignments=[(self.plan.flag, self.plan.value)], reason="rollback",
                                     note=self.note or f"rollback {self.result.id}", live_store=self.live,
                                     durable_timeout=None if self.live is not None else durable.DEFAULT_TIMEOUT)
        self.result.write = write
        self.origin = write.origin
        backup = f"backup {write.backup.id}" if write.backup else "no change needed"
        on_disk = f"; {write.durability.detail}" if write.durability is not None else ""
        return f"{write.before or '(absent)'} -> {write.after} ({write.mode}, {backup}){on_disk}"

    def durable_step(self) -> str:
        """Read the app's disk until it holds the rolled-back value. With a reload to come, the page
        is parked on a blank page first so Chromium commits at once (the reload step loads it
        again); without, Chromium's own commit is awaited. Past the limit the run goes on (the app
        runs the old path either way) but its outcome is ``memory-only``, never verified."""
        assert self.origin is not None and self.result.write is not None
        if self.target.leveldb_dir is None or self.live.leveldb_dir is None:
            self.result.durability = durable.unconfirmed()
            raise NotDurable(self.result.durability.detail)
        expected = {self.target.storage_key: self.result.write.after}
        how = "Chromium's own delayed commit"
        start = time.monotonic()
        if self.plan.reload:
            how = "committed at once: the page parked on a blank page"
            self.parked = self.live.park(self.origin)
        waited = durable.wait_on_disk(self.live.leveldb_dir, self.origin, expected, timeout=self.plan.durable_timeout)
        if waited is None:
            self.result.durability = durable.memory_only(self.plan.durable_timeout, how)
            raise NotDurable(self.result.durability.detail)
        self.result.durability = durable.on_disk(time.monotonic() - start, how)
        return self.result.durability.detail

    def reload(self) -> str:
        if self.parked is not None:
            parked, self.parked = self.parked, None
            return f"page loaded again in {parked.restore():.2f} s"
        seconds = self.live.reload(self.origin)
        return f"reloaded in {seconds:.2f} s"

    def relaunch(self) -> str:
        spec = self.plan.launch
        assert spec is not None
        after_failure = self.result.error is not None
        if after_failure and not self._app_gone():
            holder = process.lock_holder(self.target.lock_file)
            return f"not started again: {holder.name if holder else 'the app'} still runs" + (
                f" (pid {holder.pid})" if holder else "")
        proc = launch.start(spec)
        ready_js = self.target.preset.ready_js if self.target.preset else None
        started = f"pid {proc.pid}, debug port {spec.port}"
        self.target = replace(self.target, debug_port=spec.port, debug_port_explicit=True)
        try:
            seconds = launch.wait_ready(spec.port, self.origin, proc=proc, ready_js=ready_js,
                                        gave_up=lambda: self._start_failed(proc.pid))
        except FlagdeckError as exc:
            if not after_failure:
                raise
            return f"started again after the failure ({self._flag_state()}): {started}; its page did not load: {exc}"
        loaded = f"{started}, page loaded in {seconds:.1f} s"
        return f"started again after the failure ({self._flag_state()}): {loaded}" if after_failure else loaded

    def _start_failed(self, pid: int) -> str | None:
        """What a demo target started as ``pid`` reports (a renderer crash): not the state its
        previous run left."""
        state = launch.demo_state(self.target)
        return launch.demo_problem(self.target.user_data_dir) if state and state.get("pid") == pid else None

    def _app_gone(self) -> bool:
        """After a failure: whether the closed app is gone, so it may be started again. A close that
        was interrupted is finished first (the app was asked to quit and is on its way out)."""
        holder = process.lock_holder(self.target.lock_file)
        if holder is None:
            return True
        error = self.result.error
        close = self.result.step("close")
        if close is not None and close.status == "failed" and getattr(error, "kind", "") == "interrupted":
            launch.close_gracefully(holder.pid, self.target.lock_file)
            return True
        return False

    def _flag_state(self) -> str:
        step = self.result.step("set-flag")
        write = self.result.write
        if step is not None and step.status == "done" and write is not None:
            return f"{self.plan.flag} written: {write.before or '(absent)'} -> {write.after}"
        return "on its previous flags: the write did not complete"

    def verify_step(self) -> str:
        from flagdeck.verify.runner import verify

        if self.plan.mode == "restart" and self.target.debug_port is not None:
            self._open_live()
        baseline = self.result.capture.baseline if self.result.capture else None
        report = verify(self.target, expect={self.plan.flag: self.plan.value}, baseline=baseline,
                        watch=self.watch, window=self.window, store=self.live, fast=not self.thorough)
        self.result.verify = report
        counts = {s: sum(1 for r in report.results if r.status == s) for s in ("pass", "fail", "manual")}
        failed = ", ".join(r.id for r in report.failed)
        text = f"{counts['pass']} passed, {counts['fail']} failed, {counts['manual']} manual"
        why = [f"failed: {failed}"] if failed else []
        why += list(report.notes[:1])  # why checks were left manual (the page did not answer...)
        return text + (f" ({'; '.join(why)})" if why else "")

    def _outcome(self) -> Outcome:
        unfinished = [s for s in self.result.steps if s.id not in ("record", "durable") and s.status != "done"]
        if self.result.error is not None or unfinished:
            return "failed"
        if self.result.durability is not None and not self.result.durability.ok:
            return "memory-only"
        report = self.result.verify
        if report is None:
            return "written"
        if report.failed:
            return "failed"
        flag = report.result("flag")
        return "verified" if flag is not None and flag.status == "pass" else "unverified"


def run(plan: RollbackPlan, *, progress: Progress | None = None, watch: bool = False, window: float = 3.0,
        note: str | None = None, thorough: bool = False) -> RollbackResult:
    """Run the plan. ``watch`` adds the memory/CPU window to the verification; ``thorough`` runs
    the full verification (and records what the app's data path shows) instead of the fast pass."""
    return _Runner(plan, progress, watch=watch, window=window, note=note, thorough=thorough).run()
