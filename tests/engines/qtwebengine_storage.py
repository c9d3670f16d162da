"""Write or read a QtWebEngine profile's localStorage with a real QtWebEngine (test fixture maker).

Run as a subprocess (QtWebEngine wants its own process):

    python -m tests.engines.qtwebengine_storage write SPEC.json
    python -m tests.engines.qtwebengine_storage read PROFILE ORIGIN [ORIGIN...]   → JSON on stdout

SPEC: {"profile": DIR, "origins": {ORIGIN: {KEY: VALUE}}, "fill": {ORIGIN: BYTES}}
``file://`` pages load from a local file; http(s) origins use ``setHtml`` with that base URL,
which gives the page that origin without any network. ``fill`` makes an origin hold about BYTES
of filler entries (written by the page in chunks) for size tests and benchmarks.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if "--no-sandbox" not in os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", ""):
    _flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = (_flags + " --no-sandbox").strip()

from PySide6.QtCore import QTimer, QUrl
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile
from PySide6.QtWidgets import QApplication

PROFILE_NAME = "flagdeck-test"

WRITE_JS = """
(() => {
  const items = %s;
  for (const [k, v] of Object.entries(items)) localStorage.setItem(k, v);
  const fill = %d;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let seed = 12345;
  const chunk = () => {  // incompressible, Latin-1 (one byte a character on disk)
    const out = new Array(4096);
    for (let j = 0; j < 4096; j++) { seed = (seed * 1103515245 + 12345) & 0x7fffffff; out[j] = alphabet[seed & 63]; }
    return out.join('');
  };
  let i = 0;
  for (let n = 0; n < fill; n += 4096) localStorage.setItem('filler-' + (i++), chunk());
  return localStorage.length;
})()
"""

READ_JS = """
(() => { const o = {}; for (let i = 0; i < localStorage.length; i++) { const k = localStorage.key(i);
  o[k] = localStorage.getItem(k); } return JSON.stringify(o); })()
"""


def _blank_page() -> Path:
    path = Path(tempfile.gettempdir()) / "flagdeck-test-page.html"
    path.write_text("<!doctype html><title>flagdeck test page</title>", encoding="utf-8")
    return path


def _load(page: QWebEnginePage, origin: str) -> None:
    if origin == "file://":
        page.load(QUrl.fromLocalFile(str(_blank_page())))
    else:
        page.setHtml("<!doctype html><title>t</title>", QUrl(origin.rstrip("/") + "/"))


def run(profile_dir: str, jobs: list[tuple[str, str]]) -> dict[str, object]:
    """jobs: (origin, javascript) pairs, run in order; returns {origin: result}."""
    app = QApplication.instance() or QApplication([sys.argv[0]])
    profile = QWebEngineProfile(PROFILE_NAME)
    profile.setPersistentStoragePath(profile_dir)
    page = QWebEnginePage(profile)
    results: dict[str, object] = {}
    pending = list(jobs)
    errors: list[str] = []

    def console(level: object, message: str, line: int, source: str) -> None:
        if "Error" in message:
            errors.append(message)

    page.javaScriptConsoleMessage = console  # type: ignore[method-assign]

    def next_job() -> None:
        if not pending:
            QTimer.singleShot(0, finish)
            return
        _load(page, pending[0][0])

    def loaded(ok: bool) -> None:
        origin, js = pending[0]

        def done(value: object) -> None:
            results[origin] = value
            pending.pop(0)
            next_job()

        page.runJavaScript(js, 0, done)

    def finish() -> None:
        # Tear down page, then profile, then quit: this order makes QtWebEngine commit
        # localStorage to disk; quitting with them alive crashes in aboutToQuit.
        page.deleteLater()
        QTimer.singleShot(100, profile.deleteLater)
        QTimer.singleShot(400, app.quit)

    page.loadFinished.connect(loaded)
    QTimer.singleShot(0, next_job)
    QTimer.singleShot(120_000, lambda: (errors.append("timeout"), finish()))
    app.exec()
    if errors:
        results["__errors__"] = errors
    return results


def main(argv: list[str]) -> int:
    if argv[0] == "write":
        spec = json.loads(Path(argv[1]).read_text())
        origins: dict[str, dict[str, str]] = spec.get("origins", {})
        fill: dict[str, int] = spec.get("fill", {})
        jobs = [
            (o, WRITE_JS % (json.dumps(origins.get(o, {})), int(fill.get(o, 0))))
            for o in list(dict.fromkeys([*origins, *fill]))
        ]
        out = run(spec["profile"], jobs)
    elif argv[0] == "read":
        out = {k: json.loads(v) if isinstance(v, str) else v
               for k, v in run(argv[1], [(o, READ_JS) for o in argv[2:]]).items()}
    else:
        print("usage: write SPEC | read PROFILE ORIGIN...", file=sys.stderr)
        return 2
    print(json.dumps(out))
    return 1 if "__errors__" in out else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
