"""Printing results: text for people, ``--json`` for scripts (one JSON document on stdout)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TextIO

from flagdeck.describe import table
from flagdeck.jsonable import to_jsonable

__all__ = ["emit", "print_json", "table", "to_jsonable"]


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


