"""Edit one member of a JSON object text and leave every other byte as it was.

The app's flag document may carry keys flagdeck does not know, odd spacing, or number spellings
(``1.0``) that a parse/serialise round trip would rewrite. Edits here replace only the value span
of the member being set, or remove only that member, so every other key stays byte-identical.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_WS = " \t\n\r"

MAX_DEPTH = 256
"""The deepest nesting of arrays/objects flagdeck reads. Python's parser (and every walk over what
it returns) recurses once a level and ends in a RecursionError a few thousand levels down, while the
app's JSON.parse takes far deeper text; no flag document needs more than a few levels."""

# A JSON string (an unterminated one runs to the end), or a bracket outside strings.
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]')


class JsonEditError(ValueError):
    """Text that is not one JSON object (message says where)."""


@dataclass(frozen=True)
class Member:
    key: str
    key_start: int
    key_end: int
    value_start: int
    value_end: int
    value: Any


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")  # JSON.parse in the app rejects NaN/Infinity


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
_scanstring: Any = json.decoder.scanstring  # type: ignore[attr-defined]


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WS:
        pos += 1
    return pos


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest in ``text`` (0 for a scalar), without parsing it: one
    regular-expression pass, no recursion, so any depth is safe to measure. Brackets inside strings
    do not count."""
    depth = deepest = 0
    for m in _STRING_OR_BRACKET.finditer(text):
        char = m.group()[0]
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def too_deep(text: str) -> bool:
    """True when ``text`` nests deeper than :data:`MAX_DEPTH` (so must not be parsed here)."""
    return ("[" in text or "{" in text) and nesting_depth(text) > MAX_DEPTH


def scan_object(text: str) -> tuple[list[Member], int, int]:
    """Members of the top-level object, and the positions of its ``{`` and ``}``.

    Raises :class:`JsonEditError` for text nested deeper than :data:`MAX_DEPTH`."""
    if too_deep(text):
        raise JsonEditError(f"nested deeper than {MAX_DEPTH} levels")
    pos = _skip_ws(text, 0)
    if pos >= len(text) or text[pos] != "{":
        raise JsonEditError("not a JSON object")
    open_pos = pos
    pos = _skip_ws(text, pos + 1)
    members: list[Member] = []
    if pos < len(text) and text[pos] == "}":
        close_pos = pos
    else:
        while True:
            if pos >= len(text) or text[pos] != '"':
                raise JsonEditError(f"expected a key at offset {pos}")
            try:
                key, key_end = _scanstring(text, pos + 1)
            except ValueError as exc:
                raise JsonEditError(str(exc)) from exc
            colon = _skip_ws(text, key_end)
            if colon >= len(text) or text[colon] != ":":
                raise JsonEditError(f"expected ':' at offset {colon}")
            value_start = _skip_ws(text, colon + 1)
            try:
                value, value_end = _DECODER.raw_decode(text, value_start)
            except ValueError as exc:
                raise JsonEditError(str(exc)) from exc
            members.append(Member(key, pos, key_end, value_start, value_end, value))
            pos = _skip_ws(text, value_end)
            if pos < len(text) and text[pos] == ",":
                pos = _skip_ws(text, pos + 1)
                continue
            if pos < len(text) and text[pos] == "}":
                close_pos = pos
                break
            raise JsonEditError(f"expected ',' or '}}' at offset {pos}")
    if _skip_ws(text, close_pos + 1) != len(text):
        raise JsonEditError(f"extra data after the object at offset {close_pos + 1}")
    return members, open_pos, close_pos


def dump_value(value: Any) -> str:
    """A value as ``JSON.stringify`` writes it (compact, non-ASCII kept)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def set_member(text: str, key: str, value: Any) -> str:
    """``text`` with ``key`` set to ``value``: every occurrence replaced, or one member appended."""
    return edit(text, [(key, value)])


def remove_member(text: str, key: str) -> str:
    """``text`` without ``key`` (every occurrence); unchanged when absent."""
    return edit(text, removals=[key])


def edit(text: str, assignments: Iterable[tuple[str, Any]] = (), removals: Iterable[str] = ()) -> str:
    """``text`` after setting every assignment in order, then removing every name in ``removals``:
    the same text :func:`set_member` and :func:`remove_member` called one by one give, in time
    linear in the text and the edits (two scans, whatever their number).

    Only the value spans of members set change, appended members take the spacing of the
    document's own first members, removed members take their separator with them; every other
    byte stays as it was.
    """
    assignments = list(assignments)
    removals = list(removals)
    if assignments:
        text = _set_all(text, assignments)
    if removals:
        text = _remove_all(text, set(removals))
    elif not assignments:
        scan_object(text)  # nothing to do, but the text must still be one object
    return text


def _set_all(text: str, assignments: list[tuple[str, Any]]) -> str:
    members, open_pos, close_pos = scan_object(text)
    final: dict[str, str] = {}  # first assignment's place, last assignment's value
    for key, value in assignments:
        final[key] = dump_value(value)
    present = {m.key for m in members}
    pieces: list[str] = []
    pos = 0
    for m in members:
        if m.key in final:
            pieces += [text[pos : m.value_start], final[m.key]]
            pos = m.value_end
    added = [key for key in final if key not in present]
    if not added:
        pieces.append(text[pos:])
        return "".join(pieces)
    if not members:  # {"a":1,"b":2} right after "{", as JSON.stringify spaces it
        body = ",".join(dump_value(key) + ":" + final[key] for key in added)
        return text[: open_pos + 1] + body + text[close_pos:]
    first, last = members[0], members[-1]
    colon = text[first.key_end : first.value_start]
    if len(members) > 1:
        separator = text[first.value_end : members[1].key_start]
    else:
        separator = "," + text[open_pos + 1 : first.key_start]
    pieces.append(text[pos : last.value_end])
    pieces += [separator + dump_value(key) + colon + final[key] for key in added]
    pieces.append(text[last.value_end :])
    return "".join(pieces)


def _remove_all(text: str, names: set[str]) -> str:
    """Every member named in ``names`` gone: a member with a kept one after it takes the text up to
    that member's key, a trailing run takes the separator before it, a lone member only itself."""
    members, _, _ = scan_object(text)
    cuts: list[tuple[int, int]] = []
    next_kept: Member | None = None
    for index in range(len(members) - 1, -1, -1):
        m = members[index]
        if m.key not in names:
            next_kept = m
            continue
        if next_kept is not None:
            cuts.append((m.key_start, next_kept.key_start))
        elif index > 0:
            cuts.append((members[index - 1].value_end, m.value_end))
        else:
            cuts.append((m.key_start, m.value_end))
    if not cuts:
        return text
    pieces: list[str] = []
    pos = 0
    for start, end in sorted(cuts):
        if start > pos:
            pieces.append(text[pos:start])
        pos = max(pos, end)
    pieces.append(text[pos:])
    return "".join(pieces)
