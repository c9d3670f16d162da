"""Flag writes (``flags set`` / ``flags unset``, ``--reload``) and a reload of the running page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from flagdeck import flag_ops
from flagdeck.errors import UsageError
from flagdeck.storage.flags import js_repr as js
from flagdeck.targets.resolve import Target
from flagdeck.ui.jobs.base import Job
from flagdeck.ui.texts import write_summary
from flagdeck.ui.workers import Task, error_text

if TYPE_CHECKING:
    from flagdeck.ui.session import TargetSession


class FlagWriteJob(Job):
    """One backed-up write: set ``assignments`` and/or remove ``removals``, reloading the page when
    live and asked. The result's durability is told as it is: a live write not on the app's disk
    is an error notification ("NOT SAVED")."""

    kind = "write"

    def __init__(self, session: TargetSession, assignments: Sequence[tuple[str, Any]] = (),
                 removals: Sequence[str] = (), *, reload: bool, force: bool = False, note: str | None = None,
                 undo_hint: int | bool = False, **kwargs: Any) -> None:
        self.assignments = list(assignments)
        self.undo_hint = int(undo_hint)  # seconds an Undo is offered for (a quick toggle), 0: none
        self.removals = list(removals)
        self.reload, self.force = reload, force
        parts = [f"Set {n} = {js(v)}" for n, v in self.assignments]
        parts += [f"Unset {', '.join(self.removals)}"] if self.removals else []
        self.names = ", ".join([n for n, _ in self.assignments] + self.removals)
        self.verb = "set" if not self.removals else "unset" if not self.assignments else "changed"
        super().__init__(session, "; ".join(parts) or "Change flags", **kwargs)
        self.note = note or f"from the {self.source}"
        self.written: flag_ops.WriteResult | None = None

    def prepare(self) -> None:
        if not self.assignments and not self.removals:
            raise UsageError("nothing to change")

    def run(self, target: Target | None, task: Task) -> flag_ops.WriteResult:
        assert target is not None
        return flag_ops.write_flags(target, assignments=self.assignments, removals=self.removals, force=self.force,
                                    reload=self.reload, reason="flags unset" if self.verb == "unset" else "flags set",
                                    note=self.note)

    def result(self, value: flag_ops.WriteResult) -> None:
        self.written = value
        self.session.model.wrote(value)
        undo = f" — click here within {self.undo_hint} s to undo" if self.undo_hint and value.changes else ""
        if value.durable_ok:
            self.session.notified.emit(self.notice_title(value), write_summary(value) + undo, "info")
        else:  # in the running app but not on its disk: a crash now would undo it
            self.session.notified.emit(self.notice_title(value), write_summary(value) + undo, "error")

    def notice_title(self, value: flag_ops.WriteResult) -> str:
        if not value.durable_ok:
            return f"{self.names} {self.verb}, NOT SAVED to disk"
        return f"{self.names} {self.verb}"

    def failed(self, exc: BaseException) -> None:
        verb = "set" if self.verb == "changed" else self.verb
        self.session.notified.emit(f"Could not {verb} {self.names}", error_text(exc), "error")

    def refused(self, why: str) -> None:
        verb = "set" if self.verb == "changed" else self.verb
        self.session.notified.emit(f"Could not {verb} {self.names}", why, "error")

    def describe(self, value: flag_ops.WriteResult) -> str:
        return write_summary(value)


class ReloadJob(Job):
    """Reload the running app's page, so a stored change applies (the "Reload now" of a pending
    reload). Not a write: nothing stored changes, but the page reloads under any check, so it
    runs alone as a write does."""

    kind = "write"
    title = "Reload"

    def __init__(self, session: TargetSession, **kwargs: Any) -> None:
        super().__init__(session, "Reload the app's page", **kwargs)
        self.origin: str | None = None

    def prepare(self) -> None:
        snap = self.session.snapshot
        status = snap.status if snap else None
        if status is None or status.mode != "live":
            raise UsageError("the app is not reachable live: it applies its stored flags at its next start")
        self.origin = status.page_origin

    def run(self, target: Target | None, task: Task) -> float:
        from flagdeck.storage.live_store import connect_live

        assert target is not None and target.debug_port is not None
        live = connect_live(target.debug_port, leveldb_dir=target.leveldb_dir, process_names=target.process_names)
        try:
            return float(live.reload(self.origin))
        finally:
            live.close()

    def result(self, value: float) -> None:
        self.session.model.pending_reload = False
        self.session.notified.emit("Page reloaded", f"{self.session.label()}: loaded again in {value:.1f} s; it "
                                                    "runs the stored flags now", "info")

    def failed(self, exc: BaseException) -> None:
        self.session.notified.emit("Reload failed", error_text(exc), "error")

    def describe(self, value: float) -> str:
        return f"loaded in {value:.1f} s"
