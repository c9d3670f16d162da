"""Printing results: text for people, ``--json`` for scripts (one JSON document on stdout).

Notes and errors go to stderr through :func:`say`, which never raises: a closed or full stderr
must not stop a command halfway (a rollback's progress line is not worth an unfinished rollback).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any, TextIO

from flagdeck.describe import table
from flagdeck.jsonable import to_jsonable

__all__ = ["emit", "print_json", "say", "silence", "table", "to_jsonable"]


def print_json(obj: Any, out: TextIO | None = None) -> None:
    stream = out or sys.stdout
    if stream is None:  # started with stdout closed (>&-): nobody reads it
        return
    json.dump(to_jsonable(obj), stream, ensure_ascii=False, indent=2)
    stream.write("\n")


def emit(result: Any, as_json: bool, render: Callable[[Any], str]) -> None:
    if as_json:
        print_json(result)
    else:
        text = render(result)
        if text:
            print(text)


def say(text: str) -> None:
    """One line for people on stderr; a stderr nobody reads any more is silenced, never an error."""
    try:
        print(text, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        silence(sys.stderr)


def silence(stream: TextIO | None) -> None:
    """Point ``stream``'s descriptor at the null device, so what is still buffered and whatever is
    printed later (Python flushes at exit) goes nowhere instead of raising ``BrokenPipeError``."""
    if stream is None:
        return
    try:
        fd = stream.fileno()
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, fd)
        finally:
            os.close(null)
    except (OSError, ValueError):
        pass
