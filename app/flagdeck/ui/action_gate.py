"""Who may act on the target now: one write at a time, and checks that writes wait for. Qt-free.

- A **write** (flag change, rollback, restore, backup, launch, comparison) runs alone: a second
  write asked for meanwhile is refused (:class:`Busy`), and so is a check (it would record the
  write's flip and reload as the app's failure).
- A **check** (a verification, a trigger check) is a reader the app must hold still for: a write
  asked for while one runs is accepted but *waits* until it has finished, and so does a second
  check (they run one after the other).
- Reads (status, lists, diffs) do not pass through the gate.

The waiting write holds its place: from the moment it is accepted, :attr:`writing` names it and new
checks are refused, as when it runs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Kind = Literal["write", "check"]


class Busy(Exception):
    """Refused: another write holds the target. ``str()`` is the one line a user sees."""


@dataclass
class _Waiting:
    name: str
    kind: Kind
    start: Callable[[], None]


class ActionGate:
    def __init__(self, on_change: Callable[[], None] | None = None) -> None:
        self.writer: str | None = None  # the write running, or accepted and waiting for a check
        self.checks: list[str] = []  # the check running now (one at a time)
        self._queue: deque[_Waiting] = deque()
        self._on_change = on_change or (lambda: None)

    @property
    def writing(self) -> str | None:
        """The write running (or waiting to run), if any."""
        return self.writer

    @property
    def checking(self) -> bool:
        """A check runs now."""
        return bool(self.checks)

    def waiting(self) -> list[str]:
        """Names of the actions accepted but not started yet, in the order they will start."""
        return [w.name for w in self._queue]

    def admit(self, name: str, kind: Kind, start: Callable[[], None]) -> bool:
        """Accept an action: ``start()`` is called now (True) or when the check ahead of it has
        finished (False). Raises :class:`Busy` while a write holds the target."""
        if self.writer is not None:
            raise Busy(f"{self.writer} is running; wait for it to finish")
        if kind == "write":
            self.writer = name
        if self.checks or self._queue:
            self._queue.append(_Waiting(name, kind, start))
            self._on_change()
            return False
        if kind == "check":
            self.checks.append(name)
        self._on_change()
        start()
        return True

    def release(self, name: str, kind: Kind) -> None:
        """The action ended (done, failed or cancelled): the next waiting one starts."""
        if kind == "write" and self.writer == name:
            self.writer = None
        elif kind == "check" and name in self.checks:
            self.checks.remove(name)
        self._next()
        self._on_change()

    def _next(self) -> None:
        if self.checks or not self._queue:
            return
        head = self._queue.popleft()
        if head.kind == "check":
            self.checks.append(head.name)
        head.start()
