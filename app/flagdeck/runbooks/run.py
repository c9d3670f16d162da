"""Level 2 and Level 3, run: step by step, on the record, resumable.

Each step: its guard (the repository still is what the plan saw), its preview commands (a diff to
look at), the question (destructive steps only; the branch deletion wants the branch name typed
back), its commands (output streamed line by line), then flagdeck's own action. The first failure
stops the run; the record (``<data>/rollbacks/<id>/record.json``, written after every step) keeps
where it stopped, and :func:`resume` carries on from that step after a fix. Git steps that failed
half-way skip the commands already done; build, test and deploy steps run all theirs again.

Every step is timed against the level's budget (5 min / 30 min); going over is said, not fatal.
A run that stops writes its history row (failed) and, when a step failed, a team alert; a run that
ends writes the row in its document/record step, with the evidence bundle.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flagdeck import paths
from flagdeck.errors import (
    CheckFailed,
    ExitCode,
    FlagdeckError,
    NeedsConfirmation,
    RepoNotReady,
    TargetBusy,
    UsageError,
)
from flagdeck.private_files import read_json, write_bytes
from flagdeck.rollback import record
from flagdeck.runbooks import ROLLBACK_TYPES, actions, budget_text, commands
from flagdeck.runbooks.git import Repo
from flagdeck.runbooks.model import Command, LevelPlan, Outcome, Step
from flagdeck.target_lock import target_lock
from flagdeck.targets.resolve import Target
from flagdeck.verify.context import Baseline
from flagdeck.verify.result import VerifyReport, now_iso

log = logging.getLogger("flagdeck.runbooks")

GIT_STEPS = ("revert", "branch", "artifacts")  # resumed from their first command not done
Confirmer = Callable[[Step, LevelPlan], bool]
Progress = Callable[[Step], None]
Output = Callable[[Step, str], None]


class StepFailed(FlagdeckError):
    """A step raised something that is not one of flagdeck's own errors (the OS, a bug): its one
    line to the user, its traceback to the record."""

    exit_code = ExitCode.CHECK_FAILED
    kind = "step-failed"

    def __init__(self, message: str, *, trace: str = "", exit_code: ExitCode | None = None) -> None:
        super().__init__(message)
        self.trace = trace
        self.exit_code = exit_code or self.exit_code

    def as_dict(self) -> dict[str, object]:
        return {**super().as_dict(), "traceback": self.trace} if self.trace else super().as_dict()


@dataclass
class LevelResult:
    id: str
    plan: LevelPlan
    target: Target
    started: str
    seconds: float = 0.0  # every attempt together
    outcome: Outcome = "running"
    head: str | None = None  # Level 2: HEAD after the run (the revert commit, or a later fix)
    error: FlagdeckError | None = None
    record_path: str = ""
    notes: list[str] = field(default_factory=list)
    manual: list[str] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    verify: VerifyReport | None = None
    bundle: str | None = None
    over_budget: bool = False
    baseline: dict[str, Any] | None = None
    version: str | None = None

    @property
    def level(self) -> int:
        return self.plan.level

    @property
    def steps(self) -> list[Step]:
        return self.plan.steps

    @property
    def stopped_at(self) -> Step | None:
        return next((s for s in self.plan.steps if s.status in ("failed", "declined")), None)

    def to_json(self) -> dict[str, Any]:
        plan = self.plan.to_json()
        steps = plan.pop("steps")
        return {
            "id": self.id, "level": self.level, "rollback_type": ROLLBACK_TYPES[self.level],
            "mode": f"level {self.level}", "outcome": self.outcome, "started": self.started,
            "seconds": round(self.seconds, 3), "budget_seconds": self.plan.budget_seconds,
            "over_budget": self.over_budget, "repo": self.plan.repo, "head_before": self.plan.head, "head": self.head,
            "target": {**self.target.to_json(), "slug": self.target.slug}, "steps": steps, "plan": plan,
            "verify": self.verify.to_json() if self.verify else None, "bundle": self.bundle,
            "error": self.error.as_dict() if self.error else None, "record": self.record_path,
            "notes": self.notes, "manual": self.manual, "attempts": self.attempts, "baseline": self.baseline,
            "version": self.version,
            "resume": f"flagdeck rollback --resume {self.id}" if self.outcome in ("failed", "stopped", "running")
            else None,
        }


def _failure(exc: BaseException) -> FlagdeckError:
    if isinstance(exc, FlagdeckError):
        return exc
    if isinstance(exc, KeyboardInterrupt):
        return StepFailed("interrupted (Ctrl-C)", exit_code=ExitCode.INTERRUPTED)
    trace = "".join(traceback.format_exception(exc))
    if isinstance(exc, OSError):
        where = f": {exc.filename}" if exc.filename else ""
        return StepFailed(f"{exc.strerror or exc}{where}", trace=trace, exit_code=ExitCode.UNREADABLE)
    return StepFailed(f"internal error ({type(exc).__name__}: {exc})", trace=trace)


class _Runner:
    def __init__(self, result: LevelResult, folder: Path, *, confirm: Confirmer, progress: Progress | None,
                 output: Output | None, note: str | None) -> None:
        self.result = result
        self.plan = result.plan
        self.folder = folder
        self.confirm = confirm
        self.progress = progress or (lambda s: None)
        self.output = output or (lambda s, line: None)
        self.repo = Repo(Path(self.plan.repo))
        baseline = Baseline(**result.baseline) if result.baseline else None
        self.work = actions.Work(self.plan, result.target, folder, result.id, note=note, baseline=baseline,
                                 manual=result.manual, notes=result.notes, version=result.version,
                                 bundle=result.bundle)
        self.before = result.seconds  # earlier attempts
        self.t0 = time.monotonic()
        self.history_written = False

    # --- the loop ---------------------------------------------------------------------------------

    def run(self) -> LevelResult:
        self.t0 = time.monotonic()
        attempt = {"started": now_iso(), "seconds": 0.0, "from_step": None}
        self.result.attempts.append(attempt)
        self.result.outcome, self.result.error = "running", None
        stop: BaseException | None = None
        try:
            for step in self.plan.steps:
                if step.status in ("done", "skipped"):
                    continue
                attempt["from_step"] = attempt["from_step"] or step.id
                stop = self._step(step)
                if step.status != "done" or stop is not None:
                    break
        finally:
            attempt["seconds"] = round(time.monotonic() - self.t0, 3)
            self._finish()
        if stop is not None:
            raise stop
        return self.result

    def _elapsed(self) -> float:
        return self.before + (time.monotonic() - self.t0)

    def _tell(self, step: Step) -> None:
        try:
            self.progress(step)
        except Exception:
            log.info("progress of %s failed", step.id, exc_info=True)

    def _say(self, step: Step, line: str) -> None:
        try:
            self.output(step, line)
        except Exception:
            log.info("output of %s failed", step.id, exc_info=True)

    def _step(self, step: Step) -> BaseException | None:
        """One step; returns Ctrl-C (or SystemExit) to raise once the run is recorded."""
        start = time.monotonic()
        step.status, step.detail = "running", ""
        self._tell(step)
        stop: BaseException | None = None
        try:
            self._guard(step)
            resumed = step.id in GIT_STEPS
            for cmd in step.commands:
                if cmd.preview and not (resumed and cmd.status == "done"):
                    self._command(step, cmd)
            if step.confirm != "none" and not self.confirm(step, self.plan):
                step.status = "declined"
                step.detail = "not confirmed: nothing of this step was done"
                self.result.error = NeedsConfirmation(
                    f"{step.title}: not confirmed; the run stopped before it",
                    hint=f"flagdeck rollback --resume {self.result.id} carries on from here")
            else:
                for cmd in step.commands:
                    if cmd.preview or (resumed and cmd.status in ("done", "skipped")):
                        continue
                    self._command(step, cmd)
                step.detail = self._action(step)
                step.status = "done"
        except BaseException as exc:  # every failure is recorded; Ctrl-C is raised again afterwards
            error = _failure(exc)
            if not isinstance(exc, FlagdeckError | KeyboardInterrupt):
                log.info("rollback %s, step %s: %s", self.result.id, step.id, error.as_dict().get("traceback"))
            step.status, step.detail = "failed", str(error)
            self.result.error = error
            stop = None if isinstance(exc, Exception) else exc
        step.seconds = round(time.monotonic() - start, 3)
        step.elapsed = round(self._elapsed(), 3)
        if not self.result.over_budget and step.elapsed > self.plan.budget_seconds:
            self.result.over_budget = True
            self.result.notes.append(f"over the Level {self.plan.level} budget ({budget_text(self.plan.level)}) "
                                     f"at {step.title} ({step.elapsed:.0f} s)")
        self._save()
        self._tell(step)
        return stop

    def _command(self, step: Step, cmd: Command) -> None:
        if cmd.when_script and not commands.script_defined(Path(cmd.cwd), cmd.when_script):
            cmd.status, cmd.note = "skipped", f"package.json defines no script {cmd.when_script}"
            self._say(step, f"$ {commands.display(cmd.argv)}   (skipped: {cmd.note})")
            return
        self._before_command(step, cmd)
        self._say(step, f"$ {commands.display(cmd.argv)}")
        logs = self.folder / "logs"
        logs.mkdir(mode=0o700, exist_ok=True)
        code = commands.run(cmd, lambda line: self._say(step, line), logs / f"{step.id}.log")
        if code != 0:
            raise CheckFailed(f"`{commands.display(cmd.argv)}` exited with {code}", hint=self._hint(step, cmd))

    def _hint(self, step: Step, cmd: Command) -> str:
        resume = f"fix it, then: flagdeck rollback --resume {self.result.id}"
        if step.id == "revert" and (self.repo.path / ".git" / "REVERT_HEAD").exists():
            return ("git stopped on a conflict: resolve it and run git revert --continue (or git revert --abort), "
                    f"then flagdeck rollback --resume {self.result.id}")
        return resume

    # --- guards: the repository is still what the plan saw -------------------------------------------

    def _guard(self, step: Step) -> None:
        if step.id == "revert":
            self._guard_revert(step)
        elif step.id in ("branch", "artifacts") and any(c.status == "pending" and not c.preview for c in step.commands):
            if step.id == "branch" and step.commands and not any(c.status == "done" for c in step.commands):
                self._clean()
            if step.id == "artifacts":
                if self.repo.branch() != self.plan.main_branch:
                    raise RepoNotReady(f"{self.plan.main_branch} is not checked out: the artifacts are removed there",
                                       hint=f"git checkout {self.plan.main_branch}, then resume")
                if not any(c.status == "done" for c in step.commands if not c.preview):
                    self._clean()

    def _clean(self) -> None:
        dirty = self.repo.dirty()
        if dirty:
            raise RepoNotReady(f"{self.repo.path} has uncommitted changes ({len(dirty)} files): nothing of this "
                               "step was done",
                               hint=f"commit or stash them, then flagdeck rollback --resume {self.result.id}")

    def _guard_revert(self, step: Step) -> None:
        if (self.repo.path / ".git" / "REVERT_HEAD").exists():
            raise RepoNotReady("a revert is in progress in the repository",
                               hint="resolve it and git revert --continue (or git revert --abort), then "
                                    f"flagdeck rollback --resume {self.result.id}")
        head = self.repo.head()
        if head != self.plan.head:
            later = self.repo.commits(f"{self.plan.head}..HEAD") if self.plan.head else []
            if later and self.repo.is_ancestor(str(self.plan.head), "HEAD") and all(
                    subject.startswith("Revert ") for _, _, subject in later[-max(1, len(self.plan.reverted)):]):
                for cmd in step.commands:  # finished by hand (git revert --continue): done
                    cmd.status = "done"
                self._say(step, f"the revert was finished by hand: HEAD is {head}")
                return
            raise RepoNotReady(f"HEAD moved since the plan (was {str(self.plan.head)[:10]}, now {str(head)[:10]}): "
                               "nothing was reverted", hint="plan the rollback again")
        if self.repo.branch() != self.plan.branch:
            raise RepoNotReady(f"{self.plan.branch} is no longer checked out: nothing was reverted",
                               hint=f"git checkout {self.plan.branch}, then resume")
        self._clean()

    def _before_command(self, step: Step, cmd: Command) -> None:
        """Right before a branch is deleted: it still points where the backup ref does."""
        if step.id == "branch" and cmd.argv[1:3] == ("branch", "-D"):
            kept = next((c.argv[3] for c in step.commands if c.argv[1:2] == ("update-ref",)), None)
            tip = self.repo.local_branch(cmd.argv[3])
            if kept is not None and tip != kept:
                raise RepoNotReady(f"{cmd.argv[3]} moved since the plan (now {str(tip)[:10]}, kept {kept[:10]}): "
                                   "not deleted", hint="plan the rollback again")

    # --- flagdeck's own part of each step ------------------------------------------------------------

    def _action(self, step: Step) -> str:
        w = self.work
        done = f"{len([c for c in step.commands if c.status == 'done'])} command(s) run" if step.commands else ""
        if step.id == "capture":
            return actions.capture_state(w)
        if step.id == "revert":
            self.result.head = self.repo.head()
            return f"HEAD is now {str(self.result.head)[:10]}: {self.repo.subject('HEAD')}"
        if step.id == "deploy":
            restarted = actions.restart_app(w, step)
            return "; ".join(p for p in (done, restarted) if p)
        if step.id in ("test", "verify"):
            checked = actions.verify_app(w)
            self.result.verify = w.verify
            return "; ".join(p for p in (done, checked) if p)
        if step.id == "document":
            return self._document()
        if step.id == "alert":
            return actions.alert(w, self._ending(), self.plan.steps)
        if step.id == "notify":
            return actions.alert(w, "started", self.plan.steps, event="started")
        if step.id == "export":
            return actions.export_data(w)
        if step.id == "branch":
            return (f"kept as {', '.join(self.plan.backup_refs)}; "
                    f"back with: {'; '.join(self.plan.restore_commands)}")
        if step.id == "artifacts":
            if not step.commands:
                return "nothing to remove"
            self._save_artifact_diff()
            self.result.head = self.repo.head()
            return f"removed in {str(self.result.head)[:10]}: {', '.join(self.plan.artifacts)}"
        if step.id == "record":
            return self._document(alert=True)
        if not step.commands:
            return "nothing to run: " + "; ".join(step.manual) if step.manual else "nothing to run"
        return done

    def _save_artifact_diff(self) -> None:
        diff = self.repo.ask("show", "--format=%H %s", "HEAD")
        if diff.ok:
            write_bytes(self.folder / "artifacts.diff", diff.out.encode("utf-8"))

    def _ending(self) -> str:
        """The outcome the run is heading for (its remaining steps are the record's own)."""
        return "verified" if actions.verified(self.work) else "unverified"

    def _document(self, *, alert: bool = False) -> str:
        w = self.work
        outcome = self._ending()
        if self.plan.level == 2 or self.result.head is None:
            self.result.head = self.repo.head()
        issue = actions.write_issue(w, outcome, self.result.head)
        self.result.seconds = self._elapsed()
        row = actions.history_row(w, outcome, self.plan.steps, self.result.seconds, self.result.head)
        self.history_written = True
        parts = [f"issue text {issue.name}", f"history row {row}" if row else "history row not written"]
        if self.plan.level == 2:
            self._save()  # the bundle carries this record
            parts.append(actions.bundle(w))
            self.result.bundle = w.bundle
        if alert:
            parts.append(actions.alert(w, outcome, self.plan.steps))
        return "; ".join(parts)

    # --- the end of an attempt -------------------------------------------------------------------------

    def _finish(self) -> None:
        r = self.result
        r.seconds = self._elapsed()
        r.verify = self.work.verify or r.verify
        r.version, r.bundle = self.work.version, self.work.bundle
        if self.work.baseline is not None:
            r.baseline = self.work.baseline.to_json()
        if self.plan.level == 2:
            r.head = self.repo.head() or r.head
        if all(s.status in ("done", "skipped") for s in self.plan.steps):
            r.outcome, r.error = self._ending(), None  # type: ignore[assignment]
        elif r.error is not None and r.error.kind != "needs-confirmation" and (
                r.error.exit_code != ExitCode.INTERRUPTED):
            r.outcome = "failed"
        else:
            r.outcome = "stopped"
        if r.outcome in ("failed", "stopped") and not self.history_written:
            stopped = r.stopped_at
            what = f"stopped at {stopped.title}" if stopped else "stopped"
            try:
                actions.history_row(self.work, r.outcome, self.plan.steps, r.seconds, r.head,
                                    error=f"{what}: {r.error}; resume: flagdeck rollback --resume {r.id}")
                if r.outcome == "failed":
                    actions.alert(self.work, "failed", self.plan.steps)
            except Exception:  # bookkeeping never hides the run's own failure
                log.info("rollback %s: history/alert failed", r.id, exc_info=True)
        self._save()

    def _save(self) -> None:
        self.result.record_path = str(self.folder / "record.json")
        self.result.seconds = max(self.result.seconds, self._elapsed())
        record.save(self.folder, self.result.to_json())


# --- entry points ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def _one_run_per_repo(repo: str, level: int) -> Iterator[None]:
    """One Level-2/3 run per repository at a time (another one, or a resume of the same record,
    is refused at once: exit 3)."""
    slug = "repo-" + hashlib.sha256(str(Path(repo).resolve()).encode()).hexdigest()[:12]
    try:
        with target_lock(slug, wait=0, purpose=f"rollback --level {level} in {repo}"):
            yield
    except TargetBusy as exc:
        if "another flagdeck" not in exc.message:
            raise
        raise TargetBusy(f"another Level 2/3 run works on {repo} ({exc.message.split(' is writing')[0]})",
                         hint="wait for it to end; a run that stopped carries on with --resume ID") from None


def start(plan: LevelPlan, target: Target, *, confirm: Confirmer, progress: Progress | None = None,
          output: Output | None = None, note: str | None = None) -> LevelResult:
    """Run ``plan`` as a new rollback record."""
    with _one_run_per_repo(plan.repo, plan.level):
        rid, folder = record.new_record_dir()
        result = LevelResult(rid, plan, target, now_iso())
        return _Runner(result, folder, confirm=confirm, progress=progress, output=output, note=note).run()


def load(rollback_id: str) -> dict[str, Any]:
    if not rollback_id or "/" in rollback_id or rollback_id.startswith("."):
        raise UsageError(f"not a rollback id: {rollback_id!r}")
    path = paths.data_dir() / "rollbacks" / rollback_id / "record.json"
    data = read_json(path) if path.is_file() else None
    if not isinstance(data, dict):
        raise UsageError(f"no rollback record {rollback_id}", hint="flagdeck history --kind rollback lists them")
    return data


def resume(rollback_id: str, target: Target, *, confirm: Confirmer, progress: Progress | None = None,
           output: Output | None = None, note: str | None = None) -> LevelResult:
    """Carry on a Level-2/3 run from the step where it stopped."""
    data = load(rollback_id)
    level = data.get("level")
    if level not in (2, 3):
        raise UsageError(f"rollback {rollback_id} is a Level-1 rollback: only Level 2 and 3 runs are resumed",
                         hint="run flagdeck rollback again")
    if data.get("outcome") in ("verified", "unverified"):
        raise UsageError(f"rollback {rollback_id} already ended ({data['outcome']}): nothing to resume")
    slug = (data.get("target") or {}).get("slug")
    if slug and slug != target.slug:
        name = (data.get("target") or {}).get("preset") or (data.get("target") or {}).get("name")
        raise UsageError(f"rollback {rollback_id} is of another target ({name})",
                         hint=f"name it as the run did: flagdeck --target {name} rollback --resume {rollback_id}")
    plan = LevelPlan.from_json({**data["plan"], "steps": data["steps"]})
    Repo.open(Path(plan.repo))
    result = LevelResult(str(data["id"]), plan, target, str(data.get("started") or now_iso()),
                         seconds=float(data.get("seconds") or 0.0), head=data.get("head"),
                         notes=list(data.get("notes") or []), manual=list(data.get("manual") or []),
                         attempts=list(data.get("attempts") or []), bundle=data.get("bundle"),
                         over_budget=bool(data.get("over_budget")), baseline=data.get("baseline"),
                         version=data.get("version"))
    for step in plan.steps:  # the step that stopped runs again
        if step.status in ("failed", "declined", "running"):
            step.status = "pending"
    folder = paths.data_dir() / "rollbacks" / result.id
    with _one_run_per_repo(plan.repo, plan.level):
        return _Runner(result, folder, confirm=confirm, progress=progress, output=output, note=note).run()
