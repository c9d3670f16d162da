"""What a bundle takes from a running app over DevTools, page by page, all pages at once.

For each open page: a screenshot (``Page.captureScreenshot``; a page nothing renders never answers,
which becomes a note), the console and uncaught exceptions (``Runtime.enable`` replays what the
page logged before we attached), ``Network.*`` events for the capture window (turned into HAR by
``har.py``), and ``loggerService.getLogs()`` where the page exposes it.

Each page gets its own DevTools session (opened here, past the gate the caller's ``LiveStore``
went through, closed here), and all pages are captured in parallel so the export costs about one
capture window, not one per page.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from flagdeck.errors import FlagdeckError, LiveError
from flagdeck.evidence.har import NETWORK_EVENTS
from flagdeck.probe.page import ConsoleEntry, PageProbe
from flagdeck.storage.cdp import CDPSession, PageTarget

SCREENSHOT_TIMEOUT = 10.0  # a visible page answers in ~0.1 s, but a loaded machine can stall it
HIDDEN_SCREENSHOT_TIMEOUT = 1.5  # a page no view shows (minimised, view-less) usually never answers
CALL_TIMEOUT = 4.0


@dataclass
class PageCapture:
    """One page's evidence. ``screenshot`` is PNG bytes or None (``screenshot_note`` says why)."""

    id: str
    index: int
    origin: str
    url: str
    title: str
    started: float  # epoch seconds, when the capture began
    screenshot: bytes | None = None
    screenshot_note: str | None = None
    console: list[ConsoleEntry] = field(default_factory=list)
    network: list[dict[str, Any]] = field(default_factory=list)
    logger_logs: Any = None  # loggerService.getLogs() result, None when not exposed
    logger_note: str | None = None
    notes: list[str] = field(default_factory=list)


def capture_pages(
    pages: list[PageTarget],
    *,
    window: float,
    bring_to_front: bool = True,
    progress: Callable[[str, float], None] | None = None,
) -> list[PageCapture]:
    """Capture every page for ``window`` seconds; never raises for one bad page.

    Pages are attached and shot in parallel. A hidden page (a background tab, a minimised
    window) draws nothing, so its screenshot never comes: with ``bring_to_front`` such pages are
    brought to the front one at a time for their shot, and the pages that were in front are put
    back afterwards (the app's windows change for a moment, which the notes say); without it, or
    when it does not help (a page no view shows), the page gets a note instead of a picture.
    """
    if not pages:
        return []
    deadline = time.monotonic() + max(window, 0.0)
    tell = progress or (lambda step, fraction: None)
    with ThreadPoolExecutor(max_workers=min(8, len(pages)), thread_name_prefix="evidence-page") as pool:
        runs = list(pool.map(lambda item: _PageRun.attach(item[1], item[0]), enumerate(pages, 1)))
        tell("screenshots", 0.3)
        list(pool.map(lambda run: run.first_shot(try_hidden=not bring_to_front), runs))
        hidden = [r for r in runs if r.session is not None and r.cap.screenshot is None and r.hidden]
        if hidden and bring_to_front:
            tell(f"bringing {len(hidden)} hidden page(s) to the front for their screenshots", 0.5)
            for run in hidden:
                run.shot_in_front()
            for run in runs:
                if run.session is not None and not run.hidden:
                    run.front()  # what was in front before, in front again
        for run in runs:
            if run.session is not None and run.cap.screenshot is None and run.hidden and not run.cap.screenshot_note:
                run.cap.screenshot_note = ("the page is hidden (a background tab or a minimised window) and draws "
                                           "nothing" + ("" if bring_to_front else "; export without --no-focus "
                                                        "brings it to the front for its screenshot"))
        tell("console and network", 0.7)
        remaining = deadline - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)
        caps = list(pool.map(lambda run: run.finish(), runs))
    tell(f"captured {len(caps)} page(s)", 1.0)
    return caps


class _PageRun:
    """One page's capture in steps: attach, first shot, (shot in front), finish."""

    def __init__(self, cap: PageCapture, session: CDPSession | None) -> None:
        self.cap = cap
        self.session = session
        self.probe = PageProbe(session, cap.origin) if session is not None else None
        self.hidden = False

    @classmethod
    def attach(cls, page: PageTarget, index: int) -> _PageRun:
        cap = PageCapture(page.id, index, page.origin, page.url, page.title, time.time())
        try:
            session = CDPSession(page.ws_url, timeout=CALL_TIMEOUT)
        except FlagdeckError as exc:
            cap.notes.append(f"could not attach to the page: {exc}")
            cap.screenshot_note = "no DevTools session"
            return cls(cap, None)
        run = cls(cap, session)
        assert run.probe is not None
        try:
            run.probe.start_console()
        except LiveError as exc:
            cap.notes.append(f"console not available: {exc.message}")
        try:
            session.call("Network.enable", maxPostDataSize=65536)
        except LiveError as exc:
            cap.notes.append(f"network trace not available: {exc.message}")
        run.hidden = run._visibility() != "visible"
        return run

    def _visibility(self) -> str | None:
        assert self.session is not None
        try:
            return str(self.session.evaluate("document.visibilityState", timeout=CALL_TIMEOUT))
        except LiveError:
            return None

    def first_shot(self, *, try_hidden: bool) -> None:
        """Visible pages now (in parallel). A hidden page is tried briefly only when it will not be
        brought to the front: it may answer with whatever it drew last, or not at all."""
        if self.session is None:
            return
        assert self.probe is not None
        if not self.hidden or try_hidden:
            try:
                self.cap.screenshot = self.probe.screenshot_png(
                    timeout=HIDDEN_SCREENSHOT_TIMEOUT if self.hidden else SCREENSHOT_TIMEOUT)
            except LiveError as exc:
                if not self.hidden:
                    self.cap.screenshot_note = f"the page answered nothing: no view renders it [{exc.message}]"
        try:
            logs = self.probe.call_exposed("loggerService.getLogs", timeout=CALL_TIMEOUT)
            self.cap.logger_logs = logs
            if logs is None:
                self.cap.logger_note = "the page does not expose loggerService.getLogs()"
        except LiveError as exc:
            self.cap.logger_note = f"loggerService.getLogs() failed: {exc.message}"

    def front(self) -> bool:
        assert self.session is not None
        try:
            self.session.call("Page.bringToFront", timeout=CALL_TIMEOUT)
            return True
        except LiveError:
            return False

    def shot_in_front(self) -> None:
        if not self.front():
            return
        deadline = time.monotonic() + 1.0
        while not (visible := self._visibility() == "visible") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.probe is not None
        try:
            self.cap.screenshot = self.probe.screenshot_png(
                timeout=SCREENSHOT_TIMEOUT if visible else HIDDEN_SCREENSHOT_TIMEOUT)
            self.cap.notes.append("brought to the front for its screenshot (it was hidden)")
        except LiveError as exc:
            self.cap.screenshot_note = ("the page answered nothing, even brought to the front: no view renders "
                                        f"it (a view-less page cannot be captured) [{exc.message}]")

    def finish(self) -> PageCapture:
        if self.session is None or self.probe is None:
            return self.cap
        try:
            self.cap.console = self.probe.console(settle=0)
            self.cap.network = sorted((e for m in NETWORK_EVENTS for e in self.session.events(m)),
                                      key=lambda e: float(e.get("params", {}).get("timestamp", 0)))
        finally:
            self.session.close()
        return self.cap


def console_text(entries: list[ConsoleEntry]) -> str:
    """Console entries as log lines: ``time level [source] text (url:line)``."""
    from datetime import UTC, datetime

    lines = []
    for e in entries:
        when = datetime.fromtimestamp(e.time / 1000, UTC).isoformat(timespec="milliseconds") if e.time else "-"
        where = f" ({e.url}:{e.line + 1 if e.line is not None else '?'})" if e.url else ""
        lines.append(f"{when} {e.level.upper():7} [{e.source}] {e.text}{where}")
    return "\n".join(lines) + ("\n" if lines else "")
