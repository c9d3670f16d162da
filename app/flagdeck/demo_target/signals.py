"""SIGTERM/SIGINT → an orderly Qt shutdown.

Python runs signal handlers only when the interpreter gets control, which never happens while
Qt's event loop sits in C++. ``signal.set_wakeup_fd`` makes the C-level handler write the signal
number into a socket; a ``QSocketNotifier`` on the other end wakes the Qt loop, which then calls
``on_signal`` on the main thread, where deleting pages and profiles is allowed.
"""

from __future__ import annotations

import signal
import socket
from collections.abc import Callable

from PySide6.QtCore import QObject, QSocketNotifier

HANDLED = (signal.SIGTERM, signal.SIGINT) + ((signal.SIGHUP,) if hasattr(signal, "SIGHUP") else ())


class SignalWatcher(QObject):
    """Owns the socket pair; keep a reference for as long as the loop runs, ``close()`` after."""

    def __init__(self, on_signal: Callable[[int], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._on_signal = on_signal
        self._rsock, self._wsock = socket.socketpair()
        self._rsock.setblocking(False)
        self._wsock.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._wsock.fileno(), warn_on_full_buffer=False)
        for signum in HANDLED:
            signal.signal(signum, lambda *_: None)  # the wakeup fd does the work
        self._notifier = QSocketNotifier(self._rsock.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)

    def _drain(self) -> None:
        try:
            data = self._rsock.recv(64)
        except (BlockingIOError, InterruptedError):
            return
        for signum in data:
            self._on_signal(signum)

    def close(self) -> None:
        self._notifier.setEnabled(False)
        signal.set_wakeup_fd(self._previous_fd)
        for signum in HANDLED:
            signal.signal(signum, signal.SIG_DFL)
        self._rsock.close()
        self._wsock.close()
