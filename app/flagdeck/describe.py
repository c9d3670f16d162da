"""Plain-text descriptions of results that the CLI prints and the console shows the same way."""

from __future__ import annotations

from typing import Any

from flagdeck.storage.flags import js_repr, name_text

ABSENT = "(absent)"


def table(rows: list[list[str]], headers: list[str]) -> str:
    """Left-aligned columns with a rule under the headers."""
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]

    def line(cells: list[str]) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=False)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def short(text: str | None, width: int) -> str:
    """``text`` cut to ``width`` characters (an ellipsis marks the cut); ``(absent)`` for None."""
    if text is None:
        return ABSENT
    return text if len(text) <= width else text[: width - 1] + "…"


def side(value: Any, present: bool) -> str:
    """One side of a change: the value as JSON, or ``(absent)``."""
    return js_repr(value) if present else ABSENT


def change_text(change: Any, *, arrow: str = "->") -> str:
    """A ``flag_ops.Change``: ``FLAG: before -> after`` with ``(absent)`` for a missing side."""
    before, after = side(change.before, change.before_present), side(change.after, change.after_present)
    return f"{name_text(change.flag)}: {before} {arrow} {after}"


def diff_text(diff: Any, *, arrow: str = "->") -> str:
    """A ``flag_ops.DiffResult``: flags backup vs now, then only the names of other changed keys
    (their values may be secrets)."""
    created = diff.backup.created[:19].replace("T", " ")
    lines = [f"backup {diff.backup.id} ({created}) {arrow} now ({diff.mode}), origin {diff.backup.origin}"]
    if not diff.flag_changes:
        lines.append(f"{diff.backup.storage_key}: unchanged")
    for c in diff.flag_changes:
        before, after = side(c.before, c.before_present), side(c.after, c.after_present)
        lines.append(f"  {name_text(c.flag)}: {before} (backup) {arrow} {after} (now)")  # which side is which
    e = diff.entries
    if e.added or e.removed or e.changed:
        lines.append(f"other entries: {len(e.changed)} changed, {len(e.added)} added, {len(e.removed)} removed "
                     "since the backup (values not shown)")
        for label, keys in (("changed", e.changed), ("added", e.added), ("removed", e.removed)):
            if keys:
                names = ", ".join(name_text(k) for k in keys[:20])
                lines.append(f"  {label}: {names}{' …' if len(keys) > 20 else ''}")
    else:
        lines.append("other entries: unchanged")
    return "\n".join(lines)
