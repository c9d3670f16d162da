"""The main job on the demo target: an incident and its Level-1 rollback, end to end.

1. start the demo target with the unified DB path on and a fault (a "bad release"), and save a
   baseline of the original path (the runbook's "original implementation metrics": the flag off,
   where the fault does not reach),
2. show the trigger board (what the runbook says to do; its performance triggers are measured
   against that baseline),
3. roll back (capture, flag off, reload or restart, verify, record),
4. stop the target (unless asked to keep it), and report.

Headless it runs through and succeeds when the rollback is verified; the tray and console drive
the same steps with a display.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from flagdeck import flag_ops
from flagdeck.errors import FlagdeckError, LiveError
from flagdeck.executable import demo_target_command
from flagdeck.rollback import plan as rollback_plan
from flagdeck.rollback.run import RollbackResult, StepResult
from flagdeck.rollback.run import run as run_rollback
from flagdeck.targets import launch, process
from flagdeck.targets.resolve import Target, TargetOptions, resolve
from flagdeck.triggers import TriggerBoard, check

FLAG = "USE_UNIFIED_DB_SERVICE"
DEFAULT_FAULT = "data-loss"
BASELINE = "demo-original"


@dataclass
class DemoResult:
    fault: str
    profile: str
    started_seconds: float = 0.0
    baseline: str | None = None  # what saving the original path's baseline did, for people
    board: TriggerBoard | None = None
    rollback: RollbackResult | None = None
    stopped: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.rollback is not None and self.rollback.outcome == "verified"


Say = Callable[[str], None]


def _profile_dir() -> Any:
    from flagdeck.demo_target.options import default_profile_dir

    return default_profile_dir()


def _stop_running(target: Target, say: Say) -> None:
    holder = process.lock_holder(target.lock_file)
    if holder is not None:
        say(f"stopping the running demo target (pid {holder.pid})")
        launch.close_gracefully(holder.pid, target.lock_file, port=target.debug_port)


def start_incident(fault: str, seed_messages: int | None, say: Say, *, app_dir: Any = None) -> tuple[Target, float]:
    """Start the target with the unified path on (build env) and ``fault``; returns its Target.

    ``app_dir``: serve that build of the web app instead (the demo repository's bad release, which
    turns the unified path on itself)."""
    profile = _profile_dir()
    port = launch.free_port()
    argv = demo_target_command("--profile-dir", str(profile), "--debug-port", str(port), "--fault", fault)
    argv += ["--app-dir", str(app_dir)] if app_dir is not None else ["--env", f"VITE_{FLAG}=true"]
    if seed_messages:
        argv += ["--seed-messages", str(seed_messages)]
    if (profile / "Local Storage" / "leveldb").is_dir():
        target = resolve(TargetOptions(target="demo"))
        _stop_running(target, say)
        # A previous run left the override off: clear it, so the release's env turns the path on.
        status = flag_ops.status(replace(target, debug_port=None))
        if status.report.document.values and FLAG in status.report.document.values:
            flag_ops.write_flags(replace(target, debug_port=None), removals=[FLAG], reason="demo: reset")
    say(f"starting the demo target: unified DB path on, fault {fault}, debug port {port}")
    spec = launch.LaunchSpec(tuple(argv), port, "demo", None, {}, "flagdeck demo")
    t0 = time.monotonic()
    proc = launch.start(spec)
    try:
        from flagdeck.targets import presets

        launch.wait_ready(port, "file://", proc=proc, timeout=60, ready_js=presets.get("demo").ready_js,
                          gave_up=lambda: launch.demo_problem(profile))
    except LiveError as exc:  # a crash-on-start fault: the page never loads, the host stays up
        say(f"the page did not come up ({exc})")
    target = resolve(TargetOptions(target="demo", debug_port=port))
    return target, time.monotonic() - t0


def save_baseline(target: Target, say: Say) -> str:
    """Measure the original path (the flag off) and keep it as the baseline the trigger board
    compares the running path against; the flag is put back. A page that does not come up (the
    crash-on-start fault) gets no baseline: the board then says it could not measure."""
    from flagdeck.perf.runner import BASELINE_RUNS, measure_baseline
    from flagdeck.storage import cdp

    try:
        up = target.debug_port is not None and any(p.origin == "file://" for p in cdp.list_targets(target.debug_port))
    except FlagdeckError:
        up = False
    if not up:
        return "no baseline of the original path: the app's page did not come up"
    say(f"measuring the original path as baseline {BASELINE} ({BASELINE_RUNS} runs, flag off)...")
    t0 = time.monotonic()
    try:
        measure_baseline(target, BASELINE, flag=FLAG)
    except FlagdeckError as exc:
        return f"no baseline of the original path: {exc}"
    return f"baseline {BASELINE} of the original path saved ({BASELINE_RUNS} runs, {time.monotonic() - t0:.1f} s)"


def run_demo(*, fault: str = DEFAULT_FAULT, keep_running: bool = False, seed_messages: int | None = None,
             say: Say = print, step: Callable[[StepResult], None] | None = None) -> DemoResult:
    result = DemoResult(fault, str(_profile_dir()))
    target, result.started_seconds = start_incident(fault, seed_messages, say)
    try:
        result.baseline = save_baseline(target, say)
        say("checking the triggers...")
        result.board = check(target)
        plan = rollback_plan.prepare(target)
        say(f"rolling back ({plan.mode})...")
        result.rollback = run_rollback(plan, progress=step, note=f"flagdeck demo, fault {fault}")
    finally:
        if not keep_running:
            try:
                now = resolve(TargetOptions(target="demo"))
                _stop_running(now, say)
                result.stopped = True
            except FlagdeckError as exc:
                result.notes.append(f"could not stop the demo target: {exc}")
    return result
