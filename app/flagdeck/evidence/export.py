"""``flagdeck evidence export``: collect, redact, report, bag, record — one zip per call.

Steps (``progress(step, fraction)`` is told each): collect (``collect.py``), redact every part in
two passes (rules, then known secrets verbatim across all files, see ``redact.py``), render the
report from the redacted payload alone, write the redaction report last (so it counts every mask
in the bundle), write the BagIt zip atomically (``bagit.py``), and add an ``evidence-export`` row
to the history.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flagdeck import __version__, history
from flagdeck.evidence import bagit, report
from flagdeck.evidence.collect import Collection, Part, collect
from flagdeck.jsonable import dumps, utf8
from flagdeck.redact import RedactionReport, Redactor
from flagdeck.targets.resolve import Target

DEFAULT_WINDOW = 3.0
DEFAULT_SINCE = timedelta(hours=24)
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class ExportResult:
    path: Path
    bag: str
    target: str
    mode: str
    files: int
    payload_bytes: int
    zip_bytes: int
    seconds: float
    redaction: RedactionReport
    screenshots: int
    pages: int
    history_id: int | None
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "bag": self.bag, "target": self.target, "mode": self.mode,
                "files": self.files, "payload_bytes": self.payload_bytes, "zip_bytes": self.zip_bytes,
                "seconds": round(self.seconds, 3), "redaction": self.redaction.to_json(),
                "screenshots": self.screenshots, "pages": self.pages, "history_id": self.history_id,
                "notes": self.notes}

    def summary_lines(self, first: str, last: str, indent: str = "") -> list[str]:
        """The lines the CLI and the console show after an export: a warning when not redacted,
        ``first`` (the bundle's path), the counts and the redaction headline (after ``indent``),
        the notes, then ``last``."""
        lines = [] if self.redaction.enabled else [f"WARNING: {self.redaction.headline()}"]
        lines += [first, f"{indent}{self.files} files in data/, {self.zip_bytes / 1e6:.2f} MB, {self.mode}, "
                         f"{self.pages} page(s), {self.screenshots} screenshot(s), {self.seconds:.1f} s"]
        if self.redaction.enabled:
            lines.append(f"{indent}{self.redaction.headline()}")
        lines += [f"note: {n}" for n in self.notes]
        lines.append(last)
        return lines


def bag_name(target: Target, when: datetime) -> str:
    return f"flagdeck-evidence-{target.slug}-{when.strftime('%Y%m%dT%H%M%SZ')}"


def redact_parts(parts: list[Part], redactor: Redactor) -> dict[str, bytes]:
    """Pass 1 (rules, which also learn the secrets) over every part, then pass 2 (every known secret
    verbatim) over every result, so a key found in the last file is gone from the first one too."""
    staged: list[tuple[str, str | bytes]] = []
    for part in parts:
        value: str | bytes
        if part.kind == "binary":
            value = bytes(part.value)
        elif part.kind == "text":
            value = redactor.text(str(part.value), part.path)
        elif part.kind == "entries":
            doc = dict(part.value)
            doc["entries"] = redactor.entries(doc.get("entries", []), part.path)
            value = dumps(doc, indent=1)
        elif part.kind == "har":
            value = dumps(redactor.har(part.value, part.path), indent=1)
        else:
            value = dumps(redactor.json_value(part.value, part.path), indent=1, default=str)
        staged.append((part.path, value))
    out: dict[str, bytes] = {}
    for path, value in staged:
        if isinstance(value, bytes):
            out[path] = redactor.mask_known_bytes(value, path)
        else:  # JSON has its lone surrogates escaped already; in text they show as \udXXX
            out[path] = utf8(redactor.mask_known_text(value, path))
    return out


def build_payload(parts: list[Part], redactor: Redactor, bag: str, progress: Progress | None = None
                  ) -> dict[str, bytes]:
    """Everything under ``data/``: the redacted parts, then ``report.html`` rendered from them,
    then the redaction report, last, so it counts every mask the bundle holds."""
    tell = progress or (lambda step, fraction: None)
    tell("redacting", 0.75)
    payload = redact_parts(parts, redactor)
    tell("writing the report", 0.82)
    payload["report.html"] = utf8(report.render(payload, redactor.report, bag))
    payload["redaction-report.txt"] = utf8(redactor.report.text())
    payload["redaction-report.json"] = json.dumps(redactor.report.to_json(), indent=1).encode("utf-8")
    return payload


def export(
    target: Target,
    *,
    out: Path | None = None,
    since: datetime | timedelta | None = DEFAULT_SINCE,
    window: float = DEFAULT_WINDOW,
    redact: bool = True,
    bring_to_front: bool = True,
    progress: Progress | None = None,
    argv: list[str] | None = None,
) -> ExportResult:
    """Write one evidence bundle of ``target`` to ``out`` (default: the current folder).

    ``bring_to_front``: hidden pages (background tabs) are brought to the front for their
    screenshots, then the front pages put back (see ``live_capture.capture_pages``).
    """
    tell = progress or (lambda step, fraction: None)
    start = time.monotonic()
    since_at = datetime.now(UTC) - since if isinstance(since, timedelta) else since
    coll = collect(target, window=window, since=since_at, argv=list(sys.argv if argv is None else argv),
                   bring_to_front=bring_to_front, progress=tell)
    name = bag_name(target, coll.started)
    dest = Path(out) if out is not None else Path.cwd() / f"{name}.zip"

    redactor = Redactor.for_target(target.preset, enabled=redact)
    payload = build_payload(coll.parts, redactor, name, tell)

    tell("writing the bag", 0.88)
    info = _bag_info(coll, name, redactor.report)
    ordered = sorted(payload.items(), key=lambda kv: (kv[0] != "report.html", kv[0]))
    written = bagit.write_zip(dest, name, ordered, info, total=len(ordered),
                              progress=lambda done, total: tell("writing the bag", 0.88 + 0.1 * done / total))
    history_id = history.try_record(
        "evidence-export", target, message=f"{written.files} files, {coll.mode}", artifacts=[str(dest.resolve())],
        version=coll.app_version,
        details={"bag": name, "mode": coll.mode, "redacted": redact, "masked": redactor.report.total,
                 "files": written.files, "bytes": written.zip_bytes})
    tell("done", 1.0)
    return ExportResult(
        dest, name, target.name, coll.mode, written.files, written.payload_bytes, written.zip_bytes,
        time.monotonic() - start, redactor.report, sum(1 for p in payload if p.startswith("screenshots/")),
        len(coll.pages), history_id, list(coll.notes))


def _bag_info(coll: Collection, name: str, red: RedactionReport) -> dict[str, str]:
    desc = (f"flagdeck evidence bundle for {coll.target.name} ({coll.mode}), exported "
            f"{coll.started.isoformat(timespec='seconds')} by {coll.user}@{coll.host}; open data/report.html first")
    return {
        "External-Identifier": name,
        "External-Description": desc,
        "Bag-Software-Agent": f"flagdeck {__version__}",
        "Flagdeck-Version": __version__,
        "Flagdeck-Target": coll.target.slug,
        "Flagdeck-Mode": coll.mode,
        "Flagdeck-Redaction": "on" if red.enabled else "OFF (--no-redact)",
    }
