"""Health of the running app: renderer alive, error rate, memory growth, CPU."""

from __future__ import annotations

import time
from typing import Any

from flagdeck.errors import FlagdeckError
from flagdeck.probe.processes import Sampler, renderer_processes, slope_per_minute
from flagdeck.verify.check import NO_PAGE, Check
from flagdeck.verify.context import VerifyContext
from flagdeck.verify.result import CheckResult, Status

ERROR_RATE_LIMIT = 0.10  # the runbook's "> 10% error rate" major trigger
LEAK_LIMIT_MB_PER_MIN = 5.0
CPU_LIMIT_PERCENT = 50.0
RELOAD_WATCH_S = 1.0  # 0.25 s in the rollback's fast pass
BURST = 20  # message loads for the error rate (5 in the fast pass, 50 with --full)


class RendererAlive(Check):
    id = "renderer"
    title = "Renderer alive (no crash, no reload loop)"
    runbook = "Application crashes on startup"
    manual_instruction = "start the app and check it opens and stays open"
    needs_page = False
    run_last = True  # the reload-loop watch covers the time the other checks ran

    def check(self, ctx: VerifyContext) -> CheckResult:
        if ctx.page is None:
            if ctx.port_open:
                return self.result("fail", f"no page of {ctx.origin} answers: {ctx.page_error or 'gone'} "
                                   "(renderer crashed or never loaded)")
            return self.manual(NO_PAGE + self.manual_instruction, ctx.page_error or "no live page")
        if not ctx.page.alive():
            return self.result("fail", "the page does not answer (renderer hung or crashed)")
        session = ctx.page.session
        watch_s = 0.25 if ctx.fast else RELOAD_WATCH_S
        time.sleep(max(0.0, ctx.opened_at + watch_s - time.monotonic()))
        watch_s = max(watch_s, time.monotonic() - ctx.opened_at)
        navigations = [e for e in session.events("Page.frameNavigated")[ctx.navigations_at_open:]
                       if not e.get("params", {}).get("frame", {}).get("parentId")]
        crashed = session.events("Inspector.targetCrashed")
        if crashed:
            return self.result("fail", f"the renderer crashed {len(crashed)} time(s)")
        if navigations:
            return self.result("fail", f"the page reloaded by itself {len(navigations)} time(s) within "
                               f"{watch_s:.1f} s (reload loop)", figure=len(navigations))
        state = ctx.page.evaluate("document.readyState")
        boot = ctx.page.evaluate("window.__demoBoot ? window.__demoBoot.state : null")
        if boot in ("failed", "crashing"):
            return self.result("fail", f"the app's start-up says {boot}")
        return self.result("pass", f"page answers, document {state}, no reload within {watch_s:.1f} s")


class ErrorRate(Check):
    id = "error-rate"
    title = "DbService error rate (< 10 %)"
    runbook = "Intermittent message loading failures (> 10% error rate)"
    manual_instruction = "review the app's error log for DbService errors against its requests"

    def check(self, ctx: VerifyContext) -> CheckResult:
        if ctx.has_probes:
            return self._burst(ctx)
        assert ctx.page is not None
        logs = ctx.page.call_exposed("loggerService.getLogs")
        if not isinstance(logs, list):
            return self.manual(self.manual_instruction, "the app exposes neither probes nor loggerService")
        db = [e for e in logs if isinstance(e, dict) and "DbService" in str(e.get("context", ""))]
        errors = [e for e in db if e.get("level") == "error"]
        if not db:
            return self.result("pass", "loggerService holds no DbService entries", figure=0.0, unit="%")
        rate = len(errors) / len(db)
        return self._judge(rate, f"{len(errors)} errors in {len(db)} DbService log entries", {"source": "logger"})

    def _burst(self, ctx: VerifyContext) -> CheckResult:
        assert ctx.page is not None
        listed = ctx.page.evaluate("window.demoProbes.topics()", await_promise=True) or []
        # The rate of failures does not depend on topic size: the fast pass loads the small ones.
        topics = [t["id"] for t in listed][-5:] if ctx.fast else [t["id"] for t in listed][:5]
        runs = 50 if ctx.full else 5 if ctx.fast else BURST
        failures = 0
        for i in range(runs):
            topic = topics[i % len(topics)] if topics else None
            r = ctx.probe("loadTopicMessages", *([topic] if topic else []))
            failures += 1 if r.get("error") else 0  # incomplete data is the data-loss check's to judge
        rate = failures / runs
        return self._judge(rate, f"{failures} of {runs} message loads raised an error",
                           {"source": "probes", "runs": runs})

    def _judge(self, rate: float, detail: str, data: dict[str, Any]) -> CheckResult:
        status: Status = "fail" if rate > ERROR_RATE_LIMIT else "pass"
        return self.result(status, detail, figure=round(rate * 100, 1), unit="%", limit="<= 10 %", data=data)


class _Watch:
    """One sampling run shared by the memory and CPU checks (they watch the same window)."""

    def __init__(self, ctx: VerifyContext) -> None:
        self.heap: list[tuple[float, float]] = []
        self.rss: list[tuple[float, float]] = []
        self.cpu: list[float] = []
        procs = renderer_processes(ctx.app_pid) if ctx.app_pid else []
        sampler = Sampler(procs)
        window = 600.0 if ctx.full else ctx.window
        start = time.monotonic()
        session = ctx.page.session if ctx.page else None
        while True:
            now = time.monotonic() - start
            if session is not None:
                try:
                    session.call("HeapProfiler.collectGarbage")
                    used = float(session.call("Runtime.getHeapUsage")["usedSize"]) / 1e6
                    self.heap.append((now, used))
                except FlagdeckError:
                    session = None
            if procs:
                sample = sampler.sample()
                self.rss.append((now, sample.rss_mb))
                if now > 0:
                    self.cpu.append(sample.cpu_percent)
            if now >= window:
                break
            time.sleep(max(0.5, window / 10))  # each heap sample forces a GC: keep them sparse
        self.seconds = time.monotonic() - start
        self.renderers = len(procs)


def _watch(ctx: VerifyContext) -> _Watch:
    if ctx.watch_cache is None:
        ctx.watch_cache = _Watch(ctx)
    watch: _Watch = ctx.watch_cache
    return watch


class MemoryGrowth(Check):
    id = "memory"
    title = "No memory leak"
    runbook = "Memory leaks detected; No memory leaks after 10 minutes"
    manual_instruction = "watch the app's memory in a task manager for 10 minutes"
    watch = True

    def check(self, ctx: VerifyContext) -> CheckResult:
        w = _watch(ctx)
        heap_slope = slope_per_minute(w.heap)
        rss_slope = slope_per_minute(w.rss)
        data = {"window_s": round(w.seconds, 1), "heap_mb_per_min": round(heap_slope, 2),
                "renderer_rss_mb_per_min": round(rss_slope, 2), "renderers": w.renderers,
                "heap_mb": [round(v, 2) for _, v in w.heap]}
        if not w.heap and not w.rss:
            return self.manual(self.manual_instruction, "neither the JS heap nor renderer processes could be read")
        slope = heap_slope if w.heap else rss_slope
        what = "JS heap (after GC)" if w.heap else "renderer RSS"
        status: Status = "fail" if slope > LEAK_LIMIT_MB_PER_MIN else "pass"
        return self.result(status, f"{what} grows {slope:.1f} MB/min over {w.seconds:.0f} s", figure=round(slope, 2),
                           unit="MB/min", limit=f"<= {LEAK_LIMIT_MB_PER_MIN:g} MB/min", data=data)


class CpuNormal(Check):
    id = "cpu"
    title = "CPU usage normal"
    runbook = "CPU usage normal"
    manual_instruction = "check the app's CPU use in a task manager while it is idle"
    needs_page = False
    watch = True

    def check(self, ctx: VerifyContext) -> CheckResult:
        if ctx.app_pid is None:
            return self.manual(self.manual_instruction, "the app's process is not known (not running?)")
        w = _watch(ctx)
        if not w.cpu:
            return self.manual(self.manual_instruction, "no renderer process found")
        avg = sum(w.cpu) / len(w.cpu)
        status: Status = "fail" if avg > CPU_LIMIT_PERCENT else "pass"
        return self.result(status, f"renderers average {avg:.1f} % of a core over {w.seconds:.0f} s (idle)",
                           figure=round(avg, 1), unit="%", limit=f"<= {CPU_LIMIT_PERCENT:g} %",
                           data={"samples": [round(c, 1) for c in w.cpu], "renderers": w.renderers})
