"""The shape of a check: an id, a title, the runbook line it stands for, and ``run(ctx)``.

A check that needs something the target does not give (a live page, the app's probes) returns a
*manual* result with an instruction for a person; it never passes by default.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, ClassVar

from flagdeck.errors import FlagdeckError
from flagdeck.verify.context import VerifyContext
from flagdeck.verify.result import CheckResult, Status

NO_PAGE = ("start the app with a debug port (flagdeck launch) so flagdeck can check it live, "
           "or check it by hand: ")


class Check:
    id: ClassVar[str]
    title: ClassVar[str]
    runbook: ClassVar[str] = ""
    manual_instruction: ClassVar[str] = ""  # what a person does when flagdeck cannot
    needs_page: ClassVar[bool] = True
    needs_probes: ClassVar[bool] = False
    watch: ClassVar[bool] = False  # observes over a time window (memory, CPU)
    run_last: ClassVar[bool] = False  # observes what happened while the others ran

    def run(self, ctx: VerifyContext) -> CheckResult:
        start = time.monotonic()
        if self.needs_page and ctx.page is None:
            result = self.manual(NO_PAGE + self.manual_instruction, ctx.page_error or "no live page")
        elif self.needs_probes and not ctx.has_probes:
            result = self.manual(self.manual_instruction, "the app exposes no probes for this")
        else:
            try:
                result = self.check(ctx)
            except FlagdeckError as exc:
                result = self.result("fail", f"could not check: {exc}")
        return dataclasses.replace(result, seconds=round(time.monotonic() - start, 3))

    def check(self, ctx: VerifyContext) -> CheckResult:
        raise NotImplementedError

    def result(self, status: Status, detail: str, *, figure: float | None = None, unit: str = "",
               limit: str = "", data: dict[str, Any] | None = None, instruction: str = "") -> CheckResult:
        return CheckResult(self.id, self.title, status, detail, figure, unit, limit, instruction, self.runbook,
                           data or {})

    def manual(self, instruction: str, why: str) -> CheckResult:
        return self.result("manual", why, instruction=instruction)
