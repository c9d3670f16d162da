"""Pre-rollback capture: the runbook's "Capture Current State" and "Preserve Evidence", into files
kept with the rollback record.

Live: screenshot, console log (replayed by ``Runtime.enable``), ``performanceMonitor`` comparisons
and ``loggerService`` logs when the page exposes them, ``Performance.getMetrics``, IndexedDB entry
counts (the no-data-loss baseline). Always: the app's own error logs from the preset's log dir.
What cannot be captured becomes a manual item with an instruction, not a silent gap.
"""

from __future__ import annotations

import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flagdeck.errors import FlagdeckError
from flagdeck.private_files import write_json
from flagdeck.probe.page import PageProbe
from flagdeck.targets.resolve import Target
from flagdeck.verify.context import PROBES, Baseline

LOG_TAIL_BYTES = 2_000_000


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
    """Copy the tails of the app's error logs (preset ``[logs]``) written in the last day."""
    preset = target.preset
    if preset is None or not preset.log_dir or target.user_data_dir is None:
        cap.manual.append("error logs: no log folder is known for this app; save them by hand")
        return
    folder = target.user_data_dir / preset.log_dir
    found = [p for pattern in preset.error_logs for p in sorted(folder.glob(pattern))] if folder.is_dir() else []
    recent = [p for p in found if time.time() - p.stat().st_mtime < since_s]
    if not recent:
        cap.counts["error_log_files"] = 0
        return
    dest = cap.folder / "logs"
    dest.mkdir(mode=0o700, exist_ok=True)
    for path in recent:
        with open(path, "rb") as src:
            size = src.seek(0, os.SEEK_END)
            src.seek(max(0, size - LOG_TAIL_BYTES))
            fd = os.open(dest / path.name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(src, out)
    cap.files["error_logs"] = "logs/"
    cap.counts["error_log_files"] = len(recent)


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
