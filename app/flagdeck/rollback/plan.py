"""Level-1 rollback, planned: which flag, which way to reach the app, which steps. No side effects.

Modes:
- ``live``: the app runs with a usable debug port and a page that answers: write over DevTools,
  reload the page, verify live.
- ``restart``: the app runs but cannot be reached live (no debug port, or its page crashed), or
  ``--restart`` was asked: close it gracefully, write offline, relaunch it the way it was started
  with a loopback debug port, verify live.
- ``offline``: the app is closed: write on disk; it reads the flag at its next start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from flagdeck.errors import FlagdeckError, NeedsRestart, OriginError, UnknownFlag, UnsafeDebugPort
from flagdeck.storage import durable
from flagdeck.storage.flags import name_text
from flagdeck.targets import process
from flagdeck.targets.launch import LaunchSpec, spec_for
from flagdeck.targets.resolve import Target, default_flag

Mode = Literal["live", "restart", "offline"]


@dataclass(frozen=True)
class Step:
    id: str
    title: str


@dataclass(frozen=True)
class RollbackPlan:
    target: Target
    flag: str
    value: Any
    mode: Mode
    reload: bool
    steps: tuple[Step, ...]
    running: process.ProcInfo | None = None
    launch: LaunchSpec | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    durable_timeout: float = durable.DEFAULT_TIMEOUT  # live: how long the change may take to reach the disk

    def describe(self) -> list[str]:
        lines = [f"Level 1 rollback of {self.target.name}: set {self.flag} to false ({self.mode})"]
        lines += [f"  {i}. {s.title}" for i, s in enumerate(self.steps, 1)]
        if self.launch:
            lines.append(f"  relaunch: {' '.join(self.launch.argv)} (from {self.launch.source})")
        lines += [f"  note: {n}" for n in self.notes]
        return lines

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target.to_json(), "flag": self.flag, "value": self.value, "mode": self.mode,
                "reload": self.reload, "steps": [s.__dict__ for s in self.steps],
                "running": self.running.to_json() if self.running else None,
                "launch": list(self.launch.argv) if self.launch else None, "notes": list(self.notes)}


def rollback_flag(target: Target, flag: str | None) -> str:
    """The flag to turn off: the named one, or the catalogue's one boolean flag."""
    names = [f.name for f in target.catalogue]
    if flag is None:
        return default_flag(target)
    if flag not in names:
        raise UnknownFlag(f"{name_text(flag)} is not a flag of {target.name}", hint=f"known: {', '.join(names)}")
    return flag


def _page_answers(target: Target) -> tuple[bool, str]:
    """Whether the app's debug port passes the gate and a page of the origin answers (``prepare``
    has set the target's origin)."""
    from flagdeck.storage.live_store import connect_live

    assert target.debug_port is not None and target.origin is not None
    try:
        with connect_live(target.debug_port, leveldb_dir=target.leveldb_dir,
                          process_names=target.process_names) as live:
            return live.page_session(target.origin).evaluate("1", timeout=5) == 1, ""
    except UnsafeDebugPort:
        raise
    except FlagdeckError as exc:  # no page of the origin, a page that does not answer, a closed port
        return False, str(exc)


def rollback_origin(target: Target) -> tuple[str, str | None]:
    """The origin to write: the given one, the one holding the flag key, else the only origin the
    app has (a flag turned on by the app's build env has no stored override yet)."""
    if target.origin:
        return target.origin, None
    from flagdeck import access

    with access.open_read(target).store as store:
        holder = access.resolve_origin(store, target)
        if holder:
            return holder, None
        present = access.app_origins(store, target)
    if len(present) == 1:
        return present[0], f"no stored {target.storage_key} yet: writing it for the app's only origin {present[0]}"
    raise OriginError(f"no origin holds {target.storage_key} and the app has {len(present)} origins",
                      hint=f"pick one with --origin ({', '.join(present) or 'none found'})")


def prepare(target: Target, *, flag: str | None = None, reload: bool = True, restart: bool = False,
            durable_timeout: float = durable.DEFAULT_TIMEOUT) -> RollbackPlan:
    name = rollback_flag(target, flag)
    origin, origin_note = rollback_origin(target)
    target = target.with_origin(origin)
    running = process.lock_holder(target.lock_file)
    notes: list[str] = [origin_note] if origin_note else []
    mode: Mode
    launch = None
    if running is None:
        mode = "restart" if restart else "offline"
        if mode == "offline":
            notes.append("the app is closed: the flag is written on disk and takes effect at its next start")
    elif restart:
        mode = "restart"
    elif target.debug_port is None:
        raise NeedsRestart(
            f"{running.name} (pid {running.pid}) runs without a debug port and holds its storage",
            hint="run with --restart: flagdeck closes it gracefully, writes the flag and relaunches it "
                 "with a debug port (or start it yourself with --remote-debugging-port=N)",
        )
    else:
        ok, why = _page_answers(target)
        if ok:
            mode = "live"
        else:
            mode = "restart"
            notes.append(f"the app's page does not answer ({why}): flagdeck restarts the app")
    if mode == "restart":
        launch = spec_for(target, target.debug_port, running=running)
    if mode == "live" and not reload:
        notes.append("--no-reload: the page keeps running with the old value until it reloads; "
                     "verification is skipped")
    steps = [Step("capture", "Capture current state (backup, screenshot, console, metrics, data counts)")]
    if mode == "restart":
        steps += [Step("close", "Close the app gracefully and wait for its storage")]
    steps += [Step("set-flag", f"Set {name} to false" + (" over DevTools" if mode == "live" else " on disk"))]
    if mode == "live":
        steps += [Step("durable", "Confirm the change is on the app's disk"
                       + (" (page parked so it commits now)" if reload else ""))]
    if mode == "live" and reload:
        steps += [Step("reload", "Reload the app's page")]
    if mode == "restart":
        steps += [Step("relaunch", "Relaunch the app with a loopback debug port")]
    if mode != "live" or reload:
        steps += [Step("verify", "Verify original functionality restored")]
    steps += [Step("record", "Record the rollback")]
    return RollbackPlan(target, name, False, mode, reload, tuple(steps), running, launch, tuple(notes),
                        durable_timeout)
