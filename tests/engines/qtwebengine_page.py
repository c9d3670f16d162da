"""A running QtWebEngine app with a DevTools port, for live tests: pages open until SIGTERM.

Run as a subprocess (QtWebEngine wants its own process, and live tests need it to keep running):

    python -m tests.engines.qtwebengine_page SPEC_JSON

SPEC_JSON (the JSON text itself): ``{"profile": DIR, "port": N, "pages": {ORIGIN: {KEY: VALUE}}}``.
It opens a persistent profile whose storage lives in DIR (its localStorage is then in
``DIR/Local Storage/leveldb``), with ``QTWEBENGINE_REMOTE_DEBUGGING=127.0.0.1:N``, one page per
origin (``file://`` loads a local file; other origins use ``setHtml(html, baseUrl)``, which gives the
page that origin without any network), seeds the items, prints ``READY`` and runs until SIGTERM.
On SIGTERM it tears down pages, then the profile, then quits: that order makes QtWebEngine commit
localStorage to disk (quitting with a page alive crashes in ``aboutToQuit``).

From tests, use :class:`QtWebEnginePageHost`, which starts it, waits for ``READY`` and kills the
whole process group on close.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PROFILE_NAME = "flagdeck-live-test"
PAGE_HTML = "<!doctype html><title>flagdeck qtwebengine page</title><p>test page</p>"
SEED_JS = "(() => { const items = %s; for (const [k, v] of Object.entries(items)) localStorage.setItem(k, v);" \
    " return localStorage.length; })()"


def blank_file_page() -> Path:
    path = Path(tempfile.gettempdir()) / "flagdeck-qtwebengine-page.html"
    path.write_text(PAGE_HTML, encoding="utf-8")
    return path


# --- the host (child process) ---------------------------------------------------------------------


def serve(spec: dict[str, Any]) -> int:
    """Open the pages, seed them, print READY, run until SIGTERM; 0 on a clean teardown."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["QTWEBENGINE_REMOTE_DEBUGGING"] = f"127.0.0.1:{int(spec['port'])}"
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    if "--no-sandbox" not in flags:
        os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = (flags + " --no-sandbox").strip()

    from PySide6.QtCore import QTimer, QUrl
    from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile
    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
    profile = QWebEngineProfile(PROFILE_NAME)
    profile.setPersistentStoragePath(str(spec["profile"]))
    pages_spec: dict[str, dict[str, str]] = dict(spec.get("pages") or {"file://": {}})
    pages: list[QWebEnginePage] = []
    waiting = set(pages_spec)

    def seeded(origin: str) -> None:
        waiting.discard(origin)
        if not waiting:
            print("READY", flush=True)

    def open_page(origin: str, items: dict[str, str]) -> None:
        page = QWebEnginePage(profile)
        pages.append(page)
        first = [True]

        def loaded(ok: bool) -> None:
            if not first[0]:
                return  # a reload from a test: nothing to seed
            first[0] = False
            if not ok:
                print(f"LOAD FAILED {origin}", flush=True)
                app.exit(3)
                return
            page.runJavaScript(SEED_JS % json.dumps(items), 0, lambda _n: seeded(origin))

        page.loadFinished.connect(loaded)
        if origin == "file://":
            page.load(QUrl.fromLocalFile(str(blank_file_page())))
        else:
            page.setHtml(PAGE_HTML, QUrl(origin.rstrip("/") + "/"))

    def teardown() -> None:
        for page in pages:
            page.deleteLater()
        pages.clear()
        QTimer.singleShot(100, profile.deleteLater)
        QTimer.singleShot(400, app.quit)

    signal.signal(signal.SIGTERM, lambda *_: QTimer.singleShot(0, teardown))
    # Python runs signal handlers only between bytecodes: a ticking timer lets it in.
    tick = QTimer()
    tick.timeout.connect(lambda: None)
    tick.start(100)
    for origin, items in pages_spec.items():
        open_page(origin, dict(items))
    return app.exec()


# --- the test-side handle -------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class QtWebEnginePageHost:
    """A QtWebEngine page host subprocess on ``profile_dir`` with a loopback DevTools port."""

    def __init__(
        self, profile_dir: Path, pages: dict[str, dict[str, str]] | None = None, *,
        port: int | None = None, timeout: float = 60,
    ) -> None:
        self.profile_dir = Path(profile_dir)
        self.port = port or free_port()
        spec = {"profile": str(self.profile_dir), "port": self.port, "pages": pages or {"file://": {}}}
        root = Path(__file__).resolve().parents[2]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.engines.qtwebengine_page", json.dumps(spec)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=root, env=env,
            start_new_session=True,
        )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.kill()
            raise

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def leveldb(self) -> Path:
        return self.profile_dir / "Local Storage" / "leveldb"

    def _wait_ready(self, timeout: float) -> None:
        import selectors

        assert self.proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
                break
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"qtwebengine page host exited with {self.proc.wait()}")
            if line.strip() == "READY":
                return
            if line.startswith("LOAD FAILED"):
                raise RuntimeError(f"qtwebengine page host: {line.strip()}")
        raise RuntimeError("qtwebengine page host did not get ready")

    def close(self, timeout: float = 20) -> int | None:
        """SIGTERM (clean teardown that commits localStorage), then kill whatever is left."""
        code: int | None = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                code = self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        else:
            code = self.proc.returncode
        self.kill()
        return code

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def __enter__(self) -> QtWebEnginePageHost:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":
    raise SystemExit(serve(json.loads(sys.argv[1])))
