"""Real running apps for live-mode tests: Chromium and QtWebEngine with pages of two origins open.

Each app exposes the same small surface (``port``, ``pid``, ``leveldb``, ``user_data_dir``,
``page_eval(origin, js)``, ``close()``), so tests can be parametrized over both engines. Also here:
"another program" owning a port (a plain Python listener, in this process or in a child), which is
the real situation the debug-port gate must refuse.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from flagdeck.storage import cdp
from tests.engines.chromium import CHROMIUM, FLAGS, Chromium, blank_file_page
from tests.engines.qtwebengine_page import QtWebEnginePageHost

FILE = "file://"
EXAMPLE = "https://example.com"
SEED: dict[str, dict[str, str]] = {
    FILE: {
        "featureFlags": '{"USE_UNIFIED_DB_SERVICE":false}',
        "persist:cherry-studio": '{"llm":"{\\"apiKey\\":\\"sk-test-not-a-secret\\"}"}',
        "unicode": "héllo ☃ 😀 中文",
    },
    EXAMPLE: {"exampleKey": "exampleValue"},
}
ENGINES = ["chromium", "qtwebengine"]


class LiveApp(Protocol):
    port: int
    pid: int
    leveldb: Path
    user_data_dir: Path

    def page_eval(self, origin: str, expression: str) -> object: ...

    def close(self) -> int | None: ...

    def kill(self) -> None: ...


def _page_of(port: int, origin: str) -> cdp.PageTarget:
    return next(t for t in cdp.list_targets(port) if t.origin == origin)


def page_eval(port: int, origin: str, expression: str) -> object:
    """Evaluate in the page of ``origin`` on its own session (what the app's code would see)."""
    with cdp.CDPSession(_page_of(port, origin).ws_url) as session:
        return session.evaluate(expression)


def seed_js(items: dict[str, str]) -> str:
    return f"(() => {{ for (const [k, v] of Object.entries({json.dumps(items)})) localStorage.setItem(k, v);" \
        " return localStorage.length; })()"


# --- Chromium ------------------------------------------------------------------------------------


class ChromiumApp:
    """Chromium started with ``--remote-debugging-port=0`` (so it writes DevToolsActivePort), a
    ``file://`` page and an ``https://example.com`` page served by request interception; the
    serving session stays open so the page can be reloaded."""

    def __init__(self, user_data_dir: Path, pages: dict[str, dict[str, str]] | None = None) -> None:
        self.user_data_dir = Path(user_data_dir)
        self.browser = _launch_port0(self.user_data_dir)
        self.port = int(self.browser.port or 0)
        self.pid = self.browser.pid
        self.leveldb = self.browser.leveldb
        self._servers: list[cdp.CDPSession] = []
        try:
            self._open_pages(pages if pages is not None else SEED)
        except BaseException:
            self.kill()
            raise

    def _open_pages(self, pages: dict[str, dict[str, str]]) -> None:
        first = True
        for origin, items in pages.items():
            if first:
                session = self.browser.session()
                first = False
            else:
                with cdp.CDPSession(cdp.browser_version(self.port)["webSocketDebuggerUrl"]) as b:
                    target_id = b.call("Target.createTarget", url="about:blank")["targetId"]
                ws = next(t.ws_url for t in cdp.list_targets(self.port) if t.id == target_id)
                session = cdp.CDPSession(ws)
            self._servers.append(session)
            self.browser.open_origin(session, origin)
            session.evaluate(seed_js(items))

    def page_eval(self, origin: str, expression: str) -> object:
        return page_eval(self.port, origin, expression)

    def close(self) -> int | None:
        """Graceful exit (Chromium commits localStorage), then kill what is left; the exit code."""
        for session in self._servers:
            session.close()
        self._servers.clear()
        self.browser.close()
        return self.browser.proc.returncode

    def kill(self) -> None:
        for session in self._servers:
            session.close()
        _killpg(self.browser.proc)


def _launch_port0(user_data_dir: Path, timeout: float = 30) -> Chromium:
    """A ``Chromium`` handle on a browser that picked its own port and wrote DevToolsActivePort."""
    if CHROMIUM is None:
        raise RuntimeError("chromium not installed (apt-get install chromium)")
    args = [CHROMIUM, *FLAGS, f"--user-data-dir={user_data_dir}", "--remote-debugging-port=0",
            blank_file_page().as_uri()]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    browser = Chromium.__new__(Chromium)
    browser.user_data_dir, browser.proc = Path(user_data_dir), proc
    browser.url = blank_file_page().as_uri()
    port_file = Path(user_data_dir) / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    try:
        while not port_file.is_file() or not port_file.read_text().strip():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("chromium did not write DevToolsActivePort")
            time.sleep(0.05)
        browser.port = int(port_file.read_text().splitlines()[0])
        browser._wait_ready(timeout)
        _wait_for_origin(browser.port, FILE, timeout)
    except BaseException:
        _killpg(proc)
        raise
    return browser


def _wait_for_origin(port: int, origin: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if page_eval(port, origin, "document.readyState") == "complete":
                return
        except Exception:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"no loaded page of {origin}")


# --- QtWebEngine ---------------------------------------------------------------------------------


class QtWebEngineApp:
    """The QtWebEngine page host with one page per origin, seeded."""

    def __init__(self, user_data_dir: Path, pages: dict[str, dict[str, str]] | None = None) -> None:
        self.user_data_dir = Path(user_data_dir)
        self.host = QtWebEnginePageHost(self.user_data_dir, pages if pages is not None else SEED)
        self.port, self.pid, self.leveldb = self.host.port, self.host.pid, self.host.leveldb

    def page_eval(self, origin: str, expression: str) -> object:
        return page_eval(self.port, origin, expression)

    def close(self) -> int | None:
        """SIGTERM: pages, then profile, then quit (commits localStorage); the exit code."""
        return self.host.close()

    def kill(self) -> None:
        self.host.kill()


def start_app(engine: str, user_data_dir: Path, pages: dict[str, dict[str, str]] | None = None) -> LiveApp:
    if engine == "chromium":
        return ChromiumApp(user_data_dir, pages)
    return QtWebEngineApp(user_data_dir, pages)


# --- another program on a port -------------------------------------------------------------------


@contextmanager
def listening_socket(host: str = "127.0.0.1") -> Iterator[int]:
    """A plain TCP listener in this process (the test runner: an ancestor of every browser)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        sock.listen()
        yield int(sock.getsockname()[1])


@contextmanager
def listener_process(host: str = "127.0.0.1") -> Iterator[tuple[int, int]]:
    """A separate Python process listening on a free port: yields (port, pid)."""
    code = (
        f"import socket, time; s = socket.socket(); s.bind(({host!r}, 0)); s.listen();"
        " print(s.getsockname()[1], flush=True); time.sleep(300)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        yield port, proc.pid
    finally:
        _killpg(proc)
        if proc.stdout is not None:
            proc.stdout.close()


def _killpg(proc: subprocess.Popen[str] | subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait(timeout=10)
