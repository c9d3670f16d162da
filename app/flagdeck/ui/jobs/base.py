"""The job every action of the UI is: its kind for the action gate, its prepare / run / result."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from flagdeck.targets.resolve import Target
from flagdeck.ui.workers import Task

if TYPE_CHECKING:
    from flagdeck.ui.session import TargetSession

JobKind = Literal["read", "write", "check"]


class Job:
    """One action on the session's target.

    ``kind``: ``write`` runs alone, ``check`` is a reader writes wait for (``action_gate.py``),
    ``read`` passes by the gate. ``logged``: a row on the Log page (background reads are not).
    ``needs_target``: ``run`` gets the target resolved on the worker, fresh (a relaunched app's new
    debug port is used), else None. ``on_done`` / ``on_error``: what the view that asked wants
    after ``result`` / ``failed``.
    """

    kind: ClassVar[JobKind] = "read"
    title: ClassVar[str] = ""  # notification title prefix when refused ("… not started")

    def __init__(self, session: TargetSession, name: str, *, source: str = "console", logged: bool = True,
                 needs_target: bool = True, on_done: Callable[[Any], None] | None = None,
                 on_error: Callable[[BaseException], None] | None = None,
                 on_progress: Callable[[Any], None] | None = None) -> None:
        self.session = session
        self.name = name
        self.source = source
        self.logged = logged
        self.needs_target = needs_target
        self.on_done = on_done
        self.on_error = on_error
        self.on_progress = on_progress
        self.task: Task | None = None

    def prepare(self) -> None:
        """Check the input and build the plan on the UI thread; raise a ``FlagdeckError`` to refuse
        (one line to the user, nothing started). No side effects."""

    def started(self) -> None:
        """Accepted by the gate (running now, or waiting for a check): tell the views."""

    def run(self, target: Target | None, task: Task) -> Any:
        raise NotImplementedError

    def progress(self, value: Any) -> None:
        """A ``task.report(value)`` from ``run``, on the UI thread."""

    def reported(self, value: Any) -> None:
        """What the runner calls for a report: the job's own :meth:`progress`, then the view's."""
        self.progress(value)
        if self.on_progress is not None:
            self.on_progress(value)

    def result(self, value: Any) -> None:
        """``run`` returned: notify, update the model (UI thread)."""

    def failed(self, exc: BaseException) -> None:
        """``run`` raised (UI thread). The Log row and ``actionFailed`` are the session's."""

    def refused(self, why: str) -> None:
        """The gate refused the job (another write runs)."""
        self.session.notified.emit(f"{self.title or self.name} not started", why, "warning")

    def describe(self, value: Any) -> str:
        """The Log row's one-line result."""
        return ""


class CallJob(Job):
    """A job made of a function and callbacks (``TargetSession.run``): small page reads and the
    actions that have no job of their own yet."""

    def __init__(self, session: TargetSession, name: str, func: Callable[[Any, Task], Any], *,
                 kind: JobKind = "read", describe: Callable[[Any], str] | None = None, **kwargs: Any) -> None:
        super().__init__(session, name, **kwargs)
        self.kind = kind  # type: ignore[misc]
        self.func = func
        self._describe = describe

    def run(self, target: Target | None, task: Task) -> Any:
        return self.func(target, task)

    def refused(self, why: str) -> None:
        pass  # the caller's on_error says it (TargetBusy)

    def describe(self, value: Any) -> str:
        return self._describe(value) if self._describe else ""
