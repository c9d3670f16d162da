"""Level-1 rollback, run: each planned step timed and reported as it goes, the whole kept on record.

A step that fails stops the rollback there (later steps are marked skipped); the record is saved
whatever happens, with the error, so the incident log is complete.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from flagdeck import flag_ops, history, notify
from flagdeck.errors import FlagdeckError
from flagdeck.probe.page import PageProbe
from flagdeck.rollback import record
from flagdeck.rollback.capture import Capture, capture
from flagdeck.rollback.plan import RollbackPlan
from flagdeck.targets import launch
from flagdeck.targets.resolve import Target
from flagdeck.verify.result import VerifyReport, now_iso

StepStatus = Literal["pending", "running", "done", "failed", "skipped"]
Outcome = Literal["verified", "unverified", "failed", "written"]


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
            "record": self.record_path, "notes": self.notes,
        }


Progress = Callable[[StepResult], None]


class _Runner:
    def __init__(self, plan: RollbackPlan, progress: Progress | None, *, watch: bool, window: float,
                 note: str | None, thorough: bool) -> None:
        self.plan = plan
        self.progress = progress or (lambda s: None)
        self.watch, self.window, self.note, self.thorough = watch, window, note, thorough
        rid, self.folder = record.new_record_dir()
        self.result = RollbackResult(rid, plan, [StepResult(s.id, s.title) for s in plan.steps], now_iso())
        self.target: Target = plan.target
        self.live: Any = None  # LiveStore, opened for live mode
        self.version: str | None = None  # the app's version, for the runbook's history table
        self.origin: str | None = plan.target.origin
        self.t0 = time.monotonic()

    def run(self) -> RollbackResult:
        self.t0 = time.monotonic()
        actions = {"capture": self.capture, "close": self.close, "set-flag": self.set_flag,
                   "reload": self.reload, "relaunch": self.relaunch, "verify": self.verify_step,
                   "record": self.finish}
        try:
            for step in self.result.steps:
                if self.result.error is not None:
                    step.status = "skipped"
                    continue
                self._do(step, actions[step.id])
        finally:
            if self.live is not None:
                self.live.close()
            if not self.result.record_path:  # a step failed (or was interrupted): still on record
                self.finish()
        return self.result

    def finish(self) -> str:
        """Outcome, history row, team alert (neither may fail the rollback), then the record file."""
        self.result.seconds = time.monotonic() - self.t0
        self.result.outcome = self._outcome()
        self.result.record_path = str(self.folder / "record.json")
        history.record_rollback(self.result, version=self.version)
        if notify.rollback_done(notify.summary_from_rollback(self.result, version=self.version)) is not None:
            self.result.notes.append("team alert queued (flagdeck notify status)")
        step = self.result.step("record")
        if step is not None and step.status == "running":  # this is that step: the file says it is done
            step.status, step.detail = "done", f"saved in {self.folder}"
        record.save(self.folder, self.result.to_json())
        return f"saved in {self.folder}"

    def _do(self, step: StepResult, action: Callable[[], str]) -> None:
        step.status = "running"
        self.progress(step)
        start = time.monotonic()
        try:
            step.detail = action()
            step.status = "done"
        except FlagdeckError as exc:
            step.status, step.detail = "failed", str(exc)
            self.result.error = exc
        finally:
            step.seconds = round(time.monotonic() - start, 3)
            self.progress(step)

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
        write = flag_ops.write_flags(target, assignments=[(self.plan.flag, self.plan.value)], reason="rollback",
                                     note=self.note or f"rollback {self.result.id}", live_store=self.live)
        self.result.write = write
        self.origin = write.origin
        backup = f"backup {write.backup.id}" if write.backup else "no change needed"
        return f"{write.before or '(absent)'} -> {write.after} ({write.mode}, {backup})"

    def reload(self) -> str:
        seconds = self.live.reload(self.origin)
        return f"reloaded in {seconds:.2f} s"

    def relaunch(self) -> str:
        spec = self.plan.launch
        assert spec is not None
        proc = launch.start(spec)
        ready_js = self.target.preset.ready_js if self.target.preset else None
        seconds = launch.wait_ready(spec.port, self.origin, proc=proc, ready_js=ready_js)
        self.target = replace(self.target, debug_port=spec.port, debug_port_explicit=True)
        return f"pid {proc.pid}, debug port {spec.port}, page loaded in {seconds:.1f} s"

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
        return text + (f" (failed: {failed})" if failed else "")

    def _outcome(self) -> Outcome:
        if self.result.error is not None:
            return "failed"
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
