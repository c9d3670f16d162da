"""``flagdeck demo --level 2|3``: the incident on a real build of the demo's own git repository.

1. make the demo repository afresh (:mod:`demo_repo`), build its bad release and install it where
   the demo target serves it from;
2. start the demo target on that build (unified path on, the ``--fault`` of the incident);
3. Level 2: show the trigger board, try Level 1, see its verification fail (the bad build ignores
   the localStorage override), escalate: revert, build, deploy (restart), verify, document, alert.
   Level 3 (planned, not an emergency): the full rollback on the repository and its remote;
4. stop the target (unless asked to keep it). Verified only when the last level's checks passed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flagdeck.errors import CheckFailed, FlagdeckError
from flagdeck.rollback import plan as rollback_plan
from flagdeck.rollback.run import RollbackResult, StepResult
from flagdeck.rollback.run import run as run_level1
from flagdeck.runbooks import commands, demo_repo, plan, run
from flagdeck.runbooks.model import Step
from flagdeck.targets.resolve import TargetOptions, resolve
from flagdeck.triggers import TriggerBoard, check

Say = Callable[[str], None]


@dataclass
class DemoLevelResult:
    level: int
    fault: str
    repo: str
    started_seconds: float = 0.0
    board: TriggerBoard | None = None
    level1: RollbackResult | None = None
    result: run.LevelResult | None = None
    stopped: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        if self.result is None:
            return self.level1 is not None and self.level1.outcome == "verified"
        return self.result.outcome == "verified"

    def to_json(self) -> dict[str, Any]:
        return {"level": self.level, "fault": self.fault, "repo": self.repo, "ok": self.ok,
                "started_seconds": round(self.started_seconds, 3),
                "board": self.board, "level1": self.level1.to_json() if self.level1 else None,
                "result": self.result.to_json() if self.result else None, "stopped": self.stopped,
                "notes": self.notes}


def install_bad_release(repo: demo_repo.DemoRepo, say: Say) -> None:
    """Build the repository's HEAD (the bad release) and install it, with the preset's own commands."""
    from flagdeck.targets import presets

    runbook = presets.get("demo").runbook
    assert runbook is not None
    for spec in (*runbook.level2.build, *runbook.level2.deploy):
        cmd = commands.planned(spec, repo.work)
        lines: list[str] = []
        if commands.run(cmd, lines.append) != 0:
            raise CheckFailed(f"the demo's bad release did not build: {commands.display(cmd.argv)}: "
                              + " / ".join(lines[-3:]))
    say(f"demo repository {repo.work}: release 1.1.0 built and installed in {repo.app_dir}")


def run_demo_level(level: int, *, fault: str, keep_running: bool = False, seed_messages: int | None = None,
                   say: Say = print, step: Callable[[StepResult], None] | None = None,
                   progress: run.Progress | None = None, output: run.Output | None = None) -> DemoLevelResult:
    from flagdeck import demo_scenario

    repo = demo_repo.create()
    result = DemoLevelResult(level, fault, str(repo.work))
    say(f"demo repository made: {repo.work} (remote {repo.remote})")
    install_bad_release(repo, say)
    target, result.started_seconds = demo_scenario.start_incident(fault, seed_messages, say, app_dir=repo.app_dir)
    try:
        if level == 2:
            say("checking the triggers...")
            result.board = check(target)
            say("Level 1 first: the flag off, reload, verify...")
            result.level1 = run_level1(rollback_plan.prepare(target), progress=step,
                                       note=f"flagdeck demo --level 2, fault {fault}")
            if result.level1.outcome == "verified":
                say("Level 1 restored the original path: no code revert needed")
                return result
            failed = ", ".join(r.id for r in result.level1.verify.failed) if result.level1.verify else "a step"
            say(f"Level 1 did not restore the original path ({failed} failed): escalating to Level 2")
            target = resolve(TargetOptions(target="demo", debug_port=target.debug_port))
        levels_plan = plan.prepare(level, target, repo=repo.work)
        say(f"Level {level} in {repo.work}...")
        result.result = run.start(levels_plan, target, confirm=_yes, progress=progress, output=output,
                                  note=f"flagdeck demo --level {level}, fault {fault}")
    finally:
        if not keep_running:
            try:
                now = resolve(TargetOptions(target="demo"))
                demo_scenario._stop_running(now, say)
                result.stopped = True
            except FlagdeckError as exc:
                result.notes.append(f"could not stop the demo target: {exc}")
    return result


def _yes(step: Step, _plan: Any) -> bool:
    """The demo confirms its own steps (it is the demo's repository, made a moment ago)."""
    return True
