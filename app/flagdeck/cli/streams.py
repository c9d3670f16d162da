"""stderr and stdout when the other end may be gone: notes that never raise, streams pointed at
the null device.

A closed or full stderr must not stop a command halfway (a rollback's progress line is not worth an
unfinished rollback); a reader that went away (``flagdeck ... | head``) gets nothing more, and
Python's flush at exit must not raise again.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO


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
