"""Printing results: text for people, ``--json`` for scripts (one JSON document on stdout)."""

from __future__ import annotations

import dataclasses
import enum
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from flagdeck.describe import table

__all__ = ["emit", "js", "print_json", "table", "to_jsonable"]


def to_jsonable(obj: Any) -> Any:
    """Results → plain JSON values (``to_json()`` wins, then dataclass fields)."""
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


def print_json(obj: Any, out: TextIO | None = None) -> None:
    stream = out or sys.stdout
    json.dump(to_jsonable(obj), stream, ensure_ascii=False, indent=2)
    stream.write("\n")


def emit(result: Any, as_json: bool, render: Callable[[Any], str]) -> None:
    if as_json:
        print_json(result)
    else:
        text = render(result)
        if text:
            print(text)


def js(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
