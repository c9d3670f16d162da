"""The values of a Level-2/3 run: commands, steps, the plan and the result (also its record file,
which ``--resume`` reads back)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

StepStatus = Literal["pending", "running", "done", "failed", "skipped", "declined"]
CommandStatus = Literal["pending", "running", "done", "failed", "skipped"]
Confirm = Literal["none", "yes", "branch"]
# verified: every step done and the checks passed; unverified: done, but the app could not be
# checked; failed: a step or a check failed; stopped: not confirmed or interrupted (resumable);
# running: what the record says while the run goes on (after a crash: resumable too)
Outcome = Literal["verified", "unverified", "failed", "stopped", "planned", "running"]


@dataclass
class Command:
    argv: tuple[str, ...]
    cwd: str
    preview: bool = False  # read-only, run before the step's question (a diff to look at first)
    when_script: str | None = None  # only when package.json defines this script
    status: CommandStatus = "pending"
    exit_code: int | None = None
    seconds: float = 0.0
    output_tail: list[str] = field(default_factory=list)
    log: str | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"argv": list(self.argv), "cwd": self.cwd, "preview": self.preview, "when_script": self.when_script,
                "status": self.status, "exit_code": self.exit_code, "seconds": self.seconds,
                "output_tail": self.output_tail, "log": self.log, "note": self.note}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Command:
        return cls(tuple(str(a) for a in d.get("argv", [])), str(d.get("cwd", "")), bool(d.get("preview")),
                   d.get("when_script"), d.get("status", "pending"), d.get("exit_code"),
                   float(d.get("seconds") or 0.0), list(d.get("output_tail") or []), d.get("log"),
                   str(d.get("note") or ""))


@dataclass
class Step:
    id: str
    title: str
    commands: list[Command] = field(default_factory=list)
    action: str = ""  # what flagdeck itself does in this step (beside or instead of commands)
    confirm: Confirm = "none"
    manual: list[str] = field(default_factory=list)  # what a person does by hand here
    status: StepStatus = "pending"
    seconds: float = 0.0
    detail: str = ""
    elapsed: float = 0.0  # the run's total time when the step ended (against the budget)

    @property
    def destructive(self) -> bool:
        return self.confirm != "none"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "commands": [c.to_json() for c in self.commands],
                "action": self.action, "confirm": self.confirm, "manual": self.manual, "status": self.status,
                "seconds": self.seconds, "detail": self.detail, "elapsed": self.elapsed}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Step:
        return cls(str(d["id"]), str(d.get("title", d["id"])), [Command.from_json(c) for c in d.get("commands", [])],
                   str(d.get("action") or ""), d.get("confirm", "none"), list(d.get("manual") or []),
                   d.get("status", "pending"), float(d.get("seconds") or 0.0), str(d.get("detail") or ""),
                   float(d.get("elapsed") or 0.0))


@dataclass
class LevelPlan:
    """What a Level-2/3 run will do, every exact command included. Made without side effects."""

    level: int
    repo: str
    steps: list[Step]
    branch: str | None = None  # the branch checked out (Level 2: where the revert goes)
    head: str | None = None  # HEAD when planned
    to: str | None = None  # Level 2 --to: the last known good commit
    reverted: list[str] = field(default_factory=list)  # Level 2: "sha subject" of the commits reverted
    feature_branch: str | None = None
    main_branch: str | None = None
    remote: str | None = None
    backup_refs: list[str] = field(default_factory=list)  # Level 3: where deleted branch tips are kept
    restore_commands: list[str] = field(default_factory=list)
    artifacts: list[str] = field(default_factory=list)  # Level 3: the files that go
    expect: dict[str, Any] = field(default_factory=dict)  # the flags verification expects
    notes: list[str] = field(default_factory=list)
    budget_seconds: float = 0.0

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def to_json(self) -> dict[str, Any]:
        return {"level": self.level, "repo": self.repo, "branch": self.branch, "head": self.head, "to": self.to,
                "reverted": self.reverted, "feature_branch": self.feature_branch, "main_branch": self.main_branch,
                "remote": self.remote, "backup_refs": self.backup_refs, "restore_commands": self.restore_commands,
                "artifacts": self.artifacts, "expect": self.expect, "notes": self.notes,
                "budget_seconds": self.budget_seconds, "steps": [s.to_json() for s in self.steps]}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> LevelPlan:
        return cls(int(d["level"]), str(d["repo"]), [Step.from_json(s) for s in d.get("steps", [])],
                   d.get("branch"), d.get("head"), d.get("to"), list(d.get("reverted") or []),
                   d.get("feature_branch"), d.get("main_branch"), d.get("remote"), list(d.get("backup_refs") or []),
                   list(d.get("restore_commands") or []), list(d.get("artifacts") or []), dict(d.get("expect") or {}),
                   list(d.get("notes") or []), float(d.get("budget_seconds") or 0.0))
