"""The console's incident banner, under the target bar on every page: the trigger board's level in
the GUI's words, when it was checked, and the one action it calls for (the emergency rollback)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QVBoxLayout, QWidget

from flagdeck.ui.console.widgets import Banner
from flagdeck.ui.incident import IncidentWatch
from flagdeck.ui.state import clock
from flagdeck.ui.texts import ROLLBACK_LEVELS, level_text


class IncidentBanner(Banner):
    def __init__(self, incident: IncidentWatch, rollback: Callable[[], None], show_board: Callable[[], None]) -> None:
        self.holder = QWidget()  # the banner with the page's margins around it, shown with it
        super().__init__()
        layout = QVBoxLayout(self.holder)
        layout.setContentsMargins(14, 8, 14, 0)
        layout.addWidget(self)
        self.holder.hide()
        self.incident = incident
        self.rollback = rollback
        self.show_board = show_board
        self._dismissed: object = None  # the board the user dismissed (a new one shows again)
        self.close_button.clicked.connect(lambda: setattr(self, "_dismissed", self.incident.board))
        incident.boardChanged.connect(self.refresh)
        self.refresh()

    def setVisible(self, visible: bool) -> None:
        super().setVisible(visible)
        self.holder.setVisible(visible)

    def refresh(self) -> None:
        incident = self.incident
        board = incident.board
        if board is None:
            if incident.checking:
                self.show_message("Checking the rollback triggers (a short verification of the running app)…",
                                  "info")
            else:
                self.hide()
            return
        if board is self._dismissed:
            return
        words, level = level_text(board.level)
        fired = "; ".join(t.runbook for t in board.triggers[:3])  # the figures: the Rollback page, the tooltip
        more = f" (+{len(board.triggers) - 3} more)" if len(board.triggers) > 3 else ""
        self.setToolTip("\n".join(f"{t.severity.upper()}: {t.runbook} — {t.observed}" for t in board.triggers))
        when = f"checked {clock(incident.checked_at)}" + (", checking again…" if incident.checking else "")
        text = (f"<b>{words}</b>" + (f" — {fired}{more}" if fired else "")
                + f" <span style='color:#5f6b7a'>({when})</span>")
        rollback = board.level in ROLLBACK_LEVELS
        if rollback:
            self.show_message(text, level, action=("Emergency rollback (Level 1)…", self.rollback))
        elif board.triggers:
            self.show_message(text, level, action=("Show the triggers", self.show_board))
        else:
            self.show_message(text, level)
        self.action.setObjectName("danger" if rollback else "")
        self.action.style().unpolish(self.action)
        self.action.style().polish(self.action)
