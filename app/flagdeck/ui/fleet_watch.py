"""The tray's fleet watch: every target connected to a fleet source is followed continuously
(:class:`flagdeck.fleet.watch.Watcher` on a thread of its own per connection: provider change
events, the client's polling, pending writes retried), and the tray shows it.

Self-contained: the tray calls :meth:`FleetWatch.add_to` while it rebuilds its menu, and the app
starts and stops the watch and passes its notifier; nothing else in ``ui/`` knows about fleets.
The menu gets a "Fleet: connected / stale / error" submenu per connection with the pending and
pinned flags, a Release item per pin and Sync now.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from flagdeck.describe import short
from flagdeck.storage.flags import js_repr

log = logging.getLogger("flagdeck.ui.fleet")

Notify = Callable[[str, str, str], None]


@dataclass
class FleetView:
    """What the tray shows of one connection."""

    source: str
    target_name: str
    state: str = "connecting"  # connected | stale | error | connecting
    detail: str = ""
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)
    pins: dict[str, dict[str, Any]] = field(default_factory=dict)

    def headline(self) -> str:
        return f"Fleet: {self.state} ({self.target_name})"


class FleetWatch(QObject):
    """Owns one watcher thread per fleet connection; ``changed`` after every report (GUI thread)."""

    changed = Signal()
    _reported = Signal(object)  # from the watcher threads to the GUI thread (queued)

    def __init__(self, notify: Notify | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.notify = notify or (lambda title, message, level: None)
        self.views: dict[str, FleetView] = {}
        self._watchers: dict[str, Any] = {}
        self._threads: list[threading.Thread] = []
        self._menus: list[QMenu] = []
        self._reported.connect(self._on_report)

    def start(self) -> int:
        """Follow every connected target; returns how many."""
        from flagdeck.fleet import connection
        from flagdeck.fleet.watch import Watcher

        for conn in connection.all_connections():
            if conn.target_slug in self._watchers:
                continue
            self.views[conn.target_slug] = FleetView(conn.source, conn.target_name)
            watcher = Watcher(conn, on_report=self._reported.emit)
            self._watchers[conn.target_slug] = watcher
            thread = threading.Thread(target=self._run, args=(watcher,), name=f"flagdeck-fleet-{conn.target_slug}",
                                      daemon=True)
            self._threads.append(thread)
            thread.start()
        return len(self._watchers)

    def _run(self, watcher: Any) -> None:
        try:
            watcher.run()
        except Exception:  # a bug must not take the tray down: logged, shown as error
            log.exception("fleet watch of %s stopped", watcher.conn.target_name)
            self._reported.emit(None)

    def stop(self, wait: float = 10.0) -> None:
        for watcher in self._watchers.values():
            watcher.stop()
        for thread in self._threads:
            thread.join(wait)
        self._watchers.clear()
        self._threads.clear()

    def sync_now(self) -> None:
        for watcher in self._watchers.values():
            watcher._changed.set()

    def release(self, slug: str, name: str) -> None:
        """Release a pin (the person at the machine gives the flag back to the fleet), then sync."""
        from flagdeck.errors import FlagdeckError
        from flagdeck.fleet import agent
        from flagdeck.targets.resolve import resolve

        watcher = self._watchers.get(slug)
        if watcher is None:
            return
        try:
            agent.release(resolve(watcher.conn.target_options()), [name])
        except FlagdeckError as exc:
            self.notify("Fleet: release failed", str(exc), "error")
            return
        self.views[slug].pins.pop(name, None)
        watcher._changed.set()
        self.changed.emit()

    # --- reports -----------------------------------------------------------------------------------

    def _on_report(self, report: Any) -> None:
        if report is None:
            return
        view = self.views.get(report.connection.target_slug)
        if view is None:
            return
        before = view.state
        view.state, view.detail = report.health.state, report.error or report.health.detail
        if report.result is not None:
            view.pending, view.pins = dict(report.result.pending), dict(report.result.pins)
            for o in report.result.outcomes:
                level = {"applied": "info", "pinned": "info", "pending": "warning"}.get(o.outcome, "error")
                self.notify(f"Fleet: {o.name} {o.outcome}", f"{view.target_name}: {js_repr(o.before)} → "
                            f"{js_repr(o.fleet_value)} ({o.action}) {short(o.detail, 160)}", level)
        if view.state != before and view.state in ("stale", "error"):
            self.notify(f"Fleet: {view.state}", short(view.detail, 200), "warning")
        self.changed.emit()

    # --- the menu ----------------------------------------------------------------------------------

    def lines(self) -> list[str]:
        """One line per connection, then its pending and pinned flags (tests, tooltips)."""
        out = []
        for view in self.views.values():
            out.append(f"{view.headline()}: {short(view.detail, 80)}")
            out += [f"pending: {n} → {js_repr(p.get('value'))} ({short(str(p.get('why', '')), 80)})"
                    for n, p in view.pending.items()]
            out += [f"pinned: {n} = {js_repr(p.get('value'))}" for n, p in view.pins.items()]
        return out

    def add_to(self, menu: QMenu) -> None:
        """The tray menu's fleet section (nothing when no target is connected)."""
        for old in self._menus:  # the last rebuild's (``menu.clear()`` leaves submenus)
            old.deleteLater()
        self._menus.clear()
        for slug, view in self.views.items():
            sub = QMenu(view.headline(), menu)
            self._menus.append(sub)
            sub.setToolTipsVisible(True)
            sub.menuAction().setObjectName(f"fleet:{slug}")
            sub.menuAction().setToolTip(f"{view.source}: {view.detail}")
            info = QAction(short(view.detail, 90), sub)
            info.setEnabled(False)
            sub.addAction(info)
            for name, pend in view.pending.items():
                item = QAction(f"Pending: {name} → {js_repr(pend.get('value'))}", sub)
                item.setObjectName(f"fleet-pending:{name}")
                item.setToolTip(str(pend.get("why", "")))
                item.setEnabled(False)
                sub.addAction(item)
            for name, pin in view.pins.items():
                item = QAction(f"Pinned: {name} = {js_repr(pin.get('value'))} — release", sub)
                item.setObjectName(f"fleet-pinned:{name}")
                item.setToolTip("changed at this workstation: the fleet leaves it until you release it")
                item.triggered.connect(lambda _c=False, s=slug, n=name: self.release(s, n))
                sub.addAction(item)
            sub.addSeparator()
            now = QAction("Sync now", sub)
            now.setObjectName(f"fleet-sync:{slug}")
            now.triggered.connect(lambda _c=False: self.sync_now())
            sub.addAction(now)
            menu.addMenu(sub)
