"""The QtWebEngine host: one window, one persistent profile laid out like an Electron userData dir.

Only ``run_host`` is public; import this module after ``environment.prepare_environment`` ran.

Profile: ``QWebEngineProfile`` with ``persistentStoragePath = <profile-dir>``, so Chromium writes
localStorage to ``<profile-dir>/Local Storage/leveldb`` and IndexedDB to ``<profile-dir>/IndexedDB``
(``cachePath`` is ``<profile-dir>/Cache``, so nothing lands in the user's home).

Shutdown (SIGTERM/SIGINT/SIGHUP, window close, ``--quit-after``) deletes the page, then the
profile, then quits: destroying the profile shuts its storage partition down, which commits
localStorage to disk. Quitting with the page alive would lose the last ~2 s of writes, the same
way Electron apps killed right after a write do (electron/electron#22048).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, QUrl
from PySide6.QtGui import QCloseEvent
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile, qWebEngineChromiumVersion
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QApplication

from flagdeck import __version__
from flagdeck.demo_target import state_file
from flagdeck.demo_target.host_log import HostLog, set_process_name
from flagdeck.demo_target.options import DemoOptions, relaunch_argv
from flagdeck.demo_target.page import DemoPage
from flagdeck.demo_target.signals import SignalWatcher
from flagdeck.executable import demo_target_command
from flagdeck.resources_path import resource_file

PROFILE_NAME = "demo-target"
CRASH_URL = "chrome://crash"
RELOAD_DELAY_MS = 1000
_TERMINATION = {
    QWebEnginePage.RenderProcessTerminationStatus.NormalTerminationStatus: "normal",
    QWebEnginePage.RenderProcessTerminationStatus.AbnormalTerminationStatus: "abnormal",
    QWebEnginePage.RenderProcessTerminationStatus.CrashedTerminationStatus: "crashed",
    QWebEnginePage.RenderProcessTerminationStatus.KilledTerminationStatus: "killed",
}


def make_profile(profile_dir: Path) -> QWebEngineProfile:
    """A persistent profile storing everything under ``profile_dir``."""
    try:
        from PySide6.QtWebEngineCore import QWebEngineProfileBuilder
    except ImportError:  # Qt < 6.9: set the paths on a named profile
        profile = QWebEngineProfile(PROFILE_NAME)
        profile.setPersistentStoragePath(str(profile_dir))
        profile.setCachePath(str(profile_dir / "Cache"))
        return profile
    builder = QWebEngineProfileBuilder()
    builder.setPersistentStoragePath(str(profile_dir))
    builder.setCachePath(str(profile_dir / "Cache"))
    return builder.createProfile(PROFILE_NAME)


class DemoWindow(QWebEngineView):
    """The app window; closing it runs the host's orderly shutdown instead of Qt's."""

    def __init__(self, host: DemoHost) -> None:
        super().__init__()
        self._host = host
        self.setWindowTitle("Demo Studio — flagdeck demo target")
        self.resize(1280, 800)

    def closeEvent(self, event: QCloseEvent) -> None:
        event.ignore()
        self._host.shutdown("window closed")


class DemoHost(QObject):
    """Owns the profile, page and window; turns page events and crashes into state and log lines."""

    def __init__(self, app: QApplication, opts: DemoOptions) -> None:
        super().__init__()
        self.app = app
        self.opts = opts
        self.profile_dir = opts.profile_dir
        index = opts.app_dir / "index.html" if opts.app_dir else resource_file("demo", "index.html")
        self.url = QUrl.fromLocalFile(str(index))
        self.crashes = 0
        self.stopping = False
        self._port_lock = threading.Lock()
        self.host_log = HostLog(self.profile_dir)
        self.state = state_file.StateFile(self.profile_dir, self._initial_state())
        self.profile: QWebEngineProfile | None = make_profile(self.profile_dir)
        self.page: DemoPage | None = DemoPage(self.profile, self._page_config(), self._emit)
        self.window = DemoWindow(self)
        self.window.setPage(self.page)
        self.page.hostEvent.connect(self._on_host_event)
        self.page.renderProcessTerminated.connect(self._on_renderer_terminated)
        self.page.loadStarted.connect(lambda: self._set_status("loading"))
        self.page.loadFinished.connect(self._on_load_finished)
        self.page.windowCloseRequested.connect(lambda: self.shutdown("window.close() from the page"))

    def _emit(self, line: str, error: bool) -> None:
        self.host_log.line(line, error=error)

    def log(self, message: str, *, error: bool = False) -> None:
        self.host_log.line(f"[demo-target] {message}", error=error)

    # --- start ----------------------------------------------------------------------------------

    def _initial_state(self) -> dict[str, Any]:
        argv = list(self.opts.argv)
        return {
            "pid": os.getpid(),
            "port": self.opts.debug_port or None,
            "argv": argv,
            "command": demo_target_command(*relaunch_argv(argv, self.profile_dir)),
            "cwd": os.getcwd(),
            "version": __version__,
            "chromiumVersion": qWebEngineChromiumVersion(),
            "profileDir": str(self.profile_dir),
            "url": self.url.toString(),
            "origin": "file://",
            "faults": list(self.opts.faults.specs),
            "status": "starting",
            "startedAt": state_file.now_iso(),
            "rendererCrashes": 0,
            "lastCrash": None,
        }

    def _page_config(self) -> dict[str, Any]:
        return {
            "env": dict(self.opts.env),
            "faults": self.opts.faults.to_page(),
            "seedMessages": self.opts.seed_messages,
            "host": {"version": __version__, "pid": os.getpid(), "debugPort": self.opts.debug_port or None},
        }

    def start(self) -> None:
        if self.opts.debug_port:
            state_file.write_port_file(self.profile_dir, self.opts.debug_port)
            threading.Thread(target=self._resolve_browser_path, name="devtools-port", daemon=True).start()
        if self.opts.quit_after:
            QTimer.singleShot(int(self.opts.quit_after * 1000), lambda: self.shutdown("--quit-after"))
        self.window.show()
        assert self.page is not None
        self.page.load(self.url)
        self.log(f"pid {os.getpid()}, profile {self.profile_dir}, page {self.url.toString()}")
        if self.opts.faults.any:
            self.log(f"faults (unified path only): {', '.join(self.opts.faults.specs)}")

    def _resolve_browser_path(self) -> None:
        path = state_file.browser_ws_path(self.opts.debug_port)
        with self._port_lock:
            if path and not self.stopping:
                state_file.write_port_file(self.profile_dir, self.opts.debug_port, path)

    # --- page events ------------------------------------------------------------------------------

    def _set_status(self, status: str, **fields: Any) -> None:
        if not self.stopping:
            self.state.update(status=status, **fields)

    def _on_load_finished(self, ok: bool) -> None:
        if not ok and not self.stopping and self.page is not None and self.page.url() == self.url:
            self.log(f"failed to load {self.url.toString()}", error=True)
            self._set_status("load-failed")

    def _on_host_event(self, event: str, data: dict[str, Any]) -> None:
        if event == "ready":
            flags, sources = json.dumps(data.get("flags")), json.dumps(data.get("flagSources"))
            self.log(f"ready in {data.get('bootMs', '?')} ms: path={data.get('path')} flags={flags} sources={sources}")
            self._set_status("ready", page=data, readyAt=state_file.now_iso())
        elif event == "crash-requested":
            reason = data.get("reason", "no reason")
            self.log(f"page requested a renderer crash ({reason}); loading {CRASH_URL}", error=True)
            if self.page is not None and not self.stopping:
                QTimer.singleShot(0, lambda: self.page and self.page.load(QUrl(CRASH_URL)))
        elif event == "boot-failed":
            self.log(f"page start-up failed: {data.get('error')}", error=True)
            self._set_status("boot-failed", page=data)
        else:
            self.log(f"unknown page event {event!r}: {data}")

    def _on_renderer_terminated(self, status: QWebEnginePage.RenderProcessTerminationStatus, code: int) -> None:
        if self.stopping:
            return
        name = _TERMINATION.get(status, str(status))
        if status == QWebEnginePage.RenderProcessTerminationStatus.NormalTerminationStatus:
            self.log("renderer process exited normally")
            return
        self.crashes += 1
        allowed = self.opts.faults.crash_reloads
        self.log(f"renderer process terminated: {name} (exit code {code}); crash #{self.crashes}", error=True)
        crash = {"status": name, "exitCode": code, "at": state_file.now_iso()}
        self._set_status("renderer-crashed", rendererCrashes=self.crashes, lastCrash=crash)
        if self.crashes <= allowed:
            self.log(f"reloading the page (reload {self.crashes} of {allowed})")
            QTimer.singleShot(RELOAD_DELAY_MS, lambda: self.page and not self.stopping and self.page.load(self.url))
        else:
            self.log("not reloading; the window stays blank until the target is restarted")

    # --- stop ---------------------------------------------------------------------------------

    def shutdown(self, reason: str) -> None:
        """Delete page, then profile (this flushes localStorage), then quit the event loop."""
        if self.stopping:
            return
        self.log(f"shutting down ({reason})")
        with self._port_lock:
            self.stopping = True
        self.state.update(status="stopping", exitReason=reason)
        self.window.hide()
        self.window.setPage(None)  # type: ignore[arg-type]
        page, self.page = self.page, None
        if page is None:
            self._delete_profile()
            return
        page.destroyed.connect(self._delete_profile)
        page.deleteLater()

    def _delete_profile(self) -> None:
        profile, self.profile = self.profile, None
        if profile is None:
            self.app.quit()
            return
        profile.destroyed.connect(self.app.quit)
        profile.deleteLater()

    def finish(self) -> None:
        """After the event loop: the port file goes, the state file says ``exited``."""
        if self.opts.debug_port:
            state_file.remove_port_file(self.profile_dir)
        self.state.update(status="exited", exitedAt=state_file.now_iso())


def run_host(opts: DemoOptions) -> int:
    """Run the window until a signal, a window close or ``--quit-after``; 0 on a clean exit (the
    profile folder exists: ``cli.make_profile_dir`` made it)."""
    set_process_name()
    app = QApplication([sys.argv[0] if sys.argv else "flagdeck-demo-target"])
    app.setApplicationName("flagdeck-demo-target")
    app.setQuitOnLastWindowClosed(False)
    host: DemoHost | None = None
    # Installed first: a signal during start-up waits in the socket until the loop runs.
    watcher = SignalWatcher(lambda signum: host.shutdown(f"signal {signum}") if host else app.quit())
    host = DemoHost(app, opts)
    host.start()
    try:
        app.exec()
    finally:
        watcher.close()
        host.finish()
        host.log("exited")
        host.host_log.close()
    return 0
