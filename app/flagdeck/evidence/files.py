"""Files a bundle picks up from disk: the app's own logs, and what other flagdeck parts left in
the data dir (performance results, verification and checklist results, rollback records).

Logs are tail-limited (last :data:`MAX_LINES` lines and :data:`MAX_BYTES` per file) and cut to
``--since``: whole files older than it are skipped, and lines whose leading timestamp is older
are dropped. Other parts' files are read once, as they are (JSON and HAR parsed); a JSON file that
names another target (``target_slug``/``slug``/``target``) or holds another target's slug in its
name is left out, so a bundle holds only its target's results.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from flagdeck import paths
from flagdeck.storage import json_edit
from flagdeck.targets.presets import expand

MAX_LINES = 2000
MAX_BYTES = 2 * 1024 * 1024
MAX_ARTIFACT_BYTES = 20 * 1024 * 1024
MAX_ROLLBACKS = 20
ARTIFACT_SUFFIXES = (".json", ".csv", ".png", ".svg", ".txt", ".md", ".log", ".har", ".html")
_STAMP = re.compile(r"^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)")


@dataclass(frozen=True)
class LogFile:
    name: str  # file name in the log dir
    source: Path
    text: str
    lines: int
    truncated: bool  # the tail limit cut earlier lines
    dropped_old: int  # lines before --since


def log_dir(target: Any) -> Path | None:
    """The app's log folder: the preset's ``[logs] dir`` (relative to the profile), else ``logs``."""
    base = target.user_data_dir
    preset = target.preset
    rel = preset.log_dir if preset is not None and preset.log_dir else "logs"
    path = expand(rel)
    if not path.is_absolute():
        if base is None:
            return None
        path = Path(base) / path
    return path if path.is_dir() else None


def log_patterns(target: Any) -> list[str]:
    preset = target.preset
    if preset is None:
        return ["*error*.log"]
    return list(dict.fromkeys([*preset.error_logs])) or ["*error*.log"]


def _line_time(line: str) -> datetime | None:
    m = _STAMP.match(line)
    if not m:
        return None
    text = m.group(1).replace(",", ".").replace(" ", "T")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.astimezone()  # naive stamps are the app's local time


def tail(path: Path, *, since: datetime | None, max_lines: int | None = None, max_bytes: int | None = None
         ) -> LogFile:
    """The last lines of a log, within ``since``; reads at most ``max_bytes`` from the end
    (defaults: the module's ``MAX_LINES`` / ``MAX_BYTES`` at call time)."""
    max_lines = MAX_LINES if max_lines is None else max_lines
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    size = path.stat().st_size
    with open(path, "rb") as fh:
        if size > max_bytes:
            fh.seek(size - max_bytes)
        data = fh.read(max_bytes)
    cut = size > max_bytes
    text = data.decode("utf-8", errors="replace")
    lines = text.splitlines()
    if cut and lines:
        lines = lines[1:]  # the first line is a partial one
    if len(lines) > max_lines:
        lines = lines[-max_lines:]
        cut = True
    dropped = 0
    if since is not None:
        kept: list[str] = []
        keep = True
        for line in lines:
            when = _line_time(line)
            if when is not None:
                keep = when >= since
            if keep:
                kept.append(line)
            else:
                dropped += 1
        lines = kept
    return LogFile(path.name, path, "\n".join(lines) + ("\n" if lines else ""), len(lines), cut, dropped)


def app_logs(target: Any, since: datetime | None) -> tuple[list[LogFile], list[str]]:
    """The target's error logs, tail-limited and within ``since``; and notes on what was skipped."""
    folder = log_dir(target)
    if folder is None:
        return [], ["no log folder for this target (the preset names none, or it does not exist)"]
    notes: list[str] = []
    found: dict[Path, None] = {}
    for pattern in log_patterns(target):
        for path in sorted(folder.glob(pattern)):
            if path.is_file():
                found[path] = None
    out: list[LogFile] = []
    for path in found:
        try:
            mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            if since is not None and mtime < since:
                notes.append(f"log {path.name} skipped: last written {mtime:%Y-%m-%d %H:%M} UTC, before --since")
                continue
            out.append(tail(path, since=since))
        except OSError as exc:
            notes.append(f"log {path.name} unreadable: {exc.strerror or exc}")
    if not found:
        notes.append(f"no error logs in {folder} (looked for {', '.join(log_patterns(target))})")
    return out, notes


# --- other flagdeck parts' results -----------------------------------------------------------------


ArtifactKind = Literal["json", "har", "text", "binary"]


@dataclass(frozen=True)
class Artifact:
    """One file another flagdeck part left, read once: ``kind``/``value`` as a bundle part takes
    it (a JSON value, a HAR document, text, bytes), or ``error`` when it could not be read."""

    rel: str  # path inside the part's folder
    path: Path
    kind: ArtifactKind = "binary"
    value: Any = None
    error: str | None = None


def read_artifact(rel: str, path: Path) -> Artifact:
    """``.png`` as bytes; ``.json`` and ``.har`` parsed (a HAR object as ``har``, so its
    credential headers and cookies are redacted as HAR); other UTF-8 files as text."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Artifact(rel, path, error=str(exc.strerror or exc))
    suffix = path.suffix.lower()
    if suffix == ".png":
        return Artifact(rel, path, "binary", data)
    if suffix in (".json", ".har"):
        try:
            text = data.decode("utf-8")
            if json_edit.too_deep(text):  # kept as text: parsing and redacting it would recurse too deep
                raise ValueError("nested too deep")
            value = json.loads(text)
        except (UnicodeDecodeError, ValueError):
            pass
        else:
            return Artifact(rel, path, "har" if suffix == ".har" and isinstance(value, dict) else "json", value)
    try:
        return Artifact(rel, path, "text", data.decode("utf-8"))
    except UnicodeDecodeError:
        return Artifact(rel, path, "binary", data)


_SLUG_IN_NAME = re.compile(r"[A-Za-z0-9._-]+-(?=[0-9]*[a-f])[0-9a-f]{10}(?![0-9A-Za-z])")


def _name_of_other_target(path: Path, target: Any) -> bool:
    """The file's name holds another target's slug (``<name>-<10 hex>``, as
    ``verify/<stamp>-<slug>.json`` and ``checklists/<slug>.json`` are named)."""
    return target.slug not in path.name and _SLUG_IN_NAME.search(path.stem) is not None


def _json_of_other_target(art: Artifact, target: Any) -> bool:
    """A ``.json`` file whose object names another target (``target_slug``/``slug``/``target``)."""
    if art.path.suffix != ".json" or art.kind != "json" or not isinstance(art.value, dict):
        return False
    for key in ("target_slug", "slug", "target"):
        value = art.value.get(key)
        if isinstance(value, dict):
            value = value.get("slug") or value.get("name")
        if isinstance(value, str) and value:
            return value not in (target.slug, target.name, getattr(target.preset, "name", None))
    return False


def _files_under(root: Path, target: Any) -> list[Artifact]:
    """Files of ``root`` for ``target``: its ``<slug>/`` subfolder when there is one, else all but
    those of another target (by name, or by what the JSON says)."""
    own = root / target.slug
    base = own if own.is_dir() else root
    found = []
    for path in sorted(base.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in ARTIFACT_SUFFIXES:
            continue
        if path.stat().st_size > MAX_ARTIFACT_BYTES or path.name.startswith("."):
            continue
        if base is root and _name_of_other_target(path, target):
            continue
        art = read_artifact(path.relative_to(base).as_posix(), path)
        if base is root and _json_of_other_target(art, target):
            continue
        found.append(art)
    return found


def data_dir_artifacts(target: Any, sub: str) -> list[Artifact]:
    """What other parts left for ``target`` in ``<data dir>/<sub>`` (perf, verify, checklists)."""
    root = paths.data_dir() / sub
    if not root.is_dir():
        return []
    return _files_under(root, target)


def rollback_records(target: Any) -> list[Artifact]:
    """``rollbacks/<id>/record.json`` and the capture files beside it, for ``target``: the newest
    :data:`MAX_ROLLBACKS` records (by their ``record.json`` time), each read once."""
    root = paths.data_dir() / "rollbacks"
    if not root.is_dir():
        return []
    stamped = [((d / "record.json").stat().st_mtime, d) for d in root.iterdir() if (d / "record.json").is_file()]
    out: list[Artifact] = []
    kept = 0
    for _, d in sorted(stamped, key=lambda item: item[0], reverse=True):
        if kept == MAX_ROLLBACKS:
            break
        record = read_artifact(f"{d.name}/record.json", d / "record.json")
        if _json_of_other_target(record, target):
            continue
        kept += 1
        for path in sorted(d.rglob("*")):
            if path.is_file() and path.stat().st_size <= MAX_ARTIFACT_BYTES:
                rel = f"{d.name}/{path.relative_to(d).as_posix()}"
                out.append(record if rel == record.rel else read_artifact(rel, path))
    return out
