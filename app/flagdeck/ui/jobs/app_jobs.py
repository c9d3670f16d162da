"""Start the app: relaunch it with a loopback debug port (``flagdeck launch --restart``), or start
the demo incident (``flagdeck demo``'s first step)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flagdeck.targets.resolve import Target, TargetOptions
from flagdeck.ui.jobs.base import Job
from flagdeck.ui.workers import Task, error_text

if TYPE_CHECKING:
    from flagdeck.ui.session import TargetSession


class LaunchJob(Job):
    kind = "write"
    title = "Launch"

    def __init__(self, session: TargetSession, **kwargs: Any) -> None:
        super().__init__(session, "Launch with a debug port", **kwargs)

    def run(self, target: Target | None, task: Task) -> dict[str, Any]:
        from flagdeck.targets import launch

        assert target is not None
        r = launch.launch_target(target, restart=True)
        return {"pid": r.pid, "port": r.port, "ready": r.ready_seconds, "restarted": r.restarted}

    def result(self, value: dict[str, Any]) -> None:
        self.session.notified.emit("App started", f"pid {value['pid']}, debug port {value['port']}, page loaded in "
                                                  f"{value['ready']:.1f} s", "info")

    def failed(self, exc: BaseException) -> None:
        self.session.notified.emit("Launch failed", error_text(exc), "error")

    def describe(self, value: dict[str, Any]) -> str:
        return f"pid {value['pid']}, port {value['port']}"


class DemoJob(Job):
    """The demo target with the unified path on (its build env) and ``fault``; the session then
    watches it. The started target is kept: quitting the console stops it unless kept running."""

    kind = "write"
    title = "Demo"

    def __init__(self, session: TargetSession, fault: str, **kwargs: Any) -> None:
        super().__init__(session, "Start the demo incident", needs_target=False, **kwargs)
        self.fault = fault

    def run(self, target: Target | None, task: Task) -> tuple[Target, float]:
        from flagdeck.demo_scenario import start_incident

        return start_incident(self.fault, None, lambda text: task.report(text))

    def result(self, value: tuple[Target, float]) -> None:
        started, seconds = value
        self.session.demo_target = started
        self.session.set_options(TargetOptions(target="demo", debug_port=started.debug_port))
        self.session.notified.emit("Demo incident started", f"{started.name}: unified DB path on, fault {self.fault} "
                                                             f"({seconds:.1f} s)", "info")

    def failed(self, exc: BaseException) -> None:
        self.session.notified.emit("Demo did not start", error_text(exc), "error")

    def describe(self, value: tuple[Target, float]) -> str:
        return f"fault {self.fault}"
