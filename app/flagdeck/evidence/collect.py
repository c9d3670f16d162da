"""Gather a bundle's parts from a target, live when its debug port is usable, offline otherwise.

The result is a :class:`Collection`: unredacted :class:`Part` values (each with the path it gets
under ``data/`` and how to redact it) and a few facts for the bag's own tag file. Everything the
report shows is in the parts (``system.json`` says what was collected: target, mode, who, when,
which logs), so the report is rendered from the redacted payload only. Redaction, the report and
the bag are later steps (``export.py``) so each can be tested on its own.

The target is opened once: the flag state, localStorage, version and live capture all come from
that one store (one snapshot offline).
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from flagdeck import access, flag_ops, history
from flagdeck.errors import FlagdeckError
from flagdeck.evidence import files, har, live_capture, sysinfo
from flagdeck.evidence.live_capture import PageCapture
from flagdeck.jsonable import to_jsonable
from flagdeck.targets.resolve import Target

PartKind = Literal["json", "text", "binary", "entries", "har"]
ProgressFn = Callable[[str, float], None]


@dataclass
class Part:
    """One payload file before redaction.

    ``json``: a JSON value; ``text``: a str; ``binary``: bytes (only known secrets are searched
    for); ``entries``: ``{"origin", ..., "entries": [(key, value)]}`` of localStorage;
    ``har``: a HAR document.
    """

    path: str
    kind: PartKind
    value: Any
    section: str  # what the report groups it under


@dataclass
class Collection:
    target: Target
    mode: str  # live | offline | busy
    started: datetime
    user: str
    host: str
    status: flag_ops.StatusResult | None
    app_version: str | None
    parts: list[Part] = field(default_factory=list)
    pages: list[PageCapture] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    logs: list[files.LogFile] = field(default_factory=list)

    def add(self, path: str, kind: PartKind, value: Any, section: str) -> None:
        # %, CR and LF are legal in a bag but percent-encoded in manifests, which some BagIt
        # tools decode wrongly: names from other parts' folders are made plain instead.
        self.parts.append(Part(re.sub(r"[%\r\n\\]", "_", path), kind, value, section))


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:60] or "x"


def _quiet(progress: ProgressFn | None) -> ProgressFn:
    return progress or (lambda step, fraction: None)


def collect(
    target: Target,
    *,
    window: float = 3.0,
    since: datetime | None = None,
    argv: list[str] | None = None,
    bring_to_front: bool = True,
    progress: ProgressFn | None = None,
) -> Collection:
    """Everything for one bundle. Live parts need the target's debug port (checked by the gate in
    ``access.open_read``); without it the bundle holds what the disk has and says so."""
    report = _quiet(progress)
    report("opening the target", 0.02)
    opened = access.open_read(target)
    coll = Collection(target, opened.mode, datetime.now(UTC), history.current_user(), socket.gethostname(),
                      None, None, notes=list(opened.notes))
    with opened.store as store:
        report("flag state", 0.06)
        try:
            coll.status = flag_ops.status_from(target, store, opened.notes)
        except FlagdeckError as exc:
            coll.notes.insert(0, f"flag state not read: {exc}")
        # Offline the gate has just found no usable port: {} keeps target_version from probing again.
        browser = _browser_info(store) if opened.mode == "live" else {}
        coll.app_version = history.target_version(target, browser_info=browser)
        _local_storage(coll, store, coll.status)
        if opened.mode == "live":
            _live(coll, store, browser, window, bring_to_front, lambda s, f: report(s, 0.1 + 0.5 * f))
        else:
            coll.notes.append("offline: no screenshots, console or network trace (the app is closed or has "
                              "no usable debug port); storage and files only")
        owner = getattr(store, "owner", None)
    report("app logs", 0.62)
    _logs(coll, since)
    report("results of other flagdeck parts", 0.66)
    _artifacts(coll)
    report("history and system info", 0.7)
    _history(coll)
    _system(coll, argv or [], owner)
    if coll.status is not None:
        coll.add("flags/status.json", "json", _status_json(coll.status), "flags")
    coll.add("notes.txt", "text", "\n".join(coll.notes) + "\n", "summary")
    return coll


def _browser_info(store: Any) -> dict[str, Any]:
    """``/json/version`` of the live app, asked once (version, HAR creator); {} when it fails."""
    from flagdeck.storage import cdp

    try:
        return dict(cdp.browser_version(store.port))
    except FlagdeckError:
        return {}


def _status_json(status: flag_ops.StatusResult) -> dict[str, Any]:
    data = to_jsonable(status)
    return data if isinstance(data, dict) else {"status": data}


def _local_storage(coll: Collection, store: Any, status: flag_ops.StatusResult | None) -> None:
    origin = status.origin if status is not None else None
    origins = [origin] if origin else ([coll.target.origin] if coll.target.origin else [])
    try:
        if not origins:
            origins = status.origins if status is not None else store.origins()
        for o in origins:
            entries = store.entries(o)
            coll.add(f"localstorage/{slug(o)}.json", "entries",
                     {"origin": o, "mode": coll.mode, "captured": datetime.now(UTC).isoformat(timespec="seconds"),
                      "storage_key": coll.target.storage_key,
                      "entries": [(e.key, e.value) for e in entries]}, "localStorage")
    except FlagdeckError as exc:
        coll.notes.append(f"localStorage backup not taken: {exc}")


def _live(coll: Collection, store: Any, browser_info: dict[str, Any], window: float, bring_to_front: bool,
          progress: ProgressFn) -> None:
    try:
        pages = store.pages(refresh=True)
    except FlagdeckError as exc:
        coll.notes.append(f"cannot list the app's pages: {exc}")
        return
    if not pages:
        coll.notes.append("live, but the app has no open page with an origin: nothing to capture")
        return
    coll.pages = live_capture.capture_pages(pages, window=window, bring_to_front=bring_to_front,
                                            progress=progress)
    name, _, ver = str(browser_info.get("Browser", "")).partition("/")
    browser = (name, ver) if name else None
    from flagdeck import __version__

    all_console = []
    for cap in coll.pages:
        base = f"{cap.index:02d}-{slug(cap.origin)}"
        if cap.screenshot is not None:
            coll.add(f"screenshots/{base}.png", "binary", cap.screenshot, "screenshots")
        else:
            coll.notes.append(f"page {cap.index} ({cap.url}): no screenshot: {cap.screenshot_note}")
        coll.add(f"console/{base}.log", "text", live_capture.console_text(cap.console), "console")
        all_console += [{"page": cap.index, "origin": cap.origin, **e.__dict__} for e in cap.console]
        if cap.logger_logs is not None:
            coll.add(f"logger/{base}.json", "json", cap.logger_logs, "logger")
        coll.notes += [f"page {cap.index} ({cap.origin}): {n}" for n in cap.notes]
    coll.add("console/console.json", "json", all_console, "console")
    pages_info = [{"index": c.index, "id": c.id, "origin": c.origin, "url": c.url, "title": c.title,
                   "screenshot": c.screenshot is not None, "screenshot_note": c.screenshot_note,
                   "console_entries": len(c.console), "network_events": len(c.network),
                   "logger": c.logger_note or "captured"} for c in coll.pages]
    coll.add("pages.json", "json", pages_info, "pages")
    doc = har.build_har({c.id: c.network for c in coll.pages},
                        [har.HarPage(c.id, c.title, c.url, c.started) for c in coll.pages],
                        creator_version=__version__, browser=browser)
    coll.add("network/trace.har", "har", doc, "network")


def _logs(coll: Collection, since: datetime | None) -> None:
    logs, notes = files.app_logs(coll.target, since)
    coll.logs = logs
    coll.notes += notes
    for log in logs:
        coll.add(f"logs/{log.name}", "text", log.text, "logs")


def _artifacts(coll: Collection) -> None:
    groups = [("perf", files.data_dir_artifacts(coll.target, "perf")),
              ("verify", files.data_dir_artifacts(coll.target, "verify")),
              ("checklists", files.data_dir_artifacts(coll.target, "checklists")),
              ("rollbacks", files.rollback_records(coll.target)),
              ("fleet", files.data_dir_artifacts(coll.target, "fleet"))]
    absent = []
    for section, found in groups:
        for art in found:
            if art.error is not None:
                coll.notes.append(f"{section}/{art.rel} unreadable: {art.error}")
                continue
            coll.add(f"{section}/{art.rel}", art.kind, art.value, section)
        if not found:
            absent.append(section)
    if absent:
        coll.notes.append(f"nothing for this target in flagdeck's data dir under: {', '.join(absent)}")


def _history(coll: Collection) -> None:
    try:
        rows = history.query(target_slug=coll.target.slug, limit=1000)
    except FlagdeckError as exc:
        coll.notes.append(f"history not read: {exc}")
        return
    coll.add("history/audit-log.json", "json", [r.to_json() for r in rows], "history")
    coll.add("history/rollback-history.md", "text", history.markdown_table(rows) + "\n", "history")


def _system(coll: Collection, argv: list[str], owner: Any) -> None:
    """``system.json``: the machine and the app's processes, and what this collection was (the
    report's summary comes from here)."""
    try:
        root = sysinfo.app_root_pid(coll.target, owner)
    except Exception:  # psutil on an exotic system: the rest of the bundle still matters
        root = None
    system = sysinfo.system_info(argv=argv, app_version=coll.app_version, root_pid=root)
    t = coll.target
    system["collected"] = {
        "user": coll.user, "host": coll.host, "mode": coll.mode,
        "started": coll.started.isoformat(timespec="seconds"),
        "seconds": round(time.time() - coll.started.timestamp(), 2),
        "target": {"name": t.name, "slug": t.slug, "storage": str(t.leveldb_dir), "storage_key": t.storage_key,
                   "origin": t.origin, "debug_port": t.debug_port},
        "logs": [{"file": lg.name, "lines": lg.lines, "tail_limited": lg.truncated,
                  "lines_before_since": lg.dropped_old} for lg in coll.logs],
    }
    coll.add("system.json", "json", system, "system")
