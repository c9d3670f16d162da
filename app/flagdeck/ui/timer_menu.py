"""Timed toggles in the tray: "On for 15 min / 1 h / Custom…" per flag, the running timers with
their remaining time (menu and tooltip), a clock badge on the icon while one runs.

:class:`TimerBoard` is the tray's part of ``flagdeck.timers``: it *claims* every timer nobody
else handles (the ones it sets, and those whose timer process died) and fires them when due, on a
worker; a busy profile is retried and shown as pending. It watches ``<data dir>/timers`` (no
polling: a file-system watch), tells the user when any timer ends (fired here or by a timer
process), and when the tray quits it hands its timers to detached timer processes, so they still
go back without it. The tray calls :meth:`add_flag_menu`, :meth:`add_running`, :meth:`decorate`
and :meth:`tooltip_lines`; nothing else in the tray knows about timers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from PySide6.QtCore import QCoreApplication, QFileSystemWatcher, QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPen
from PySide6.QtWidgets import QInputDialog, QMenu

from flagdeck import timer_fire, timers
from flagdeck.describe import short
from flagdeck.errors import FlagdeckError
from flagdeck.ui.workers import error_text

log = logging.getLogger("flagdeck.ui.timers")

CHOICES = ((15 * 60, "15 min"), (60 * 60, "1 h"))
TICK_MS = 30_000  # the remaining time in the tooltip, while a timer runs


class TimerBoard(QObject):
    changed = Signal()

    def __init__(self, session: Any, parent: QObject | None = None, *, quit_signal: Any = None) -> None:
        super().__init__(parent)
        self.session = session
        self.pending: list[timers.Timer] = []
        self._claims: dict[str, timers.Claim] = {}
        self._arms: dict[str, QTimer] = {}
        self._firing: set[str] = set()
        self._told: set[str] = set()  # ended timers the user was told about
        self._since = time.time()
        self._watch = QFileSystemWatcher(self)
        self._watch.directoryChanged.connect(lambda _p: self.reload())
        self._tick = QTimer(self, interval=TICK_MS)
        self._tick.timeout.connect(self.changed.emit)
        app = QCoreApplication.instance()
        if quit_signal is None and app is not None:
            quit_signal = app.aboutToQuit
        if quit_signal is not None:
            quit_signal.connect(self.hand_over)
        self.reload()

    # --- what is stored -------------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the timers again (a file changed), claim those nobody handles, tell what ended."""
        try:
            folder, done = timers.timers_dir(), timers.done_dir()
            for path in (str(folder), str(done)):
                if path not in self._watch.directories():
                    self._watch.addPath(path)
            self.pending = timers.pending()
        except OSError as exc:
            log.warning("timers unreadable: %s", exc)
            self.pending = []
        for t in self.pending:
            if t.id not in self._claims:
                claim = timers.claim(t.id)
                if claim is not None:
                    self._claims[t.id] = claim
                    log.info("timer %s (%s) is handled by the tray", t.id, timers.describe(t))
            if t.id in self._claims:
                self._arm(t)
        alive = {t.id for t in self.pending}
        for ident in [i for i in self._claims if i not in alive]:
            self._drop(ident)
        self._tell_ended()
        if self.pending:
            self._tick.start()
        else:
            self._tick.stop()
        self.changed.emit()

    def _arm(self, t: timers.Timer) -> None:
        if t.id in self._firing:
            return
        arm = self._arms.get(t.id)
        if arm is None:
            arm = self._arms[t.id] = QTimer(self, singleShot=True)
            arm.timeout.connect(partial(self.fire, t.id))
        left_ms = max(0, int((t.next_at - datetime.now(UTC)).total_seconds() * 1000))
        arm.start(min(left_ms, 2**31 - 1))

    def _drop(self, ident: str) -> None:
        arm = self._arms.pop(ident, None)
        if arm is not None:
            arm.stop()
            arm.deleteLater()
        claim = self._claims.pop(ident, None)
        if claim is not None:
            claim.release()

    def for_target(self, slug: str | None) -> list[timers.Timer]:
        return [t for t in self.pending if slug is None or t.target_slug == slug]

    # --- firing ------------------------------------------------------------------------------------------

    def fire(self, ident: str) -> None:
        if ident in self._firing or ident not in self._claims:
            return
        self._firing.add(ident)

        def work(_task: Any) -> timer_fire.FireResult:
            return timer_fire.fire(ident, lock_wait=15.0)

        def done(result: timer_fire.FireResult) -> None:
            self._firing.discard(ident)
            log.info("%s", result.message)
            if result.final:
                self._told.add(ident)
                self._drop(ident)
                self._say(result.outcome, result.message)
                self.session.refresh("timer ended")
            self.reload()

        def failed(exc: BaseException) -> None:
            self._firing.discard(ident)
            log.error("timer %s could not be fired: %s", ident, exc)
            self.reload()

        self.session.runner.run_task(work, done, failed, name="timed revert", quiet=True)

    def _say(self, outcome: str, message: str) -> None:
        level = "info" if outcome in ("reverted", "already-back") else "warning"
        title = "Timed toggle ended" if outcome != "dropped" else "Timed toggle dropped"
        self.session.notified.emit(title, message, level)

    def _tell_ended(self) -> None:
        """Timers that ended elsewhere (a timer process) since the tray started: a notification each."""
        for record in timers.ended_since(self._since):
            t = record.get("timer") or {}
            ident = str(t.get("id", ""))
            if ident in self._told or record.get("outcome") in ("cancelled", "replaced"):
                self._told.add(ident)
                continue
            self._told.add(ident)
            self._say(str(record.get("outcome")), f"timer {ident}: {record.get('message')}")
            self.session.refresh("timer ended")

    def hand_over(self) -> None:
        """The tray quits: each timer it holds gets a detached timer process (it still goes back)."""
        for ident in list(self._claims):
            t = timers.load(ident)
            self._drop(ident)
            if t is not None:
                try:
                    from flagdeck import timer_process

                    timer_process.start(t)
                    log.info("timer %s handed to a timer process", ident)
                except OSError as exc:
                    log.error("timer %s: no timer process (%s); the next flagdeck command fires it", ident, exc)
        self._tick.stop()

    # --- setting and cancelling -------------------------------------------------------------------------

    def start_timer(self, name: str, value: Any, seconds: float, *, source: str = "tray",
                    on_done: Callable[[Any], None] | None = None) -> None:
        """``flags set NAME=VALUE --for`` from the UI (a reload when live: the app runs it at once)."""
        live = self.session.snapshot is not None and self.session.snapshot.mode == "live"
        span = timers.span_text(seconds)

        def work(target: Any, _task: Any) -> timers.TimedWrite:
            return timers.timed_write(target, timedelta(seconds=seconds), assignments=[(name, value)], set_by=source,
                                      spawn=False, reload=live, reason="flags set", note=f"from the {source}")

        def done(result: timers.TimedWrite) -> None:
            self.reload()
            d = result.write.durability
            if d is not None and not d.ok:
                self.session.notified.emit(f"{name} set for {span}, NOT SAVED to disk", d.detail, "error")
            elif result.timers:
                t = result.timers[0]
                self.session.notified.emit(f"{name} = {timers.value_text(True, value)} for {span}",
                                           f"back to {timers.value_text(t.back_present, t.back)} at "
                                           f"{timers.local_time(t.due_at)}", "info")
            else:
                self.session.notified.emit(f"{name}: no timer", "; ".join(result.notes), "warning")
            if on_done is not None:
                on_done(result)

        def failed(exc: BaseException) -> None:
            self.session.notified.emit(f"Could not set {name} for {span}", error_text(exc), "error")

        self.session.run(f"Set {name} = {timers.value_text(True, value)} for {span}", work, done, failed,
                         source=source, exclusive=True,
                         describe=lambda r: f"{len(r.timers)} timer(s) set")

    def cancel(self, ident: str) -> None:
        try:
            t = timers.cancel(ident)
        except FlagdeckError as exc:
            self.session.notified.emit("Timer not cancelled", error_text(exc), "warning")
        else:
            self._told.add(t.id)
            self._drop(t.id)
            self.session.notified.emit("Timer cancelled", f"{t.flag} keeps {timers.value_text(t.present, t.value)}",
                                       "info")
        self.reload()

    def ask_custom(self, name: str, value: Any) -> None:
        text, ok = QInputDialog.getText(None, "Timed toggle",
                                        f"Set {name} to {timers.value_text(True, value)} for how long? "
                                        "(90s, 30m, 2h)", text="30m")
        if not ok or not text.strip():
            return
        from flagdeck.history import parse_duration

        try:
            seconds = timers.check_duration(parse_duration(text))
        except FlagdeckError as exc:
            self.session.notified.emit("Timed toggle not set", error_text(exc), "warning")
            return
        self.start_timer(name, value, seconds)

    # --- what the tray shows --------------------------------------------------------------------------

    def add_flag_menu(self, menu: QMenu, name: str, on_now: bool, *, enabled: bool) -> QMenu:
        """A submenu under a boolean flag's item: "On for 15 min / 1 h / Custom…" (Off… when it is on)."""
        value = not on_now
        word = "On" if value else "Off"
        sub = QMenu(f"{name}: {word.lower()} for a while", menu)
        sub.menuAction().setObjectName(f"timed:{name}")
        sub.menuAction().setEnabled(enabled)
        for seconds, label in CHOICES:
            action = QAction(f"{word} for {label}", sub)
            action.setObjectName(f"timed:{name}:{seconds}")
            action.triggered.connect(lambda _c=False, s=seconds: self.start_timer(name, value, s))
            sub.addAction(action)
        custom = QAction("Custom…", sub)
        custom.setObjectName(f"timed:{name}:custom")
        custom.triggered.connect(lambda _c=False: self.ask_custom(name, value))
        sub.addAction(custom)
        menu.addMenu(sub)
        return sub

    def add_running(self, menu: QMenu, slug: str | None) -> None:
        """One item per timer of this target: "⏱ FLAG back to false in 12 min" (a click cancels it)."""
        for t in self.for_target(slug):
            pending = "" if t.state == "waiting" else f" ({short(timers.state_text(t), 60)})"
            action = QAction(f"⏱ {t.flag} back to {timers.value_text(t.back_present, t.back)} "
                             f"{timers.remaining_text(t)}{pending} — cancel", menu)
            action.setObjectName(f"timer:{t.id}")
            action.setToolTip(f"timer {t.id}: click to cancel it ({t.flag} keeps its value)")
            action.triggered.connect(lambda _c=False, i=t.id: self.cancel(i))
            menu.addAction(action)

    def tooltip_lines(self, slug: str | None) -> list[str]:
        return [f"timer: {t.flag} back to {timers.value_text(t.back_present, t.back)} {timers.remaining_text(t)}"
                + ("" if t.state == "waiting" else f" ({short(timers.state_text(t), 80)})")
                for t in self.for_target(slug)]

    def badge_key(self, slug: str | None) -> bool:
        return bool(self.for_target(slug))

    def decorate(self, icon: QIcon, slug: str | None) -> QIcon:
        """``icon`` with a small clock in its top-left corner while a timer of the target runs."""
        if not self.badge_key(slug):
            return icon
        size = 64
        pixmap = icon.pixmap(size, size)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(1, 1, 26, 26)
        painter.setPen(QPen(QColor("#ffffff"), 3))
        painter.setBrush(QColor("#1565c0"))
        painter.drawEllipse(r)
        painter.setPen(QPen(QColor("#ffffff"), 3, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        centre = r.center()
        painter.drawLine(centre, QPointF(centre.x(), centre.y() - 8))
        painter.drawLine(centre, QPointF(centre.x() + 6, centre.y()))
        painter.end()
        return QIcon(pixmap)
