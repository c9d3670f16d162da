"""The incident at a glance: the runbook's trigger board, checked by itself while the app is live.

The board is checked when the app is first seen live (start, another target), and again after every
rollback or flag change (:meth:`IncidentWatch.due`); the checks coalesce (one runs, one more at
most waits). Views show the board's level with its action (the console's banner, the tray's menu,
the Rollback page); the wording is the GUI's (``texts.level_text``), not the CLI's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from flagdeck.ui.state import Link
from flagdeck.ui.workers import error_text

if TYPE_CHECKING:
    from flagdeck.ui.session import TargetSession

log = logging.getLogger("flagdeck.ui.incident")


class IncidentWatch(QObject):
    boardChanged = Signal()  # board, checking or error changed

    def __init__(self, session: TargetSession, auto: Callable[[], bool], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.auto = auto  # the setting: check by itself (the console's Options menu)
        self.board: Any = None  # triggers.TriggerBoard of the target shown, or None
        self.checked_at: datetime | None = None
        self.checking = False
        self.error: str | None = None
        self._due: str | None = "start"
        session.model.changed.connect(self._maybe_check)
        session.model.targetChanged.connect(self._target_changed)

    def due(self, reason: str) -> None:
        """Something changed what the board would say: check it again when the app can be checked."""
        self._due = reason
        self._maybe_check()

    def check_now(self, source: str) -> Any:
        """A person asked (the Rollback page's button)."""
        from flagdeck.ui.jobs.checks import TriggerCheckJob

        self._due = None
        return self.session.start(TriggerCheckJob(self.session, source=source))

    def _maybe_check(self) -> None:
        model = self.session.model
        if (self._due is None or self.checking or not self.auto() or self.session.gate.writing is not None
                or not model.watch_alive or not model.flags_known() or model.link() is not Link.LIVE):
            return
        from flagdeck.ui.jobs.checks import TriggerCheckJob

        log.info("checking the triggers (%s)", self._due)
        self._due = None
        self.session.start(TriggerCheckJob(self.session, auto=True, source="flagdeck"))

    def _target_changed(self) -> None:
        self.board, self.checked_at, self.error, self._due = None, None, None, "target changed"
        self.boardChanged.emit()

    # --- what the check job tells -------------------------------------------------------------------

    def check_started(self) -> None:
        self.checking = True
        self.boardChanged.emit()

    def set_board(self, board: Any) -> None:
        self.checking, self.error = False, None
        self.board, self.checked_at = board, datetime.now(UTC)
        self.boardChanged.emit()
        self._maybe_check()

    def check_failed(self, exc: BaseException | None) -> None:
        self.checking = False
        if exc is not None:
            self.error = error_text(exc)
        self.boardChanged.emit()
