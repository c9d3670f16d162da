"""What flagdeck asks of a live page over DevTools: console, screenshot, metrics, IndexedDB counts,
and whatever the app exposes (``performanceMonitor``, ``loggerService``, its flag object).

Every reader returns plain JSON-able values, or None when the page does not expose the thing, so
callers can turn "not exposed" into a manual step instead of a silent pass.
"""

from __future__ import annotations

import base64
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flagdeck.errors import LiveError
from flagdeck.storage.cdp import CDPSession
from flagdeck.storage.live_store import storage_ids


@dataclass(frozen=True)
class ConsoleEntry:
    """One console line, exception or browser log entry of the page."""

    time: float  # ms since epoch, as the page reported it
    level: str  # log | info | warning | error | debug
    text: str
    source: str  # console | exception | browser
    url: str = ""
    line: int | None = None


def _render_arg(arg: dict[str, Any]) -> str:
    if "value" in arg:
        value = arg["value"]
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if arg.get("type") == "undefined":
        return "undefined"
    preview = arg.get("preview")
    if preview and preview.get("properties") is not None:
        parts = []
        for prop in preview["properties"]:
            val = prop.get("value", "")
            parts.append(f"{prop['name']}: {json.dumps(val) if prop.get('type') == 'string' else val}")
        more = ", …" if preview.get("overflow") else ""
        open_, close = ("[", "]") if preview.get("subtype") == "array" else ("{", "}")
        return open_ + ", ".join(parts) + more + close
    return str(arg.get("description") or arg.get("unserializableValue") or arg.get("type", ""))


def console_entry(event: dict[str, Any]) -> ConsoleEntry | None:
    """A ``Runtime.consoleAPICalled`` / ``Runtime.exceptionThrown`` / ``Log.entryAdded`` event."""
    method, params = event.get("method"), event.get("params", {})
    if method == "Runtime.consoleAPICalled":
        level = {"warning": "warning", "error": "error", "assert": "error", "debug": "debug",
                 "info": "info"}.get(params.get("type", "log"), "log")
        frames = (params.get("stackTrace") or {}).get("callFrames") or [{}]
        return ConsoleEntry(float(params.get("timestamp", 0)), level,
                            " ".join(_render_arg(a) for a in params.get("args", [])), "console",
                            frames[0].get("url", ""), frames[0].get("lineNumber"))
    if method == "Runtime.exceptionThrown":
        details = params.get("exceptionDetails", {})
        text = (details.get("exception") or {}).get("description") or details.get("text", "exception")
        return ConsoleEntry(float(params.get("timestamp", 0)), "error", text, "exception",
                            details.get("url", ""), details.get("lineNumber"))
    if method == "Log.entryAdded":
        entry = params.get("entry", {})
        return ConsoleEntry(float(entry.get("timestamp", 0)), entry.get("level", "info"), entry.get("text", ""),
                            "browser", entry.get("url", ""), entry.get("lineNumber"))
    return None


CONSOLE_EVENTS = ("Runtime.consoleAPICalled", "Runtime.exceptionThrown", "Log.entryAdded")


class PageProbe:
    """Reads of one page, on a session the caller got past the debug-port gate."""

    def __init__(self, session: CDPSession, origin: str) -> None:
        self.session = session
        self.origin = origin
        self._console_on = False
        self._perf_on = False  # Performance / IndexedDB domains enabled on this session (once is enough)
        self._idb_on = False

    # --- console ------------------------------------------------------------------------------

    def start_console(self) -> None:
        """Subscribe; ``Runtime.enable`` replays what the page logged before we attached."""
        if not self._console_on:
            self.session.call("Runtime.enable")
            try:
                self.session.call("Log.enable")
            except LiveError:
                pass  # QtWebEngine builds without the Log domain still have Runtime
            self._console_on = True

    def console(self, *, settle: float = 0.2) -> list[ConsoleEntry]:
        """Every console entry seen on this session so far (after a short wait for the replay)."""
        self.start_console()
        if settle:
            time.sleep(settle)
        events = [e for m in CONSOLE_EVENTS for e in self.session.events(m)]
        entries = [c for c in (console_entry(e) for e in events) if c is not None]
        return sorted(entries, key=lambda c: c.time)

    # --- page state ---------------------------------------------------------------------------

    def screenshot_png(self, *, timeout: float = 5.0) -> bytes:
        """A PNG of the page. A page with no view (nothing renders it) never answers: LiveError.

        ``optimizeForSpeed`` (Chromium 113+) halves the encoding time; older engines refuse the
        parameter, then the plain call is made."""
        try:
            data = self.session.call("Page.captureScreenshot", format="png", optimizeForSpeed=True,
                                     timeout=timeout)["data"]
        except LiveError as exc:
            if "nvalid" not in exc.message:
                raise
            data = self.session.call("Page.captureScreenshot", format="png", timeout=timeout)["data"]
        return base64.b64decode(data)

    def screenshot(self, path: Path, *, timeout: float = 5.0) -> Path:
        """:meth:`screenshot_png` written to ``path``."""
        path.write_bytes(self.screenshot_png(timeout=timeout))
        return path

    def evaluate(self, expression: str, *, await_promise: bool = False, timeout: float | None = None) -> Any:
        return self.session.evaluate(expression, await_promise=await_promise, timeout=timeout)

    def exposes(self, path: str) -> bool:
        """Whether ``window.<path>`` exists and is a function or object (``performanceMonitor.getAllComparisons``)."""
        parts = path.split(".")
        checks = " && ".join(f"window.{'.'.join(parts[: i + 1])} != null" for i in range(len(parts)))
        return bool(self.evaluate(f"!!({checks})"))

    def call_exposed(self, path: str, *, timeout: float | None = None) -> Any:
        """``await window.<path>()`` as JSON, or None when the page has no such function."""
        if not self.exposes(path):
            return None
        return self.evaluate(f"(async () => JSON.parse(JSON.stringify(await window.{path}())))()",
                             await_promise=True, timeout=timeout)

    def metrics(self) -> dict[str, float]:
        """``Performance.getMetrics``: JS heap, DOM nodes, layout and script durations..."""
        if not self._perf_on:
            self.session.call("Performance.enable")
            self._perf_on = True
        got = self.session.call("Performance.getMetrics").get("metrics", [])
        return {m["name"]: float(m["value"]) for m in got}

    def navigation_timing(self) -> dict[str, float]:
        """Navigation and paint timings of the current load (ms from navigation start)."""
        value = self.evaluate(
            "(() => { const n = performance.getEntriesByType('navigation')[0]; const o = {};"
            " if (n) { o.domContentLoaded = n.domContentLoadedEventEnd; o.load = n.loadEventEnd;"
            " o.domInteractive = n.domInteractive; o.responseEnd = n.responseEnd; }"
            " for (const p of performance.getEntriesByType('paint')) o[p.name] = p.startTime;"
            " return o; })()")
        return {k: float(v) for k, v in (value or {}).items() if isinstance(v, int | float)}

    def alive(self, timeout: float = 5.0) -> bool:
        try:
            return self.session.evaluate("1", timeout=timeout) == 1
        except LiveError:
            return False

    # --- IndexedDB ----------------------------------------------------------------------------

    def _idb(self, method: str, **params: Any) -> dict[str, Any]:
        last: LiveError | None = None
        for sid in storage_ids(self.origin):
            key = {"securityOrigin": sid["securityOrigin"]} if "securityOrigin" in sid else {
                "storageKey": sid["storageKey"]}
            try:
                return self.session.call(method, **key, **params)
            except LiveError as exc:
                last = exc
        assert last is not None
        raise last

    def indexeddb_counts(self) -> dict[str, dict[str, int]]:
        """Entry counts of every object store of every IndexedDB database of the origin."""
        if not self._idb_on:
            self.session.call("IndexedDB.enable")
            self._idb_on = True
        out: dict[str, dict[str, int]] = {}
        for name in self._idb("IndexedDB.requestDatabaseNames").get("databaseNames", []):
            db = self._idb("IndexedDB.requestDatabase", databaseName=name)["databaseWithObjectStores"]
            stores: dict[str, int] = {}
            for store in db.get("objectStores", []):
                meta = self._idb("IndexedDB.getMetadata", databaseName=name, objectStoreName=store["name"])
                stores[store["name"]] = int(meta.get("entriesCount", 0))
            out[name] = stores
        return out

    # --- the app's flags as the page sees them ------------------------------------------------

    def page_flags(self, storage_key: str = "featureFlags") -> tuple[dict[str, Any] | None, str]:
        """The flags the running page uses, and how we know: ``window.featureFlags`` or the last
        ``[FeatureFlags] Current flags:`` console line; (None, "not exposed") otherwise."""
        value = self.evaluate("(() => { try { const f = window.featureFlags;"
                              " return f && typeof f === 'object' ? JSON.parse(JSON.stringify(f)) : null; }"
                              " catch (e) { return null; } })()")
        if isinstance(value, dict):
            return value, "window.featureFlags"
        self.console(settle=0.1)
        for event in reversed(self.session.events("Runtime.consoleAPICalled")):
            args = event.get("params", {}).get("args", [])
            if not args or "[FeatureFlags] Current flags" not in str(args[0].get("value", "")):
                continue
            if len(args) > 1:
                flags = self._object_value(args[1])
                if flags is not None:
                    return flags, "console [FeatureFlags] Current flags"
            match = _CURRENT_FLAGS.search(console_entry(event).text)  # type: ignore[union-attr]
            if match:
                return _parse_preview(match.group(1)), "console [FeatureFlags] Current flags"
        return None, "not exposed"

    def _object_value(self, arg: dict[str, Any]) -> dict[str, Any] | None:
        """The own properties of a logged object (the console keeps it alive while it is shown)."""
        if "value" in arg and isinstance(arg["value"], dict):
            return dict(arg["value"])
        object_id = arg.get("objectId")
        if not object_id:
            return None
        try:
            props = self.session.call("Runtime.getProperties", objectId=object_id, ownProperties=True)
        except LiveError:
            return None
        out: dict[str, Any] = {}
        for prop in props.get("result", []):
            value = prop.get("value") or {}
            if "value" in value:
                out[prop["name"]] = value["value"]
        return out


_CURRENT_FLAGS = re.compile(r"\[FeatureFlags\] Current flags:\s*(\{.*\})")


def _parse_preview(text: str) -> dict[str, Any]:
    """``{USE_UNIFIED_DB_SERVICE: false, X: "on"}`` (a console object preview) → dict."""
    out: dict[str, Any] = {}
    for name, raw in re.findall(r"(\w+):\s*(\"(?:[^\"\\]|\\.)*\"|[^,}]+)", text):
        raw = raw.strip()
        try:
            out[name] = json.loads(raw)
        except ValueError:
            out[name] = raw
    return out
