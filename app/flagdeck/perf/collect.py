"""What a run records besides the workload: load and paint timings, CDP metrics, renderer CPU/RSS,
and the app's own ``performanceMonitor.getAllComparisons()`` when it has one.

Kept to a handful of DevTools round trips and one psutil pass per run, because everything here
counts as flagdeck's overhead, not the app's time.
"""

from __future__ import annotations

from typing import Any

import psutil

from flagdeck.errors import LiveError
from flagdeck.probe.page import PageProbe
from flagdeck.probe.processes import Sampler, renderer_processes

# Performance.getMetrics names → (our name, factor). Sizes are read after the workload; the
# durations are cumulative counters (seconds), so a run records how much they grew during it.
CDP_SIZES = {"JSHeapUsedSize": ("cdp.heap_mb", 1 / 1048576), "Nodes": ("cdp.dom_nodes", 1.0)}
CDP_DURATIONS = {"ScriptDuration": ("cdp.script_ms", 1000.0), "TaskDuration": ("cdp.task_ms", 1000.0)}

_PAGE_JS = """(async () => {
  const out = {nav: {}, comparisons: null, comparisonsError: null};
  const n = performance.getEntriesByType('navigation')[0];
  if (n) { out.nav.domContentLoaded = n.domContentLoadedEventEnd; out.nav.load = n.loadEventEnd;
           out.nav.domInteractive = n.domInteractive; }
  for (const p of performance.getEntriesByType('paint')) out.nav[p.name] = p.startTime;
  try {
    const pm = window.performanceMonitor;
    if (pm && typeof pm.getAllComparisons === 'function') {
      out.comparisons = JSON.parse(JSON.stringify(await pm.getAllComparisons()));
    }
  } catch (e) { out.comparisonsError = String(e && e.message || e); }
  return out;
})()"""


class Collector:
    """Per-run collection on one page; the renderer processes are found once and re-found if gone."""

    def __init__(self, page: PageProbe, owner_pid: int | None) -> None:
        self.page = page
        self.owner_pid = owner_pid
        self._procs: list[psutil.Process] = []
        self._sampler: Sampler | None = None
        self._before: dict[str, float] = {}

    def _renderers(self) -> list[psutil.Process]:
        if self.owner_pid is None:
            return []
        if not self._procs or not all(p.is_running() for p in self._procs):
            self._procs = renderer_processes(self.owner_pid)
        return self._procs

    def _metrics(self) -> dict[str, float]:
        try:
            return self.page.metrics()
        except LiveError:
            return {}  # an engine without the Performance domain still has the rest

    def start(self) -> None:
        """Call right before the workload: primes the CPU counters, notes the CDP durations."""
        procs = self._renderers()
        self._sampler = Sampler(procs) if procs else None
        self._before = self._metrics()

    def finish(self) -> tuple[dict[str, float], Any, str | None]:
        """Metrics after the workload, the raw ``getAllComparisons()`` (or None) and its error."""
        values: dict[str, float] = {}
        if self._sampler is not None:
            sample = self._sampler.sample()
            values["renderer.cpu_percent"] = sample.cpu_percent
            values["renderer.rss_mb"] = sample.rss_mb
        page = self.page.evaluate(_PAGE_JS, await_promise=True) or {}
        for name, value in (page.get("nav") or {}).items():
            if isinstance(value, int | float) and value > 0:
                values[f"nav.{name}"] = float(value)
        metrics = self._metrics()
        for cdp_name, (name, factor) in CDP_SIZES.items():
            if cdp_name in metrics:
                values[name] = metrics[cdp_name] * factor
        for cdp_name, (name, factor) in CDP_DURATIONS.items():
            if cdp_name in metrics:
                grown = metrics[cdp_name] - self._before.get(cdp_name, 0.0)
                values[name] = (grown if grown >= 0 else metrics[cdp_name]) * factor
        return values, page.get("comparisons"), page.get("comparisonsError")


def comparison_rows(raw: Any) -> list[dict[str, Any]]:
    """The app's comparisons in the runbook's shape (``[{operation, diffPct, ...}]``), best effort.

    Unknown shapes give no rows; the raw JSON is kept by the caller either way.
    """
    if isinstance(raw, dict):
        raw = raw.get("comparisons", list(raw.values()) if all(isinstance(v, dict) for v in raw.values()) else None)
    if not isinstance(raw, list):
        return []
    rows = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        name = item.get("operation") or item.get("name")
        diff = item.get("diffPct", item.get("diff_pct"))
        if isinstance(name, str) and (diff is None or isinstance(diff, int | float)):
            rows.append({"operation": name, "diff_pct": diff, "original_ms": _median_of(item.get("original")),
                         "unified_ms": _median_of(item.get("unified"))})
    return rows


def _median_of(side: Any) -> float | None:
    if isinstance(side, dict):
        for key in ("medianMs", "avgMs", "median", "avg"):
            if isinstance(side.get(key), int | float):
                return float(side[key])
    return None
