"""Edit one member of a JSON object text and leave every other byte as it was.

The app's flag document may carry keys flagdeck does not know, odd spacing, or number spellings
(``1.0``) that a parse/serialise round trip would rewrite. Edits here replace only the value span
of the member being set, or remove only that member, so every other key stays byte-identical.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

_WS = " \t\n\r"


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


def scan_object(text: str) -> tuple[list[Member], int, int]:
    """Members of the top-level object, and the positions of its ``{`` and ``}``."""
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
    members, open_pos, close_pos = scan_object(text)
    new_value = dump_value(value)
    hits = [m for m in members if m.key == key]
    if hits:
        out = text
        for m in reversed(hits):
            out = out[: m.value_start] + new_value + out[m.value_end :]
        return out
    if not members:
        return text[: open_pos + 1] + dump_value(key) + ":" + new_value + text[close_pos:]
    first, last = members[0], members[-1]
    colon = text[first.key_end : first.value_start]
    if len(members) > 1:
        separator = text[first.value_end : members[1].key_start]
    else:
        separator = "," + text[open_pos + 1 : first.key_start]
    addition = separator + dump_value(key) + colon + new_value
    return text[: last.value_end] + addition + text[last.value_end :]


def remove_member(text: str, key: str) -> str:
    """``text`` without ``key`` (every occurrence); unchanged when absent."""
    members, _, _ = scan_object(text)
    out = text
    for index in reversed([i for i, m in enumerate(members) if m.key == key]):
        members_now, _, _ = scan_object(out)
        m = members_now[index]
        if index + 1 < len(members_now):
            out = out[: m.key_start] + out[members_now[index + 1].key_start :]
        elif index > 0:
            out = out[: members_now[index - 1].value_end] + out[m.value_end :]
        else:
            out = out[: m.key_start] + out[m.value_end :]
    return out
