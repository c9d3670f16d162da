"""Start, close and relaunch a target app with a loopback debug port.

How to start it comes from code and presets only, never from a file inside a profile (a copied
profile can hold anything): the command line of the running process that holds the profile's
storage, else the preset's (the demo preset: flagdeck's own demo target, with the options its last
run recorded kept only in flagdeck's own demo folder; other presets: their launch candidates). A
Chromium/Electron app gets ``--remote-debugging-port=N`` (Electron apps without fuses accept it),
the demo target ``--debug-port N``, other QtWebEngine apps ``QTWEBENGINE_REMOTE_DEBUGGING=127.0.0.1:N``.
Closing is graceful (DevTools ``Browser.close`` or SIGTERM) and waits until the app let go of its
storage: Chromium commits localStorage on a clean exit, a kill loses the last seconds of writes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import psutil

from flagdeck import paths
from flagdeck.demo_target import state_file
from flagdeck.errors import AppStartFailed, FlagdeckError, LiveError, TargetBusy, UsageError
from flagdeck.targets import process
from flagdeck.targets.presets import expand
from flagdeck.targets.resolve import Target

Style = Literal["chromium", "demo", "qtwebengine-env"]


@dataclass(frozen=True)
class LaunchSpec:
    argv: tuple[str, ...]
    port: int
    style: Style
    cwd: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    source: str = ""  # where the command line came from


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def with_debug_port(argv: list[str], port: int, style: Style) -> tuple[list[str], dict[str, str]]:
    """``argv`` with its debug-port option set to ``port`` (any earlier one replaced)."""
    out: list[str] = []
    skip = False
    option = "--debug-port" if style == "demo" else "--remote-debugging-port"
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == option:
            skip = True
            continue
        if arg.startswith(option + "=") or (style == "chromium" and arg.startswith("--remote-debugging-address")):
            continue
        out.append(arg)
    if style == "demo":
        return [*out, "--debug-port", str(port)], {}
    if style == "qtwebengine-env":
        return out, {"QTWEBENGINE_REMOTE_DEBUGGING": f"127.0.0.1:{port}"}
    return [*out, f"--remote-debugging-port={port}"], {}


def _is_demo_target(argv: list[str]) -> bool:
    """``python -m flagdeck.demo_target ...`` or ``flagdeck demo-target ...`` (any flagdeck entry)."""
    if "flagdeck.demo_target" in argv:
        return True
    if "demo-target" not in argv:
        return False
    before = argv[: argv.index("demo-target")]
    return any(a == "flagdeck" or a.endswith(("/flagdeck", "\\flagdeck", "flagdeck.exe")) for a in before)


def _style_of(argv: list[str], target: Target) -> Style:
    if _is_demo_target(argv) or (target.preset and target.preset.name == "demo"):
        return "demo"
    return "chromium"


def demo_state(target: Target) -> dict[str, Any] | None:
    """What a demo target last wrote in its profile (``demo-target.json``), if this is one: facts to
    show (version, status), never a command to run."""
    return state_file.read_state(target.user_data_dir) if target.user_data_dir else None


def spec_for(target: Target, port: int | None = None, *, running: process.ProcInfo | None = None) -> LaunchSpec:
    """How to (re)start ``target`` with debug port ``port`` (a free one when None).

    ``running``: the process holding the profile's storage; its own command line is the first
    choice (the app as it was started). Without it, the preset says how."""
    port = port or target.debug_port or free_port()
    if running is not None and running.cmdline:
        style = _style_of(running.cmdline, target)
        new, env = with_debug_port(list(running.cmdline), port, style)
        return LaunchSpec(tuple(new), port, style, None, env, f"running process {running.pid}")
    preset = target.preset
    if preset and preset.name == "demo":
        from flagdeck.demo_target.options import default_profile_dir, relaunch_command

        new, env = with_debug_port(relaunch_command(target.user_data_dir or default_profile_dir()), port, "demo")
        return LaunchSpec(tuple(new), port, "demo", None, env, "demo preset")
    for candidate in preset.launch if preset else ():
        path = expand(candidate)
        exe = shutil.which(candidate) or (str(path) if path.exists() else None)
        if exe and preset:
            argv = [exe]
            if preset.name == "chromium" and target.user_data_dir:
                argv.append(f"--user-data-dir={target.user_data_dir}")
            new, env = with_debug_port(argv, port, "chromium")
            return LaunchSpec(tuple(new), port, "chromium", None, env, f"preset {preset.name}")
    hint = "start it yourself with --remote-debugging-port=N, or add a [launch] entry to its preset"
    if preset is None and demo_state(target) is not None:
        hint = "a demo target's profile: name the preset too, --target demo --user-data-dir DIR"
    raise UsageError(f"do not know how to start {target.name}", hint=hint)


def start(spec: LaunchSpec) -> subprocess.Popen[bytes]:
    """Start detached (own session), output to ``<data>/launch/<name>.log``."""
    log = paths.sub_dir("launch") / f"{Path(spec.argv[0]).name}-{spec.port}.log"
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        return subprocess.Popen(
            list(spec.argv), cwd=spec.cwd or None, env={**os.environ, **spec.env}, stdin=subprocess.DEVNULL,
            stdout=fd, stderr=fd, start_new_session=True,
        )
    except OSError as exc:
        raise UsageError(f"cannot start {spec.argv[0]}: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)


def demo_problem(user_data_dir: Path | None) -> str | None:
    """What the demo target's state file says went wrong at start-up (a renderer crash...), if anything."""
    state = state_file.read_state(user_data_dir) if user_data_dir else None
    status = state.get("status") if state else None
    return f"the demo target reports {status}" if status in ("renderer-crashed", "boot-failed") else None


def wait_ready(port: int, origin: str | None, *, proc: subprocess.Popen[bytes] | None = None,
               timeout: float = 60.0, ready_js: str | None = None,
               gave_up: Callable[[], str | None] | None = None) -> float:
    """Seconds until a page of ``origin`` on ``port`` has loaded (and ``ready_js`` is true).

    ``gave_up()`` returning a reason stops the wait early (the app reported a crash)."""
    from flagdeck.storage import cdp

    start_t = time.monotonic()
    while True:
        if proc is not None and proc.poll() is not None:
            raise AppStartFailed(f"the app exited with code {proc.returncode} while starting")
        reason = gave_up() if gave_up else None
        if reason:
            raise AppStartFailed(f"the app did not come up: {reason}")
        try:
            pages = [p for p in cdp.list_targets(port) if origin is None or p.origin == origin]
            for page in pages:
                with cdp.CDPSession(page.ws_url, timeout=5) as session:
                    # A target lists its new URL while the initial about:blank document is still the
                    # one loaded (and "complete"): the document's own origin must match too.
                    same = f"location.origin === {json.dumps(origin)}" if origin else "true"
                    ready = f"document.readyState === 'complete' && {same} && !!({ready_js or 'true'})"
                    if session.evaluate(ready) is True:
                        return time.monotonic() - start_t
        except LiveError:
            pass
        if time.monotonic() - start_t > timeout:
            raise LiveError(f"no loaded page of {origin or 'the app'} on port {port} after {timeout:g} s")
        time.sleep(0.1)


def _winding_down(pid: int) -> bool:
    """A zombie main thread whose other threads still run (Linux lists them in ``/proc/PID/task``):
    the app has not ended yet, and a relaunch now could find its single-instance lock taken."""
    try:
        return len(os.listdir(f"/proc/{pid}/task")) > 1
    except OSError:
        return False


def _wait_exit(proc: psutil.Process, timeout: float) -> None:
    """Wait for ``proc`` to end; a zombie (exited, not reaped by a parent that is not us) counts once
    its last thread is gone."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if proc.status() == psutil.STATUS_ZOMBIE and not _winding_down(proc.pid):
                return
            proc.wait(timeout=0.05)
            return
        except psutil.TimeoutExpired:
            continue
        except psutil.NoSuchProcess:
            return
    raise TargetBusy(f"the app (pid {proc.pid}) did not exit within {timeout:g} s; nothing was written",
                     hint="close it yourself and run the command again")


def close_gracefully(pid: int, lock_file: Path, *, port: int | None = None, timeout: float = 30.0) -> float:
    """Ask the app to quit (``Browser.close``, else SIGTERM), wait for it and its storage lock.

    ``Browser.close`` goes only to a port that passes the live gate (loopback, listened on by the
    process that holds this storage): a stale ``DevToolsActivePort`` may name another program's."""
    start_t = time.monotonic()
    asked = False
    if port is not None:
        try:
            from flagdeck.storage import cdp
            from flagdeck.storage.live_store import check_debug_port

            check_debug_port(port, leveldb_dir=lock_file.parent)
            ws = cdp.browser_version(port)["webSocketDebuggerUrl"]
            with cdp.CDPSession(ws, timeout=5) as browser:
                browser.call("Browser.close", timeout=5)
            asked = True
        except (FlagdeckError, KeyError):
            asked = False  # not the app's port, or QtWebEngine (no Browser.close): a signal instead
    try:
        proc = psutil.Process(pid)
        if not asked:
            if sys.platform == "win32":
                proc.terminate()
            else:
                proc.send_signal(signal.SIGTERM)
        _wait_exit(proc, timeout)
    except psutil.NoSuchProcess:
        pass
    while process.lock_probe(lock_file):
        if time.monotonic() - start_t > timeout:
            raise TargetBusy(f"the app's storage is still locked {timeout:g} s after it was asked to quit")
        time.sleep(0.05)
    return time.monotonic() - start_t


@dataclass(frozen=True)
class LaunchResult:
    pid: int
    port: int
    argv: tuple[str, ...]
    source: str
    restarted: bool
    closed_seconds: float | None
    ready_seconds: float


def launch_target(target: Target, *, port: int | None = None, restart: bool = False) -> LaunchResult:
    """``flagdeck launch``: start the app with a loopback debug port; with ``restart``, close a
    running one gracefully first (without it, a running app is ``TargetBusy``)."""
    running = process.lock_holder(target.lock_file)
    if running is not None and not restart:
        raise TargetBusy(f"{running.name} (pid {running.pid}) is already running",
                         hint="pass --restart to close it gracefully and start it again with a debug port")
    spec = spec_for(target, port, running=running)
    closed = close_gracefully(running.pid, target.lock_file, port=target.debug_port) if running else None
    proc = start(spec)
    ready = wait_ready(spec.port, target.origin, proc=proc,
                      ready_js=target.preset.ready_js if target.preset else None,
                      gave_up=lambda: demo_problem(target.user_data_dir))
    return LaunchResult(proc.pid, spec.port, spec.argv, spec.source, running is not None, closed, round(ready, 3))
