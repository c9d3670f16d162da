"""The flag itself: stored as expected, and the running page really uses it."""

from __future__ import annotations

from typing import Any

from flagdeck.storage.flags import FlagDocument, evaluate, js_repr, js_truthy
from flagdeck.verify.check import Check
from flagdeck.verify.context import VerifyContext
from flagdeck.verify.result import CheckResult


class FlagEffective(Check):
    id = "flag"
    title = "Flag read back and effective"
    runbook = "Level 1: set feature flag to false, reload application"
    manual_instruction = ("reload the app, open DevTools and check the console line "
                          "'[FeatureFlags] Current flags:' shows the expected values")
    needs_page = False

    def check(self, ctx: VerifyContext) -> CheckResult:
        key = ctx.target.storage_key
        raw = ctx.store.get(ctx.origin, key) if ctx.origin else None
        report = evaluate(FlagDocument.parse(raw), ctx.target.catalogue)
        stored = {f.name: f.effective for f in report.flags}
        data: dict[str, Any] = {"stored_raw": raw, "stored": stored}
        problems = []
        for name, want in ctx.expect.items():
            have = stored.get(name, (report.document.values or {}).get(name))
            if js_truthy(have) != js_truthy(want):
                problems.append(f"{name} is stored as {js_repr(have)}, expected {js_repr(want)}")
        if problems:
            return self.result("fail", "; ".join(problems), data=data)
        if ctx.page is None:
            return self.manual(self.manual_instruction,
                               f"stored as expected ({_summary(stored)}); the running page is not reachable")
        page_flags, source = ctx.page.page_flags(key)
        data.update(page=page_flags, page_source=source)
        if page_flags is None:
            return self.manual(self.manual_instruction,
                               f"stored as expected ({_summary(stored)}); the page does not expose its flags")
        # A stored override beats every other layer, so the page must run with it; flags not
        # stored come from the app's defaults or its build-time env, which only the page knows.
        overrides = {f.name: f.effective for f in report.flags if f.stored}
        stale = [f"{n}: page {js_repr(page_flags.get(n))}, stored {js_repr(v)}" for n, v in overrides.items()
                 if n in page_flags and js_truthy(page_flags.get(n)) != js_truthy(v)]
        wrong = [f"{n}: page {js_repr(page_flags.get(n))}, expected {js_repr(v)}" for n, v in ctx.expect.items()
                 if n in page_flags and js_truthy(page_flags.get(n)) != js_truthy(v)]
        if stale or wrong:
            return self.result("fail", "the page runs with other values (reload pending?): "
                               + "; ".join(stale + wrong), data=data)
        shown = {n: page_flags.get(n) for n in stored if n in page_flags}
        return self.result("pass", f"page runs with {_summary(shown)} (from {source}); "
                           f"stored overrides: {_summary(overrides)}", data=data)


def _summary(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={js_repr(v)}" for k, v in values.items()) or "no flags"
