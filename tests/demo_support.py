"""Run the real demo target as a subprocess and talk to it over DevTools (tests and benchmarks).

``DemoTarget.start(profile, ...)`` launches ``python -m flagdeck.demo_target`` in its own process
group with a free loopback debug port and every user dir moved into the test's tmp dir;
``wait_ready`` attaches a ``CDPSession`` to the page and waits for ``window.__demoBoot``.
``stop`` sends SIGTERM (the graceful path); ``kill`` kills the whole process group and is what
fixture teardown calls, so no QtWebEngineProcess outlives a test.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from flagdeck.errors import LiveError
from flagdeck.storage.cdp import CDPSession, list_targets

BOOT_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def subprocess_env(home: Path) -> dict[str, str]:
    """Headless QtWebEngine as root, user dirs inside ``home`` (nothing lands in the real ~)."""
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox",
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        PYTHONUNBUFFERED="1",
    )
    env.pop("QTWEBENGINE_REMOTE_DEBUGGING", None)
    return env


class DemoTarget:
    """One running demo target (process + DevTools session to its page)."""

    def __init__(self, proc: subprocess.Popen[bytes], profile: Path, port: int, log_path: Path) -> None:
        self.proc = proc
        self.profile = profile
        self.port = port
        self.log_path = log_path
        self.cdp: CDPSession | None = None

    @classmethod
    def start(cls, profile: Path, *args: str, port: int | None = None, home: Path | None = None) -> DemoTarget:
        port = port or free_port()
        cmd = [sys.executable, "-m", "flagdeck.demo_target", "--profile-dir", str(profile),
               "--debug-port", str(port), *args]
        return cls.launch(cmd, profile, port, home=home)

    @classmethod
    def launch(cls, cmd: list[str], profile: Path, port: int, *, home: Path | None = None) -> DemoTarget:
        """Run ``cmd`` (e.g. the ``command`` a previous run recorded in ``demo-target.json``)."""
        home = home or profile.parent / f"{profile.name}-home"
        home.mkdir(parents=True, exist_ok=True)
        log_path = home / f"target-{time.monotonic_ns()}.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=subprocess_env(home),
                                    start_new_session=True)
        return cls(proc, profile, port, log_path)

    # --- output ----------------------------------------------------------------------------------

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def state(self) -> dict[str, Any]:
        return dict(json.loads((self.profile / "demo-target.json").read_text(encoding="utf-8")))

    def wait_output(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.output()
            if text in out:
                return out
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"target never printed {text!r}; output:\n{self.output()[-3000:]}")

    # --- DevTools --------------------------------------------------------------------------------

    def connect(self, timeout: float = BOOT_TIMEOUT) -> CDPSession:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"target exited with {self.proc.returncode}:\n{self.output()[-3000:]}")
            try:
                pages = [t for t in list_targets(self.port) if t.url.startswith("file://")]
            except LiveError:
                pages = []
            if pages:
                self.cdp = CDPSession(pages[0].ws_url, timeout=60)
                return self.cdp
            time.sleep(0.1)
        raise AssertionError(f"no page on port {self.port}:\n{self.output()[-3000:]}")

    def boot_state(self) -> dict[str, Any] | None:
        assert self.cdp is not None
        value = self.cdp.evaluate("window.__demoBoot ? JSON.parse(JSON.stringify(window.__demoBoot)) : null")
        return value if isinstance(value, dict) else None

    def wait_ready(self, timeout: float = BOOT_TIMEOUT, *, after_origin: float | None = None) -> dict[str, Any]:
        """Wait for ``__demoBoot.state == 'ready'`` (in a document newer than ``after_origin``)."""
        if self.cdp is None:
            self.connect(timeout)
        assert self.cdp is not None
        deadline = time.monotonic() + timeout
        boot: dict[str, Any] | None = None
        while time.monotonic() < deadline:
            try:
                fresh = after_origin is None or self.time_origin() != after_origin
                boot = self.boot_state() if fresh else None
            except LiveError:
                boot = None
            if boot and boot.get("state") == "ready":
                return boot
            if boot and boot.get("state") == "failed":
                raise AssertionError(f"page boot failed: {boot}")
            time.sleep(0.1)
        raise AssertionError(f"page not ready: {boot}\n{self.output()[-3000:]}")

    def time_origin(self) -> float:
        assert self.cdp is not None
        return float(self.cdp.evaluate("performance.timeOrigin"))

    def js(self, expression: str, timeout: float = 120.0) -> Any:
        assert self.cdp is not None
        return self.cdp.evaluate(expression, await_promise=True, timeout=timeout)

    def probe(self, name: str, *args: Any, timeout: float = 120.0) -> Any:
        params = ", ".join(json.dumps(a) for a in args)
        return self.js(f"window.demoProbes.{name}({params})", timeout=timeout)

    def set_flags(self, value: str | None) -> None:
        """Write (None: remove) the ``featureFlags`` item as raw text."""
        if value is None:
            self.js("localStorage.removeItem('featureFlags')")
        else:
            self.js(f"localStorage.setItem('featureFlags', {json.dumps(value)})")

    def reload(self) -> dict[str, Any]:
        origin = self.time_origin()
        assert self.cdp is not None
        self.cdp.call("Page.reload")
        return self.wait_ready(after_origin=origin)

    def with_flags(self, value: str | None) -> dict[str, Any]:
        self.set_flags(value)
        return self.reload()

    # --- stopping --------------------------------------------------------------------------------

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait: the graceful shutdown."""
        if self.cdp is not None:
            self.cdp.close()
            self.cdp = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            self.kill()

    def kill(self) -> None:
        """Kill the process group (host and QtWebEngine helpers); safe to call twice."""
        if self.cdp is not None:
            self.cdp.close()
            self.cdp = None
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
