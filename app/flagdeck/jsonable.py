"""Result values as plain JSON values: what ``--json`` prints, evidence bundles store and the
history keeps in its details; and JSON text that any string survives.

JavaScript strings (so localStorage keys and values) may hold lone UTF-16 surrogates, which UTF-8
cannot encode: ``json.dumps(..., ensure_ascii=False).encode("utf-8")`` raises on them. :func:`dumps`
keeps every other character as it is and writes a lone surrogate as its ``\\udXXX`` escape, which
``json.loads`` turns back into the same character, so what is read back is the identical str.
(A high and a low surrogate that happen to be adjacent come back as the one astral character they
spell, which is the same JavaScript string; storage never yields them apart.)
"""

from __future__ import annotations

import dataclasses
import enum
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")


def to_jsonable(obj: Any) -> Any:
    """Results → plain JSON values (``to_json()`` wins, then dataclass fields with ``repr``)."""
    if hasattr(obj, "to_json") and callable(obj.to_json):
        return to_jsonable(obj.to_json())
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.repr}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, bytes):
        return obj.decode("latin-1")
    return obj


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def escape_surrogates(text: str) -> str:
    """``text`` with each lone surrogate written as its 6-character ``\\udXXX`` escape: valid inside a
    JSON string (where :func:`dumps` uses it), and a visible mark in text for people (as Python's
    ``backslashreplace`` prints it). Everything else is kept."""
    return _SURROGATE.sub(_escape, text) if _SURROGATE.search(text) else text


def dumps(value: Any, *, indent: int | None = None, sort_keys: bool = False,
          default: Callable[[Any], Any] | None = None, ensure_ascii: bool = False) -> str:
    """JSON text of ``value`` that encodes to UTF-8 whatever its strings hold (see the module)."""
    text = json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, sort_keys=sort_keys, default=default)
    return text if ensure_ascii else escape_surrogates(text)


def utf8(text: str) -> bytes:
    """``text`` as UTF-8 for a file a person reads (a log, a report): a lone surrogate, which UTF-8
    cannot hold, is written as its ``\\udXXX`` escape instead of failing the whole file."""
    return escape_surrogates(text).encode("utf-8")
