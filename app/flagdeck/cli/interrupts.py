"""Ctrl-C in the ``flagdeck`` process: one line, ``flagdeck: interrupted``, and exit 130, at any moment.

While modules load and once the command has ended nothing is half-done, so a Ctrl-C ends the
process at once (:func:`exit_now`). While a command runs it raises ``KeyboardInterrupt`` instead, so
``with`` blocks release locks, close databases and remove snapshots on the way out (a LevelDB write
is one batch: it happened or it did not); the first Ctrl-C arms :func:`exit_now` for the next one,
so a second Ctrl-C during that clean-up, or while the message is printed, ends the same way.

Stdlib only and imported before anything else (``flagdeck.__main__``): importing it must be quick.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any

MESSAGE = b"flagdeck: interrupted\n"
EXIT_CODE = 130  # errors.ExitCode.INTERRUPTED (not imported: this module loads before everything)

Handler = Callable[[int, Any], Any] | int | None


def exit_now(signum: int, frame: Any) -> None:
    """End the process at once: the message on stderr, exit 130 (no clean-up runs, none is pending)."""
    try:
        os.write(2, MESSAGE)
    except OSError:
        pass
    os._exit(EXIT_CODE)


def _raise_once(signum: int, frame: Any) -> None:
    install(exit_now)
    raise KeyboardInterrupt


def install(handler: Handler) -> Handler:
    """Make ``handler`` the SIGINT handler; returns the previous one (None when it cannot be set:
    not the main thread, or SIGINT ignored by whoever started us, as a shell does for ``cmd &``)."""
    try:
        previous = signal.getsignal(signal.SIGINT)
        if previous == signal.SIG_IGN or handler is None:
            return None
        signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread
        return None
    return previous


def ignore() -> None:
    """From now on a Ctrl-C does nothing (the interpreter's own teardown: the command has ended)."""
    install(signal.SIG_IGN)


def while_loading() -> Handler:
    """Before the command's modules load: a Ctrl-C ends the process at once."""
    return install(exit_now)


def while_running() -> Handler:
    """While a command runs: a Ctrl-C raises ``KeyboardInterrupt`` (once; the next ends at once)."""
    return install(_raise_once)
