"""Debian's Chromium as a second real browser engine for tests: launch, drive over CDP, close.

Pages for any origin are served by intercepting requests (``Fetch.fulfillRequest``), so no
network or local server is needed and every origin (``https://example.com``...) is real to the
browser. Closing goes through ``Browser.close`` (or SIGTERM without a debug port), which makes
Chromium commit localStorage to disk.
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from flagdeck.storage import cdp

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-default-browser-check", "--password-store=basic", "--use-mock-keychain",
]
BLANK = "<!doctype html><title>flagdeck chromium page</title><p>test page</p>"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def blank_file_page() -> Path:
    path = Path(tempfile.gettempdir()) / "flagdeck-chromium-page.html"
    path.write_text(BLANK, encoding="utf-8")
    return path


class Chromium:
    """One headless Chromium on ``user_data_dir``; ``debug_port=None`` starts it without DevTools."""

    def __init__(self, user_data_dir: Path, *, debug_port: int | None = 0, url: str | None = None) -> None:
        if CHROMIUM is None:
            raise RuntimeError("chromium not installed (apt-get install chromium)")
        self.user_data_dir = Path(user_data_dir)
        self.port = free_port() if debug_port == 0 else debug_port
        args = [CHROMIUM, *FLAGS, f"--user-data-dir={self.user_data_dir}"]
        if self.port is not None:
            args.append(f"--remote-debugging-port={self.port}")
        self.url = url or blank_file_page().as_uri()
        args.append(self.url)
        self.proc = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        self._wait_ready()

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def leveldb(self) -> Path:
        return self.user_data_dir / "Default" / "Local Storage" / "leveldb"

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited with {self.proc.returncode}")
            try:
                if self.port is None:
                    if (self.leveldb / "LOCK").exists():
                        time.sleep(0.5)
                        return
                elif cdp.list_targets(self.port):
                    return
            except Exception:
                pass
            time.sleep(0.1)
        raise RuntimeError("chromium did not start")

    def page(self) -> cdp.PageTarget:
        """The page showing the start URL (Chromium may list other pages first), else the first."""
        pages = [t for t in cdp.list_targets(self.port) if t.type == "page"]
        return next((t for t in pages if t.url == self.url), pages[0])

    def session(self) -> cdp.CDPSession:
        return cdp.CDPSession(self.page().ws_url)

    def open_origin(self, session: cdp.CDPSession, origin: str) -> None:
        """Navigate the page to ``origin`` (served by interception unless it is ``file://``)."""
        session.call("Page.enable")
        seen = session.event_count("Page.loadEventFired")
        if origin == "file://":
            session.call("Page.navigate", url=blank_file_page().as_uri())
        else:
            session.call("Fetch.enable", patterns=[{"urlPattern": "*", "requestStage": "Request"}])

            def serve(event: dict) -> None:
                if event.get("method") == "Fetch.requestPaused":
                    rid = event["params"]["requestId"]
                    threading_call(session, rid)

            session.add_listener(serve)
            session.call("Page.navigate", url=origin.rstrip("/") + "/")
        session.wait_event("Page.loadEventFired", timeout=15, after=seen)

    def set_items(self, origin: str, items: dict[str, str]) -> None:
        with self.session() as s:
            self.open_origin(s, origin)
            for key, value in items.items():
                s.evaluate(f"localStorage.setItem({_js(key)}, {_js(value)})")

    def get_items(self, origin: str) -> dict[str, str]:
        with self.session() as s:
            self.open_origin(s, origin)
            return dict(s.evaluate(
                "(() => { const o = {}; for (let i = 0; i < localStorage.length; i++) {"
                " const k = localStorage.key(i); o[k] = localStorage.getItem(k); } return o; })()"
            ))

    def close(self, timeout: float = 20) -> None:
        """Graceful exit (commits localStorage), then make sure the whole group is gone."""
        if self.proc.poll() is None:
            try:
                if self.port is not None:
                    ws = cdp.browser_version(self.port)["webSocketDebuggerUrl"]
                    with cdp.CDPSession(ws) as b:
                        try:
                            b.call("Browser.close", timeout=5)
                        except Exception:
                            pass
                else:
                    self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout=timeout)
            except Exception:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait(timeout=5)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def threading_call(session: cdp.CDPSession, request_id: str) -> None:
    # Listeners run on the reader thread; answering from it would deadlock, so hand it off.
    import threading

    def answer() -> None:
        try:
            session.call(
                "Fetch.fulfillRequest", requestId=request_id, responseCode=200,
                responseHeaders=[{"name": "Content-Type", "value": "text/html"}],
                body=base64.b64encode(BLANK.encode()).decode(),
            )
        except Exception:
            pass  # the session closed while a late request was paused: nothing to serve

    threading.Thread(target=answer, daemon=True).start()


def _js(text: str) -> str:
    import json

    return json.dumps(text)


def write_profile(user_data_dir: Path, origins: dict[str, dict[str, str]]) -> None:
    """Make a Chromium profile whose localStorage holds ``origins``, written by Chromium itself."""
    with Chromium(user_data_dir) as browser:
        for origin, items in origins.items():
            browser.set_items(origin, items)


def port_of(browser: Chromium) -> int:
    """The debug port of a browser started with one."""
    assert browser.port is not None
    return browser.port


def page_app(folder: Path, html: str, name: str = "app.html") -> Chromium:
    """Chromium showing ``html`` (saved as ``folder/name``) with a loopback debug port, its page
    loaded; its user-data dir is ``folder/ud``. The caller closes it."""
    from flagdeck.targets import launch

    page = folder / name
    page.write_text(html)
    browser = Chromium(folder / "ud", debug_port=0, url=page.as_uri())
    try:
        launch.wait_ready(port_of(browser), "file://", timeout=30)
    except BaseException:
        browser.close()
        raise
    return browser
