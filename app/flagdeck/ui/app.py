"""``flagdeck tray``: the composition root of the desktop app.

Order matters for a quick, quiet start: check the display (one line instead of Qt's abort), hand
over to an instance already running (before building any window), create the QApplication, show
the tray icon, and only then read the target (on a worker; the icon says "unknown" until the first
read confirms something). The console window is built the first time it is opened.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass
from typing import Any

from flagdeck import paths
from flagdeck.errors import UsageError
from flagdeck.targets.resolve import TargetOptions
from flagdeck.ui import platform_check

log = logging.getLogger("flagdeck.ui")

TRAY_WAIT_MS = 10_000  # a --hidden start at login may come before the panel: wait this long for a tray
LOG_FILE = "tray.log"


@dataclass(frozen=True)
class TrayOptions:
    hidden: bool = False
    target: TargetOptions | None = None  # None: the one picked last in the UI (else the demo preset)
    page: str | None = None
    verbose: bool = False
    demo_fault: str | None = None  # ``flagdeck demo`` with a display: start the incident in the console


def log_path() -> Any:
    return paths.sub_dir("logs") / LOG_FILE


def setup_logging(verbose: bool) -> None:
    root = logging.getLogger("flagdeck")
    root.setLevel(logging.INFO)
    if any(getattr(h, "_flagdeck_ui", False) for h in root.handlers):
        return
    path = log_path()
    file_handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=2, encoding="utf-8")
    os.chmod(path, 0o600)
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    file_handler._flagdeck_ui = True  # type: ignore[attr-defined]
    root.addHandler(file_handler)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.INFO if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter("flagdeck: %(message)s"))
    console._flagdeck_ui = True  # type: ignore[attr-defined]
    root.addHandler(console)


def main(opts: TrayOptions) -> int:
    """Run the tray until Quit; returns the exit code. Raises ``UsageError`` with one line when no
    window can open here."""
    started = time.monotonic()
    problem = platform_check.display_problem()
    if problem:
        raise UsageError(problem)
    from flagdeck.ui import single_instance

    reply = single_instance.send({"cmd": "ping" if opts.hidden else "show", "page": opts.page})
    if reply is not None:
        if reply.get("ok"):
            what = "left it as it is" if opts.hidden else "brought its console forward"
            print(f"flagdeck is already running (pid {reply.get('pid')}): {what}", file=sys.stderr)
            return 0
        raise UsageError(f"another flagdeck answers but refused: {reply.get('error')}")

    from PySide6.QtWidgets import QApplication

    setup_logging(opts.verbose)
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "flagdeck"])
    assert isinstance(app, QApplication)
    shell = FlagdeckApp(app, opts, started=started)
    if not shell.start():
        return 0
    code = int(app.exec())
    shell.shutdown()
    return code


class FlagdeckApp:
    """Builds and owns everything the tray process runs."""

    def __init__(self, app: Any, opts: TrayOptions, *, started: float | None = None, runner: Any = None,
                 handle_signals: bool = True) -> None:
        from PySide6.QtWidgets import QApplication

        from flagdeck import history
        from flagdeck.ui.action_log import ActionLog
        from flagdeck.ui.actions import Flows
        from flagdeck.ui.autostart import backend
        from flagdeck.ui.icons import app_icon
        from flagdeck.ui.session import TargetSession
        from flagdeck.ui.settings import UiSettings
        from flagdeck.ui.workers import TaskRunner

        self.app: QApplication = app
        self.opts = opts
        self.started = started if started is not None else time.monotonic()
        app.setApplicationName("flagdeck")
        app.setApplicationDisplayName("flagdeck")
        app.setDesktopFileName("io.github.flagdeck")  # the desktop entry flagdeck desktop install writes
        app.setWindowIcon(app_icon())
        app.setQuitOnLastWindowClosed(False)
        self._themed = False  # the style sheet is applied once the icon shows (or a window opens)
        self.settings = UiSettings()
        options = opts.target
        if options is not None:
            self.settings.set_target_options(options)
        else:
            options = self.settings.target_options() or TargetOptions()
        self.runner = runner or TaskRunner()
        self.action_log = ActionLog()
        self.session = TargetSession(self.runner, self.action_log, options,
                                     auto_check=lambda: self.settings.auto_check_triggers)
        self.flows = Flows(self.session, self.settings)
        icon_path = _icon_file()
        self.autostart = backend(icon=icon_path)
        self.tray: Any = None
        self.fleet: Any = None  # ui.fleet_watch.FleetWatch: targets following a fleet source
        self.console: Any = None
        self.notifier: Any = None
        self.server: Any = None
        self._signals: Any = None
        self._waited_ms = 0
        self._last_notice = ""
        self._hook: Any = None
        self.internal_errors: list[str] = []  # bugs caught and told (tests check there are none)
        self._shut = False
        self.handle_signals = handle_signals
        self._history_how = history.default_how()
        history.set_default_how("tray")  # what this process writes is recorded as from the tray

    # --- start --------------------------------------------------------------------------------------

    def start(self) -> bool:
        """Listen for later launches, show the tray (or the console); False: another instance won."""
        from flagdeck.ui.single_instance import InstanceServer

        self.server = InstanceServer()
        if not self.server.listen():
            from flagdeck.ui import single_instance

            single_instance.send({"cmd": "ping" if self.opts.hidden else "show", "page": self.opts.page})
            print("flagdeck is already running", file=sys.stderr)
            return False
        self.server.requested.connect(self._requested)
        if self.handle_signals:
            self._signals = _SignalWaker(self.quit)
        self.session.notified.connect(self._notify)
        self._start_fleet()
        self.runner.callbackFailed.connect(lambda name, exc: self._internal_error(name, exc))
        self._hook, sys.excepthook = sys.excepthook, self._uncaught
        self._show_shell()
        self.session.start_watching()
        if self.opts.demo_fault:
            self.open_console("rollback", None)
            self.console.start_demo(self.opts.demo_fault)
        return True

    def _show_shell(self) -> None:
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QSystemTrayIcon

        from flagdeck.ui.notifications import LogNotifier

        if QSystemTrayIcon.isSystemTrayAvailable():
            self._make_tray()
            if not self.opts.hidden:
                self.open_console(self.opts.page, None)
            return
        if self.opts.hidden and self._waited_ms < TRAY_WAIT_MS:
            self._waited_ms += 500
            QTimer.singleShot(500, self._show_shell)  # the panel may not be up yet at login
            return
        self.notifier = LogNotifier()
        log.warning("no system tray on this desktop: the console window is open instead")
        self.open_console(self.opts.page, None)
        self.console.say_no_tray()

    def _make_tray(self) -> None:
        from PySide6.QtCore import QTimer

        from flagdeck.ui.notifications import TrayNotifier
        from flagdeck.ui.tray import Tray

        self.tray = Tray(self.session, self.flows, self.autostart, self.open_console, self.quit)
        self.tray.fleet = self.fleet
        self.tray.icon.messageClicked.connect(self._message_clicked)
        self.tray.show()
        self.notifier = TrayNotifier(self.tray.icon)
        QTimer.singleShot(0, self._report_shown)

    def _report_shown(self) -> None:
        self._apply_theme()
        log.info("tray icon shown %.3f s after start (platform %s)", time.monotonic() - self.started,
                 self.app.platformName())

    def _start_fleet(self) -> None:
        """Follow the targets connected to a fleet source (none: nothing of it is imported)."""
        from flagdeck.fleet.connection import all_connections

        if all_connections():
            from flagdeck.ui.fleet_watch import FleetWatch

            self.fleet = FleetWatch(self._notify)
            self.fleet.start()

    # --- the console --------------------------------------------------------------------------------

    def _apply_theme(self) -> None:
        if not self._themed:
            from flagdeck.ui import theme

            theme.apply(self.app)
            self._themed = True

    def open_console(self, page: str | None = None, params: dict[str, Any] | None = None) -> None:
        self._apply_theme()
        if self.console is None:
            from flagdeck.ui.console.page import ConsoleContext
            from flagdeck.ui.console.window import ConsoleWindow

            ctx = ConsoleContext(self.session, self.flows, self.settings)
            self.console = ConsoleWindow(ctx, tray=self.tray is not None, quit_app=self.quit)
        self.console.present(page, params)

    def _requested(self, message: dict[str, Any]) -> None:
        if message.get("cmd") == "show":
            log.info("a second launch asked for the console")
            self.open_console(message.get("page"), None)

    def _notify(self, title: str, message: str, level: str) -> None:
        self._last_notice = title
        if self.notifier is not None:
            self.notifier.notify(title, message, level)  # type: ignore[arg-type]

    def _message_clicked(self) -> None:
        """A click on the notification: Undo when it offered one, else the console."""
        offer = self.flows.offer
        if offer is not None and offer.title == self._last_notice:
            self.flows.undo(source="tray")
        else:
            self.open_console(None, None)

    # --- what must never end the process ------------------------------------------------------------

    def _internal_error(self, where: str, exc: BaseException) -> None:
        """A bug in a view (logged with its traceback where it happened): told, and on the Log as a
        failed action, while flagdeck goes on."""
        from flagdeck.ui.workers import error_text

        text = error_text(exc)
        self.internal_errors.append(f"{where}: {text}")
        self.action_log.finish(self.action_log.start(f"{where} (internal error)", self.session.label(), "flagdeck"),
                               "failed", text)
        self.session.notified.emit(f"{where} failed", text, "error")

    def _uncaught(self, kind: type[BaseException], exc: BaseException, tb: Any) -> None:
        """``sys.excepthook`` while the tray runs: an exception in a slot (a click, a page) ends
        nothing: it is logged with its traceback, notified, and marked failed on the Log."""
        if issubclass(kind, KeyboardInterrupt | SystemExit):
            (self._hook or sys.__excepthook__)(kind, exc, tb)
            return
        log.error("uncaught exception in the UI", exc_info=(kind, exc, tb))
        try:
            self._internal_error("A window action", exc)
        except Exception:
            log.exception("telling about an uncaught exception failed")

    # --- quit ---------------------------------------------------------------------------------------

    def quit(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        if self.session.activity.rollback_running:
            answer = QMessageBox.question(None, "Quit flagdeck", "A rollback is running. Quit when it has finished?")
            if answer != QMessageBox.StandardButton.Yes:
                return
            self.session.rollbackFinished.connect(lambda _r: self._quit_now())
            return
        self._quit_now()

    def _quit_now(self) -> None:
        """Qt 6 asks every window to close before it quits and gives up if one refuses: the console
        (which hides on close while the tray runs) is told to close for real first."""
        if self.console is not None:
            self.console.quitting = True
        self.app.quit()

    def shutdown(self) -> None:
        """After the event loop: stop watching, cancel the work still running and wait for every
        worker (a cancelled comparison puts its flag back first), stop the demo target this
        process started unless it is kept, then delete the windows while Qt still runs."""
        from PySide6.QtCore import QCoreApplication, QEvent

        if self._shut:
            return
        self._shut = True
        self.session.stop()
        if self.fleet is not None:
            self.fleet.stop()
        self.runner.cancel_all()
        if self.server is not None:
            self.server.close()
        if self.tray is not None:
            self.tray.icon.hide()
        if not self.runner.wait(120_000):
            log.warning("work still running at quit: %s", ", ".join(t.name for t in self.runner.running))
        self._stop_demo()
        for widget in (self.console, self.tray):
            if widget is not None:
                widget.deleteLater()
        if self.tray is not None:
            self.tray.menu.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        self.console = self.tray = None
        if self._hook is not None:
            sys.excepthook, self._hook = self._hook, None
        from flagdeck import history

        history.set_default_how(self._history_how)
        log.info("flagdeck tray stopped")

    def _stop_demo(self) -> None:
        """The demo target the console started stops with flagdeck (File > Keep the demo running)."""
        demo = self.session.demo_target
        if demo is None or self.settings.keep_demo_running:
            return
        from flagdeck.errors import FlagdeckError
        from flagdeck.targets import launch, process

        holder = process.lock_holder(demo.lock_file)
        if holder is None:
            return
        log.info("stopping the demo target this flagdeck started (pid %s)", holder.pid)
        try:
            launch.close_gracefully(holder.pid, demo.lock_file, port=demo.debug_port)
        except (FlagdeckError, OSError) as exc:
            log.warning("could not stop the demo target: %s", exc)


class _SignalWaker:
    """SIGTERM/SIGINT quit the tray cleanly without a polling timer: the signal writes to a socket
    that a QSocketNotifier watches (``signal.set_wakeup_fd``)."""

    def __init__(self, quit_app: Any) -> None:
        from PySide6.QtCore import QSocketNotifier

        self.quit_app = quit_app
        self.read, self.write = socket.socketpair()
        self.read.setblocking(False)
        self.write.setblocking(False)
        try:
            signal.set_wakeup_fd(self.write.fileno())
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_a: None)
        except ValueError:  # not the main thread (tests): no signal handling
            self.notifier = None
            return
        self.notifier = QSocketNotifier(self.read.fileno(), QSocketNotifier.Type.Read)
        self.notifier.activated.connect(self._woken)

    def _woken(self) -> None:
        try:
            self.read.recv(64)
        except OSError:
            pass
        log.info("signal received: quitting")
        self.quit_app()


def _icon_file() -> str | None:
    try:
        from flagdeck.resources_path import resource_file

        path = resource_file("icons", "flagdeck.svg")
        return str(path) if path.is_file() else None
    except OSError:
        return None
