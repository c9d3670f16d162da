"""Check results: pass, fail, or manual (what the target does not expose is a step for a person,
never a silent pass)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

Status = Literal["pass", "fail", "manual"]


@dataclass(frozen=True)
class CheckResult:
    id: str
    title: str
    status: Status
    detail: str = ""
    figure: float | None = None  # the measured number, when there is one
    unit: str = ""
    limit: str = ""  # the threshold in words ("< 500 ms")
    instruction: str = ""  # for manual: what a person should do
    runbook: str = ""  # the runbook line this check stands for
    data: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.status == "fail"


@dataclass(frozen=True)
class VerifyReport:
    target: str
    mode: str
    started: str
    seconds: float
    results: tuple[CheckResult, ...]
    manual_items: tuple[dict[str, Any], ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == "fail"]

    @property
    def manual(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == "manual"]

    @property
    def ok(self) -> bool:
        return not self.failed

    def result(self, check_id: str) -> CheckResult | None:
        return next((r for r in self.results if r.id == check_id), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target, "mode": self.mode, "started": self.started, "seconds": round(self.seconds, 3),
            "ok": self.ok, "failed": [r.id for r in self.failed], "manual": [r.id for r in self.manual],
            "results": [r.__dict__ for r in self.results], "manual_items": list(self.manual_items),
            "notes": list(self.notes),
        }


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
