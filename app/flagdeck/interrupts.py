"""Ctrl-C while flagdeck puts things back: hold the first press, let a second one through."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def held() -> Iterator[list[int]]:
    """Hold a first Ctrl-C for the block (a comparison restoring the flag, a rollback starting the
    app again and recording itself); a second press still interrupts. Yields the presses held, so
    the caller can stop afterwards. Off the main thread (the tray's workers) signals never arrive:
    nothing to hold."""
    presses: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield presses
        return

    def handler(signum: int, frame: object) -> None:
        presses.append(signum)
        if len(presses) > 1:
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield presses
    finally:
        signal.signal(signal.SIGINT, previous)
