"""What ``report.html`` tells, read from the redacted payload only: trigger boards, verifications,
rollback records, comparisons, checklist answers, the audit log — each a small value, sorted in
time, tolerant of files other parts wrote in older shapes (a missing field is just absent)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from flagdeck.storage import json_edit

_STAMP = re.compile(r"(\d{8}T\d{6})")
LEVEL_WORDS = {  # the runbook's levels, as a person reads them (the board's recommendation names the CLI)
    "level-1-now": "Critical trigger: roll back now (Level 1)",
    "level-1-within-hour": "Major trigger: roll back within the hour (Level 1)",
    "consider": "Minor trigger: consider a rollback; watch the signals",
    "none": "No rollback trigger fired",
    "level-2": "Triggers fire with the flag already off: Level 2, revert the code",
}
KIND_WORDS = {"flag-write": "flag written", "restore": "backup restored", "rollback": "rollback",
              "compare": "performance comparison", "verify": "verification", "evidence-export": "evidence exported"}


def json_of(payload: dict[str, bytes], path: str) -> Any:
    """The JSON value of a payload file, or None (missing, not JSON, or nested too deep to read)."""
    try:
        text = payload[path].decode("utf-8")
        return None if json_edit.too_deep(text) else json.loads(text)
    except (KeyError, UnicodeDecodeError, ValueError, RecursionError):
        return None


def obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def objs(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def stamp_of(path: str) -> str:
    """``20261206T162409`` in a file name as ``2026-12-06T16:24:09`` (UTC), or ""."""
    m = _STAMP.search(path)
    if not m:
        return ""
    s = m.group(1)
    return f"{s[:4]}-{s[4:6]}-{s[6:8]}T{s[9:11]}:{s[11:13]}:{s[13:15]}"


def iso(value: Any) -> str:
    """A stored time cut to seconds, comparable with :func:`stamp_of` (all UTC)."""
    return str(value or "")[:19]


@dataclass(frozen=True)
class Board:
    path: str
    at: str
    level: str
    triggers: list[dict[str, Any]]
    not_checked: list[str]

    @property
    def words(self) -> str:
        return LEVEL_WORDS.get(self.level, self.level or "not classified")


@dataclass(frozen=True)
class Verification:
    path: str
    at: str
    mode: str
    results: list[dict[str, Any]]
    failed: list[str]

    def failed_results(self) -> list[dict[str, Any]]:
        return [r for r in self.results if r.get("status") == "fail" or r.get("id") in self.failed]


@dataclass(frozen=True)
class Rollback:
    path: str
    folder: str  # rollbacks/<id>/
    data: dict[str, Any]

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    @property
    def at(self) -> str:
        return iso(self.data.get("started"))

    @property
    def level(self) -> int:
        """1 for a flag toggle (a record without its level is one), 2 or 3 for a guided runbook."""
        level = self.data.get("level")
        return level if isinstance(level, int) else 1

    @property
    def kind(self) -> str:
        return str(self.data.get("rollback_type") or "Level 1: Feature Flag Toggle")

    @property
    def steps(self) -> list[dict[str, Any]]:
        return objs(self.data.get("steps"))

    @property
    def verify(self) -> Verification | None:
        v = obj(self.data.get("verify"))
        if not v:
            return None
        return Verification(self.path, iso(v.get("started")), str(v.get("mode") or ""), objs(v.get("results")),
                            [str(f) for f in v.get("failed") or []])


@dataclass(frozen=True)
class Comparison:
    path: str
    data: dict[str, Any]
    chart: str | None  # perf/<same name>.png

    @property
    def at(self) -> str:
        return iso(self.data.get("started")) or stamp_of(self.path)


@dataclass
class Facts:
    boards: list[Board] = field(default_factory=list)  # oldest first
    verifications: list[Verification] = field(default_factory=list)  # oldest first
    rollbacks: list[Rollback] = field(default_factory=list)  # newest first
    comparisons: list[Comparison] = field(default_factory=list)  # newest first
    checklist: dict[str, dict[str, Any]] = field(default_factory=dict)
    checklist_path: str | None = None
    audit: list[dict[str, Any]] = field(default_factory=list)
    other_results: list[str] = field(default_factory=list)  # result files not shown as one of the above

    @property
    def rollback(self) -> Rollback | None:
        return self.rollbacks[0] if self.rollbacks else None

    def board_before(self, at: str) -> Board | None:
        """The newest board checked before ``at`` that fired, else the newest before it."""
        before = [b for b in self.boards if not at or b.at <= at]
        return next((b for b in reversed(before) if b.triggers), before[-1] if before else None)

    def board_after(self, at: str) -> Board | None:
        after = [b for b in self.boards if at and b.at > at]
        return after[-1] if after else None

    def failing_before(self, at: str) -> Verification | None:
        return next((v for v in reversed(self.verifications) if v.failed_results() and (not at or v.at <= at)), None)

    def verification_after(self, at: str) -> Verification | None:
        after = [v for v in self.verifications if at and v.at >= at]
        return after[-1] if after else None


def read_facts(payload: dict[str, bytes]) -> Facts:
    facts = Facts()
    for path in sorted(p for p in payload if p.startswith("verify/") and p.endswith(".json")):
        data = obj(json_of(payload, path))
        if "level" in data and "triggers" in data:
            facts.boards.append(Board(path, stamp_of(path), str(data.get("level") or ""), objs(data.get("triggers")),
                                      [str(x) for x in data.get("not_checked") or []]))
        elif isinstance(data.get("results"), list):
            facts.verifications.append(Verification(
                path, iso(data.get("started")) or stamp_of(path), str(data.get("mode") or ""),
                objs(data.get("results")), [str(f) for f in data.get("failed") or []]))
        else:
            facts.other_results.append(path)
    facts.boards.sort(key=lambda b: b.at)
    facts.verifications.sort(key=lambda v: v.at)
    for path in sorted(p for p in payload if p.startswith("rollbacks/") and p.endswith("/record.json")):
        facts.rollbacks.append(Rollback(path, path.rsplit("/", 1)[0] + "/", obj(json_of(payload, path))))
    facts.rollbacks.sort(key=lambda r: r.at, reverse=True)
    for path in sorted(p for p in payload if p.startswith("perf/") and p.endswith(".json")):
        chart = path[:-5] + ".png"
        facts.comparisons.append(Comparison(path, obj(json_of(payload, path)), chart if chart in payload else None))
    facts.comparisons.sort(key=lambda c: c.at, reverse=True)
    checklists = sorted(p for p in payload if p.startswith("checklists/") and p.endswith(".json"))
    if checklists:
        facts.checklist_path = checklists[0]
        facts.checklist = {k: obj(v) for k, v in obj(json_of(payload, checklists[0])).items()}
    facts.audit = objs(json_of(payload, "history/audit-log.json"))
    return facts
