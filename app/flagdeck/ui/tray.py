"""The tray icon and its menu (as Vorta's ``tray_menu.py``): the menu is rebuilt from the current
state each time it opens (``aboutToShow``), the icon follows every state change.

Menu: the target and what the flag does now; a checkable item per flag (a quick toggle, offered
with a reload when live); Emergency rollback (Level 1)…; Verify; Backups; Open console; Start at
login; Quit. Actions run through :class:`~flagdeck.ui.actions.Flows` and the session, never here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from flagdeck.describe import short
from flagdeck.errors import FlagdeckError
from flagdeck.ui import icons
from flagdeck.ui.actions import Flows
from flagdeck.ui.autostart import Autostart, launch_command
from flagdeck.ui.session import TargetSession
from flagdeck.ui.state import SHAPE_WORDS, Badge, FlagShape, runs_on, state_line
from flagdeck.ui.texts import level_text
from flagdeck.ui.timer_menu import TimerBoard
from flagdeck.ui.workers import error_text

RECENT_BACKUPS = 5


class Tray(QObject):
    fleet: Any = None  # ui.fleet_watch.FleetWatch, set by the app when it runs one

    def __init__(self, session: TargetSession, flows: Flows, autostart: Autostart,
                 open_console: Callable[[str | None, dict[str, Any] | None], None], quit_app: Callable[[], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.flows = flows
        self.autostart = autostart
        self.open_console = open_console
        self.quit_app = quit_app
        self.icon = QSystemTrayIcon(self)
        self.menu = QMenu()
        self.menu.setToolTipsVisible(True)
        self.menu.aboutToShow.connect(self.rebuild)
        self.menu.aboutToShow.connect(session.list_backups)  # the Backups submenu follows when they are listed
        self.backups_menu: QMenu | None = None
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self._drawn: tuple[Any, ...] | None = None
        self.timers = TimerBoard(session, self)  # timed toggles (issue 13): ui/timer_menu.py
        self.timers.changed.connect(self.update_icon)
        session.changed.connect(self.update_icon)
        session.backupsChanged.connect(self._fill_backups)
        flows.undoChanged.connect(self._refresh_open_menu)
        session.incident.boardChanged.connect(self._refresh_open_menu)
        self.update_icon()
        self.rebuild()

    def show(self) -> None:
        self.icon.show()

    # --- the icon -----------------------------------------------------------------------------------

    def update_icon(self) -> None:
        slug = self.session.target.slug if self.session.target else None
        shape, mark, link = self.session.shape(), self.session.badge(), self.session.link()
        timed = self.timers.badge_key(slug)
        tip = "\n".join([self.session.tooltip(), *self.timers.tooltip_lines(slug)])
        if (shape, mark, link, timed, tip) == self._drawn:
            return
        if self._drawn is None or self._drawn[:4] != (shape, mark, link, timed):
            self.icon.setIcon(self.timers.decorate(icons.state_icon(shape, mark, link), slug))
        self.icon.setToolTip(tip)
        self._drawn = (shape, mark, link, timed, tip)

    def _refresh_open_menu(self) -> None:
        if self.menu.isVisible():
            self.rebuild()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.open_console(None, None)

    # --- the menu -----------------------------------------------------------------------------------

    def _action(self, text: str, name: str, slot: Callable[[], Any] | None = None, *,
                icon: str | None = None, enabled: bool = True, tip: str = "") -> QAction:
        action = QAction(text, self.menu)
        action.setObjectName(name)
        if icon:
            action.setIcon(icons.page_icon(icon))
        action.setEnabled(enabled)
        if tip:
            action.setToolTip(tip)
        if slot is not None:
            action.triggered.connect(lambda _checked=False: slot())
        self.menu.addAction(action)
        return action

    def action(self, name: str) -> QAction | None:
        """The menu's action of that object name (tests, and the console's shortcuts)."""
        return next((a for a in self.all_actions() if a.objectName() == name), None)

    def all_actions(self) -> list[QAction]:
        out: list[QAction] = []
        for a in self.menu.actions():
            out.append(a)
            sub = a.menu()
            if isinstance(sub, QMenu):
                out += sub.actions()
        return out

    def rebuild(self) -> None:
        session = self.session
        self.menu.clear()
        snap = session.snapshot
        shape = session.shape()
        rollback_running = session.activity.rollback_running
        write_running = session.exclusive is not None

        header = self._action(session.label(), "target", lambda: self.open_console("flags", None), enabled=True,
                              tip=f"{session.location()} — open the console on this target")
        header.setIcon(icons.state_icon(shape, session.badge(), session.link()))
        font = header.font()
        font.setBold(True)
        header.setFont(font)
        self._action(state_line(session.shape_snapshot(), shape), "state", enabled=False)
        extra = session.activity_text()
        pending = session.model.pending()
        if extra and not (pending and extra.startswith("reload pending")):
            note = self._action(extra, "activity", lambda: self.open_console(
                "rollback" if session.activity.rollback_running else "verify", None))
            note.setIcon(icons.status_icon("running" if session.badge() is not Badge.VERIFY_FAILED else "fail"))
        if pending:
            line = self._action(f"Reload pending: the page still runs the old {', '.join(pending)}", "pending",
                                enabled=False)
            line.setIcon(icons.status_icon("pending"))
            self._action("Reload &now", "reload-now", lambda: self.flows.reload_now(source="tray"),
                         icon="refresh", enabled=not write_running,
                         tip="Reload the app's page so it runs the stored flags")
        self._incident_line()
        self.menu.addSeparator()

        if snap is not None and snap.status is not None and session.flags_known():
            busy_storage = snap.mode == "busy"
            for flag in snap.flag_states():
                if flag.type == "boolean":
                    item = self._action(flag.name, f"flag:{flag.name}",
                                        partial(self.flows.toggle_flag, flag.name, source="tray"),
                                        enabled=not busy_storage and not write_running,
                                        tip=flag.description or "")
                    item.setCheckable(True)
                    item.setChecked(runs_on(snap, flag))
                    self.timers.add_flag_menu(self.menu, flag.name, runs_on(snap, flag),
                                              enabled=not busy_storage and not write_running)
                else:
                    value = json.dumps(flag.effective, ensure_ascii=False)
                    self._action(f"{flag.name} = {value[:24]}…" if len(value) > 24 else f"{flag.name} = {value}",
                                 f"flag:{flag.name}", lambda: self.open_console("flags", None),
                                 tip="Edit it in the console")
            if busy_storage:
                self._action("The app holds its storage (no debug port): flags are read-only", "busy-note",
                             enabled=False)
        else:
            why = SHAPE_WORDS[shape] if shape is not FlagShape.UNKNOWN else "unknown"
            self._action(f"Flags {why}" + (f": {short(snap.error, 70)}" if snap and snap.error else ""), "no-flags",
                         enabled=False, tip=snap.error if snap and snap.error else "")
        offer = self.flows.offer
        if offer is not None:
            undo = self._action("&" + offer.text(), "undo", lambda: self.flows.undo(source="tray"),
                                enabled=not write_running, tip="Take the last quick toggle back")
            undo.setIcon(icons.page_icon("refresh"))
        self.timers.add_running(self.menu, session.target.slug if session.target else None)
        self.menu.addSeparator()

        if rollback_running:
            step = session.activity.rollback_step
            self._action(f"Rollback running{': ' + step if step else ''}…", "rollback",
                         lambda: self.open_console("rollback", None), icon="rollback")
        else:
            self._action("&Emergency rollback (Level 1)…", "rollback",
                         lambda: self.flows.emergency_rollback(source="tray"), icon="rollback",
                         enabled=shape is not FlagShape.NOT_FOUND and not write_running and not self.flows.preparing)
        self._action("Level &2 (code revert)…", "level2", lambda: self.open_console("rollback", {"level": 2}),
                     icon="rollback", tip="Open the console's guided code revert (Level 2 of the runbook)")
        self._action("Verify (running…)" if session.verifying else "&Verify", "verify",
                     lambda: session.start_verify(source="tray"), icon="verify",
                     enabled=not session.verifying and not write_running and shape is not FlagShape.NOT_FOUND,
                     tip=f"{session.exclusive} is running" if write_running else "")
        self._backups_menu(enabled=shape is not FlagShape.NOT_FOUND)
        self.menu.addSeparator()
        if self.fleet is not None and self.fleet.views:
            self.fleet.add_to(self.menu)
            self.menu.addSeparator()

        console = self._action("Open &console", "console", lambda: self.open_console(None, None))
        self.menu.setDefaultAction(console)
        login = self._action("Start at &login", "autostart", self._toggle_autostart, enabled=self.autostart.supported,
                             tip=self.autostart.location())
        login.setCheckable(True)
        login.setChecked(self.autostart.enabled())
        self._action("&Quit flagdeck", "quit", self.quit_app)

    def _incident_line(self) -> None:
        """The trigger board's level: what the runbook says to do now (opens the Rollback page)."""
        incident = self.session.incident
        if incident.checking and incident.board is None:
            self._action("Runbook: checking the triggers…", "incident", enabled=False)
            return
        board = incident.board
        if board is None:
            return
        words, level = level_text(board.level)
        item = self._action(f"Runbook: {words}", "incident", lambda: self.open_console("rollback", None),
                            enabled=board.level != "none", tip="Open the Rollback page: the triggers and the plan")
        item.setIcon(icons.status_icon({"ok": "pass", "error": "fail"}.get(level, level)))

    def _backups_menu(self, enabled: bool) -> None:
        if self.backups_menu is not None:
            self.backups_menu.deleteLater()  # the last rebuild's (``menu.clear()`` leaves submenus)
        sub = self.backups_menu = QMenu("&Backups", self.menu)
        sub.setIcon(icons.page_icon("backups"))
        sub.menuAction().setObjectName("backups")
        sub.menuAction().setEnabled(enabled)
        self._fill_backups()
        self.menu.addMenu(sub)

    def _fill_backups(self) -> None:
        """Take a backup, the newest ones, All backups…: drawn again when the list arrives."""
        sub = self.backups_menu
        if sub is None:
            return
        sub.clear()
        take = QAction("&Take a backup now", sub)
        take.setObjectName("backup:take")
        take.setEnabled(self.session.exclusive is None)
        take.triggered.connect(lambda: self.flows.take_backup(source="tray"))
        sub.addAction(take)
        sub.addSeparator()
        backups = self.session.backups
        for backup in backups[:RECENT_BACKUPS]:
            when = backup.created[:19].replace("T", " ")
            item = QAction(f"{when}  {backup.reason}", sub)
            item.setObjectName(f"backup:{backup.id}")
            item.triggered.connect(lambda _c=False, b=backup.id: self.open_console("backups", {"select": b}))
            sub.addAction(item)
        if not backups:
            none = QAction("No backups yet" if self.session.backups_listed else "Listing backups…", sub)
            none.setEnabled(False)
            sub.addAction(none)
        every = QAction("All backups…", sub)
        every.setObjectName("backup:all")
        every.triggered.connect(lambda: self.open_console("backups", None))
        sub.addSeparator()
        sub.addAction(every)

    def _toggle_autostart(self) -> None:
        try:
            if self.autostart.enabled():
                self.autostart.disable()
                self.session.notified.emit("Start at login off", f"removed {self.autostart.location()}", "info")
            else:
                self.autostart.enable(launch_command(hidden=True))
                self.session.notified.emit("Start at login on", f"flagdeck starts hidden in the tray "
                                                                f"({self.autostart.location()})", "info")
        except FlagdeckError as exc:
            self.session.notified.emit("Start at login", error_text(exc), "error")

