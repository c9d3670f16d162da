"""Printing results: text for people, ``--json`` for scripts (one JSON document on stdout).

Any string the app stores can reach stdout here, lone UTF-16 surrogates included, which UTF-8
cannot encode. The JSON is built whole first (never half a document), with those written as their
``\\udXXX`` escapes (``json.loads`` gives the identical str back); text for people shows them the
same way. :func:`safe_streams` makes any other ``print`` to stdout/stderr do likewise instead of
raising.
"""

from __future__ import annotations

import codecs
import contextlib
import sys
from collections.abc import Callable
from typing import Any, TextIO

from flagdeck.describe import table
from flagdeck.jsonable import dumps, escape_surrogates, to_jsonable

__all__ = ["emit", "print_json", "safe_streams", "table", "to_jsonable", "write_line"]


def safe_streams() -> None:
    """Make stdout and stderr write what their encoding cannot hold as ``\\`` escapes (a lone
    surrogate as ``\\ud800``) instead of raising in the middle of a result. Idempotent."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and getattr(stream, "errors", None) != "backslashreplace":
            with contextlib.suppress(ValueError, OSError, AttributeError):
                reconfigure(errors="backslashreplace")


def _utf8(stream: TextIO) -> bool:
    try:
        return codecs.lookup(getattr(stream, "encoding", None) or "ascii").name == "utf-8"
    except LookupError:
        return False


def print_json(obj: Any, out: TextIO | None = None) -> None:
    """One JSON document: built whole, then written in one go; all-ASCII when the stream is not
    UTF-8 (so no escape handler ever rewrites it into invalid JSON)."""
    stream = out or sys.stdout
    if stream is None:  # started with stdout closed: nobody reads it
        return
    safe_streams()
    stream.write(dumps(to_jsonable(obj), indent=2, ensure_ascii=not _utf8(stream)) + "\n")


def write_line(text: str, out: TextIO | None = None) -> None:
    """``print(text)`` for text that may hold lone surrogates (shown as ``\\udXXX``)."""
    stream = out or sys.stdout
    if stream is None:
        return
    safe_streams()
    stream.write(escape_surrogates(text) + "\n")


def emit(result: Any, as_json: bool, render: Callable[[Any], str]) -> None:
    if as_json:
        print_json(result)
    else:
        text = render(result)
        if text:
            write_line(text)


safe_streams()  # the CLI imports this module first thing: every later print is safe too
