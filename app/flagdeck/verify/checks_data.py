"""No data loss: IndexedDB entry counts before vs after (any app, over DevTools), and, where the app
has probes, what its data path returns against what is stored."""

from __future__ import annotations

from typing import Any

from flagdeck.verify.check import Check
from flagdeck.verify.context import VerifyContext
from flagdeck.verify.result import CheckResult


class NoDataLoss(Check):
    id = "data-loss"
    title = "No data loss"
    runbook = "Data loss or corruption; Confirm no data loss; Load historical messages"
    manual_instruction = "open older conversations and compare message counts with what users report"

    def check(self, ctx: VerifyContext) -> CheckResult:
        assert ctx.page is not None
        counts = ctx.page.indexeddb_counts()
        data: dict[str, Any] = {"indexeddb": counts}
        problems: list[str] = []
        before_counts = ctx.baseline.indexeddb if ctx.baseline else None
        if before_counts is not None:
            data["before"] = before_counts
            for db, stores in before_counts.items():
                for store, before in stores.items():
                    after = counts.get(db, {}).get(store, 0)
                    if after < before:
                        problems.append(f"{db}.{store}: {before} entries before, {after} now")
        if ctx.has_probes and not (ctx.fast and before_counts is not None):
            raw = ctx.probe("counts").get("stores", {})
            visible = ctx.probe("visibleCounts")
            data["visible"] = visible
            pairs = (("messages", "messages"), ("blocks", "message_blocks"), ("topics", "topics"),
                     ("agentSessions", "agent_sessions"))
            for seen_key, store in pairs:
                if seen_key in visible and store in raw and int(visible[seen_key]) < int(raw[store]):
                    problems.append(f"the app shows {visible[seen_key]} {seen_key} of {raw[store]} stored")
            if visible.get("errors"):
                problems.append(f"{visible['errors']} topics failed to load")
        if problems:
            return self.result("fail", "; ".join(problems), data=data)
        total = sum(sum(s.values()) for s in counts.values())
        if before_counts is None and not ctx.has_probes:
            return self.manual(self.manual_instruction,
                               f"{total} IndexedDB entries now; no earlier count to compare with "
                               "(a rollback captures one before it changes anything)")
        how = "entry counts kept" if before_counts is not None else "all stored data visible"
        return self.result("pass", f"{how} ({total} IndexedDB entries)", figure=float(total), unit="entries",
                           data=data)
