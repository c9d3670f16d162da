"""Pre-rollback capture: the runbook's "Capture Current State" and "Preserve Evidence", into files
kept with the rollback record.

Live: screenshot, console log (replayed by ``Runtime.enable``), ``performanceMonitor`` comparisons
and ``loggerService`` logs when the page exposes them, ``Performance.getMetrics``, IndexedDB entry
counts (the no-data-loss baseline). Always: the app's own error logs from the preset's log dir.
What cannot be captured becomes a manual item with an instruction, not a silent gap.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flagdeck.errors import FlagdeckError
from flagdeck.evidence import files as evidence_files
from flagdeck.private_files import write_bytes, write_json
from flagdeck.probe.page import PageProbe
from flagdeck.targets.resolve import Target
from flagdeck.verify.context import PROBES, Baseline


@dataclass
class Capture:
    folder: Path
    files: dict[str, str] = field(default_factory=dict)  # what → file name in folder
    baseline: Baseline = field(default_factory=Baseline)
    manual: list[str] = field(default_factory=list)  # what a person must still capture, and how
    counts: dict[str, int] = field(default_factory=dict)  # console lines, errors, log files...

    def to_json(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "files": self.files, "baseline": self.baseline.to_json(),
                "manual": self.manual, "counts": self.counts}


def capture_live(page: PageProbe, cap: Capture, *, thorough: bool = False) -> None:
    """Everything a live page gives; each part on its own so one failure does not lose the rest.

    ``thorough`` also records what the app's data path shows (slow: it loads every message)."""
    def part(name: str, fn: Any) -> None:
        try:
            fn()
        except FlagdeckError as exc:
            cap.manual.append(f"{name}: flagdeck could not capture it ({exc}); capture it by hand in DevTools")

    def shot() -> None:
        page.screenshot(cap.folder / "screenshot.png")
        cap.files["screenshot"] = "screenshot.png"

    def console() -> None:
        entries = page.console(settle=0.05)
        write_json(cap.folder / "console.json", [e.__dict__ for e in entries])
        cap.files["console"] = "console.json"
        cap.counts["console_lines"] = len(entries)
        cap.counts["console_errors"] = sum(1 for e in entries if e.level == "error")

    def performance() -> None:
        data: dict[str, Any] = {"metrics": page.metrics(), "navigation": page.navigation_timing()}
        comparisons = page.call_exposed("performanceMonitor.getAllComparisons")
        if comparisons is None:
            cap.manual.append("performance metrics: the app exposes no performanceMonitor; "
                              "export them from the app's own tooling")
        data["performanceMonitor"] = comparisons
        write_json(cap.folder / "performance.json", data)
        cap.files["performance"] = "performance.json"

    def logger() -> None:
        logs = page.call_exposed("loggerService.getLogs")
        if logs is not None:
            write_json(cap.folder / "logger.json", logs)
            cap.files["logger"] = "logger.json"
            cap.counts["logger_errors"] = sum(1 for e in logs if isinstance(e, dict) and e.get("level") == "error")

    def data_counts() -> None:
        cap.baseline.indexeddb = page.indexeddb_counts()
        if thorough and page.exposes(PROBES):
            cap.baseline.visible = page.evaluate(f"window.{PROBES}.visibleCounts()", await_promise=True)
        write_json(cap.folder / "data-counts.json", cap.baseline.to_json())
        cap.files["data_counts"] = "data-counts.json"

    parts = (("screenshot", shot), ("console log", console), ("performance", performance),
             ("logger", logger), ("data counts", data_counts))
    # One DevTools connection carries concurrent calls; the screenshot (PNG encoding) is the long
    # pole, the rest fits beside it.
    with ThreadPoolExecutor(max_workers=len(parts)) as pool:
        for future in [pool.submit(part, name, fn) for name, fn in parts]:
            future.result()


def capture_logs(target: Target, cap: Capture, *, since_s: float = 86400.0) -> None:
    """Copy the tails of the app's error logs written in the last day (the rules of the evidence
    bundle: the preset's ``[logs]`` folder, else ``logs``; the last lines, within ``since``)."""
    if evidence_files.log_dir(target) is None:
        cap.manual.append("error logs: no log folder is known for this app (the preset names none, or it does "
                          "not exist); save them by hand")
        return
    logs, notes = evidence_files.app_logs(target, datetime.now(UTC) - timedelta(seconds=since_s))
    cap.manual += [f"error logs: {n}; save it by hand" for n in notes if "unreadable" in n]
    cap.counts["error_log_files"] = len(logs)
    if not logs:
        return
    dest = cap.folder / "logs"
    dest.mkdir(mode=0o700, exist_ok=True)
    for log in logs:
        write_bytes(dest / log.name, log.text.encode("utf-8"))
    cap.files["error_logs"] = "logs/"


def capture(target: Target, folder: Path, page: PageProbe | None, *, thorough: bool = False) -> Capture:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    cap = Capture(folder)
    if page is not None:
        capture_live(page, cap, thorough=thorough)
    else:
        cap.manual.append("screenshots and console log: the app's page is not reachable live; take them "
                          "by hand (DevTools) if the app still shows the problem")
    capture_logs(target, cap)
    write_json(folder / "capture.json", cap.to_json())
    return cap
