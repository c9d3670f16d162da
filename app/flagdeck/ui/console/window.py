"""The console window: the target bar, a page list, the pages (built when first shown), menus with
keyboard shortcuts and a status bar. Closing it hides it while the tray runs; without a tray it is
the application and closing it quits."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from flagdeck import __version__
from flagdeck.targets.resolve import TargetOptions
from flagdeck.ui import icons
from flagdeck.ui.console import widgets
from flagdeck.ui.console.backups_page import BackupsPage
from flagdeck.ui.console.evidence_page import EvidencePage
from flagdeck.ui.console.flags_page import FlagsPage
from flagdeck.ui.console.history_page import HistoryPage
from flagdeck.ui.console.incident_banner import IncidentBanner
from flagdeck.ui.console.log_page import LogPage
from flagdeck.ui.console.page import ConsoleContext, Page
from flagdeck.ui.console.perf_page import PerfPage
from flagdeck.ui.console.rollback_page import RollbackPage
from flagdeck.ui.console.status_line import StatusLine
from flagdeck.ui.console.target_dialog import TargetDialog
from flagdeck.ui.console.verify_page import VerifyPage
from flagdeck.ui.state import Badge, FlagShape, state_line

FAULTS = ("data-loss", "slow=3", "error-rate=0.3", "leak=60", "crash-on-start")


PAGES: tuple[type[Page], ...] = (FlagsPage, RollbackPage, VerifyPage, BackupsPage, LogPage, PerfPage, EvidencePage,
                                 HistoryPage)


class ConsoleWindow(QMainWindow):
    def __init__(self, ctx: ConsoleContext, *, tray: bool, quit_app: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.session = ctx.session
        self.tray = tray
        self.quit_app = quit_app
        self.setWindowTitle("flagdeck")
        self.setWindowIcon(icons.app_icon())
        self.setMinimumSize(940, 600)
        self.classes = list(PAGES)
        self.pages: dict[str, Page] = {}
        self.quitting = False  # set by the app before it quits: the window then closes for real

        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self._target_bar())
        self.no_tray = widgets.Banner()
        outer.addWidget(self.no_tray)
        self.incident = IncidentBanner(self.session.incident, self.rollback, self._show_triggers)
        outer.addWidget(self.incident.holder)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setIconSize(QSize(20, 20))
        self.nav.setFixedWidth(188)
        self.stack = QStackedWidget()
        for number, cls in enumerate(self.classes, 1):
            entry = QListWidgetItem(icons.page_icon(cls.icon), cls.title)
            entry.setSizeHint(QSize(0, 36))
            entry.setData(Qt.ItemDataRole.UserRole, cls.key)
            entry.setToolTip(f"{cls.title} (Ctrl+{number})")
            self.nav.addItem(entry)
            self.stack.addWidget(QWidget())  # placeholder: the page is built when first shown
        self.nav.currentRowChanged.connect(self._row_changed)
        body.addWidget(self.nav)
        body.addWidget(self.stack, 1)
        outer.addLayout(body, 1)
        self.setCentralWidget(central)

        self.status = StatusLine(self.statusBar(), ctx.flows)
        self._menus()
        self.session.changed.connect(self._render_state)
        self.session.targetChanged.connect(self._render_state)
        self.session.notified.connect(self._notified)
        self.session.actionFailed.connect(lambda action, text: self.status.show_message(f"{action}: {text}"))
        geometry = ctx.settings.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1180, 760)
        self._render_state()
        start = str(ctx.settings.value("console/page", "flags"))
        self.show_page(start if start in [c.key for c in self.classes] else "flags")

    # --- building -----------------------------------------------------------------------------------

    def _target_bar(self) -> QFrame:
        bar = QFrame()
        bar.setObjectName("targetBar")
        layout = QHBoxLayout(bar)
        layout.setContentsMargins(18, 10, 14, 10)
        layout.setSpacing(12)
        self.state_icon = QLabel()
        self.state_icon.setFixedSize(40, 40)
        names = QVBoxLayout()
        names.setSpacing(0)
        self.target_name = QLabel()
        self.target_name.setObjectName("targetName")
        self.target_name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.target_state = QLabel()
        self.target_state.setProperty("muted", True)
        self.target_state.setWordWrap(True)
        self.target_activity = QLabel()
        self.target_activity.setObjectName("activity")
        keep = self.target_activity.sizePolicy()
        keep.setRetainSizeWhenHidden(True)  # the header keeps its height when "working:" comes and goes
        self.target_activity.setSizePolicy(keep)
        self.target_activity.hide()
        names.addWidget(self.target_name)
        names.addWidget(self.target_state)
        names.addWidget(self.target_activity)
        self.reload_now = QPushButton(icons.page_icon("refresh"), "Reload the app now")
        self.reload_now.setObjectName("primary")
        self.reload_now.setToolTip("The page still runs the old value: reload it so it runs the stored flags")
        self.reload_now.clicked.connect(lambda: self.ctx.flows.reload_now(source="console"))
        self.reload_now.hide()
        change = QPushButton(icons.page_icon("target"), "Change target…")
        change.setToolTip("Pick a preset, a running app or a folder (Ctrl+T)")
        change.clicked.connect(self.change_target)
        refresh = QPushButton(icons.page_icon("refresh"), "Refresh")
        refresh.setToolTip("Read the flags again (F5)")
        refresh.clicked.connect(lambda: self.session.refresh("refresh"))
        layout.addWidget(self.state_icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(names, 1)
        layout.addWidget(self.reload_now)
        layout.addWidget(change)
        layout.addWidget(refresh)
        return bar

    def _menus(self) -> None:
        def act(menu: Any, text: str, slot: Any, shortcut: str | QKeySequence.StandardKey | None = None,
                name: str = "") -> QAction:
            action = QAction(text, self)
            if shortcut is not None:
                action.setShortcut(QKeySequence(shortcut))
            if name:
                action.setObjectName(name)
            action.triggered.connect(lambda _c=False: slot())
            menu.addAction(action)
            return action

        bar = self.menuBar()
        file = bar.addMenu("&File")
        act(file, "Change &target…", self.change_target, "Ctrl+T", "change-target")
        act(file, "Start the &demo incident…", self.start_demo, None, "demo")
        act(file, "Team &alerts…", self.team_alerts, None, "alerts")
        file.addSeparator()
        options = bar.addMenu("&Options")
        settings = self.ctx.settings
        for text, name, key in (("&Ask before a quick toggle", "confirm-toggle", "confirm_toggle"),
                                ("&Check the triggers by themselves while the app is live", "auto-check",
                                 "auto_check_triggers"),
                                ("&Keep the demo target running after quitting", "keep-demo", "keep_demo_running")):
            option = act(options, text, lambda: None, None, name)
            option.setCheckable(True)
            option.setChecked(bool(getattr(settings, key)))
            option.toggled.connect(lambda on, k=key: setattr(settings, k, on))
        act(file, "&Close window", self.close, QKeySequence.StandardKey.Close)
        act(file, "&Quit flagdeck", self.quit_app, QKeySequence.StandardKey.Quit, "quit")
        actions = bar.addMenu("&Actions")
        act(actions, "&Refresh", lambda: self.session.refresh("refresh"), "F5", "refresh")
        act(actions, "&Emergency rollback (Level 1)…", self.rollback, "Ctrl+Shift+R", "rollback")
        act(actions, "&Verify", lambda: (self.show_page("verify"), self.pages["verify"].run()),  # type: ignore[attr-defined]
            "Ctrl+Shift+V", "verify")
        act(actions, "Take a &backup", lambda: self.ctx.flows.take_backup(source="console"), "Ctrl+B", "backup")
        act(actions, "&Launch the app with a debug port", self.launch, None, "launch")
        go = bar.addMenu("&Go")
        for number, cls in enumerate(self.classes, 1):
            act(go, cls.title, lambda k=cls.key: self.show_page(k), f"Ctrl+{number}", f"go:{cls.key}")
        help_menu = bar.addMenu("&Help")
        act(help_menu, "&About flagdeck", self.about)

    # --- pages --------------------------------------------------------------------------------------

    def page(self, key: str) -> Page:
        """The page (built now if it was not yet)."""
        if key not in self.pages:
            index = next(i for i, c in enumerate(self.classes) if c.key == key)
            page = self.classes[index](self.ctx)
            page.navigate.connect(self._navigate)
            old = self.stack.widget(index)
            if old is not None:
                self.stack.removeWidget(old)
                old.deleteLater()
            self.stack.insertWidget(index, page)
            self.pages[key] = page
        return self.pages[key]

    def show_page(self, key: str, params: dict[str, Any] | None = None) -> Page:
        page = self.page(key)
        index = self.stack.indexOf(page)
        self.stack.setCurrentIndex(index)
        if self.nav.currentRow() != index:
            self.nav.blockSignals(True)
            self.nav.setCurrentRow(index)
            self.nav.blockSignals(False)
        self.ctx.settings.set_value("console/page", key)
        if params:
            page.open_with(params)
        else:
            page.activated()
        return page

    def _show_triggers(self) -> None:
        self.show_page("rollback")

    def _navigate(self, key: str, params: dict[str, Any]) -> None:
        """A page asks for another page, or for the team alerts dialog (``alerts``)."""
        if key == "alerts":
            self.team_alerts()
        else:
            self.show_page(key, params)

    def _row_changed(self, row: int) -> None:
        if 0 <= row < len(self.classes):
            self.show_page(self.classes[row].key)

    def present(self, key: str | None = None, params: dict[str, Any] | None = None) -> None:
        """Show, raise and focus the window (a second launch, the tray's Open console)."""
        if key and key in [c.key for c in self.classes]:
            self.show_page(key, params)
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    def say_no_tray(self) -> None:
        self.no_tray.show_message("No system tray was found on this desktop: flagdeck runs in this window, and "
                                  "closing it quits flagdeck.", "warning")

    # --- state --------------------------------------------------------------------------------------

    def _render_state(self) -> None:
        session = self.session
        shape = session.shape()
        self.state_icon.setPixmap(icons.state_icon(shape, session.badge(), session.link()).pixmap(40, 40))
        self.target_name.setText(session.label())
        self.target_name.setToolTip(session.location())
        snap = session.shape_snapshot()
        line = state_line(snap, shape)
        if snap is not None and snap.error and shape in (FlagShape.UNKNOWN, FlagShape.NOT_FOUND):
            line += f" — {snap.error}"
        self.target_state.setText(line)
        self.target_state.setToolTip(session.tooltip())
        extra = session.activity_text()
        colour = "#b71c1c" if session.badge() is Badge.VERIFY_FAILED else (
            "#0d47a1" if session.badge() is Badge.PENDING_RELOAD else "#e65100")
        self.target_activity.setText(f"<span style='color:{colour}; font-weight:bold'>{extra}</span>")
        self.target_activity.setVisible(bool(extra))
        self.reload_now.setVisible(bool(session.model.pending()))
        self.reload_now.setEnabled(session.exclusive is None)
        self.setWindowTitle(f"{session.label()} — flagdeck")

    def _notified(self, title: str, message: str, level: str) -> None:
        self.status.show_message(f"{title}: {message}")

    # --- actions ------------------------------------------------------------------------------------

    def change_target(self) -> None:
        dialog = TargetDialog(self.session, self)

        def chosen(code: int) -> None:
            if code and dialog.chosen is not None:
                self.ctx.settings.set_target_options(dialog.chosen)
                self.session.set_options(dialog.chosen)
            dialog.deleteLater()

        dialog.finished.connect(chosen)
        dialog.open()

    def rollback(self) -> None:
        self.show_page("rollback")
        self.pages["rollback"].start()  # type: ignore[attr-defined]

    def launch(self, confirm: bool = True) -> None:
        """``flagdeck launch [--restart]``: start the app (or restart it) with a loopback debug port."""
        from flagdeck.ui.jobs.app_jobs import LaunchJob

        if not confirm or QMessageBox.question(
                self, "Launch — flagdeck", "Start the app with a loopback debug port? A running app is closed "
                "gracefully first.") == QMessageBox.StandardButton.Yes:
            self.session.start(LaunchJob(self.session))

    def start_demo(self, fault: str | None = None) -> None:
        """``flagdeck demo``'s first step: the demo target with the unified path on and a fault."""
        from flagdeck.ui.jobs.app_jobs import DemoJob

        if fault is None:
            fault, ok = QInputDialog.getItem(self, "Demo incident — flagdeck",
                                             "Start the demo target with the unified DB path on and this fault:",
                                             list(FAULTS), 0, False)
            if not ok:
                return
        self.session.start(DemoJob(self.session, fault, on_done=lambda _r: self.ctx.settings.set_target_options(
            TargetOptions(target="demo")), on_progress=lambda text: self.status.show_message(str(text), 10000)))

    def team_alerts(self) -> None:
        from flagdeck.ui.console.alerts_dialog import AlertsDialog

        dialog = AlertsDialog(self.session, self)
        dialog.finished.connect(lambda _code: dialog.deleteLater())
        dialog.open()
        self.alerts = dialog

    def about(self) -> None:
        QMessageBox.about(self, "About flagdeck", f"<b>flagdeck {__version__}</b><br>Feature flags, Level-1 "
                          "rollback and verification for Electron/Chromium desktop apps.<br><br>Every action here is "
                          "also a <code>flagdeck</code> command.")

    # --- closing ------------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        self.ctx.settings.set_geometry(self.saveGeometry())
        if self.tray and not self.quitting:
            event.ignore()
            self.hide()
            return
        event.accept()
        if not self.quitting:
            QTimer.singleShot(0, self.quit_app)
