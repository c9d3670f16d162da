"""After a rollback, the runbook's next steps on the Rollback page: the triggers checked again (by
themselves), the checklists' progress, the evidence bundle, the history entry to annotate, the team
alert. Each says where it stands and has the button that does it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from flagdeck.targets.resolve import Target
from flagdeck.ui import icons
from flagdeck.ui.session import TargetSession
from flagdeck.ui.state import clock
from flagdeck.ui.texts import level_text
from flagdeck.ui.workers import Task

STEPS = ("triggers", "checklists", "evidence", "history", "team")


class NextSteps(QWidget):
    navigate = Signal(str, dict)  # a page (or "alerts"), with what to open it on

    def __init__(self, session: TargetSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.result: Any = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 6, 4, 4)
        self.heading = QLabel("After a rollback, the runbook's next steps show here.")
        self.heading.setWordWrap(True)
        self.heading.setProperty("muted", True)
        outer.addWidget(self.heading)
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(8)
        grid.setColumnStretch(1, 1)
        self.marks: dict[str, QLabel] = {}
        self.texts: dict[str, QLabel] = {}
        self.buttons: dict[str, QPushButton] = {}
        actions = {"triggers": ("Check again", self._check),
                   "checklists": ("Checklists…", lambda: self.navigate.emit("verify", {})),
                   "evidence": ("Export…", lambda: self.navigate.emit("evidence", {})),
                   "history": ("Annotate…", self._annotate),
                   "team": ("Team alerts…", lambda: self.navigate.emit("alerts", {}))}
        for row, step in enumerate(STEPS):
            mark, text = QLabel(), QLabel()
            text.setWordWrap(True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label, slot = actions[step]
            button = QPushButton(label)
            button.setObjectName(f"next:{step}")
            button.setToolTip({"checklists": "The post-rollback and validation checklists (Verify page)",
                               "evidence": "The Evidence page: export the bundle",
                               "history": "The History page, on this rollback's entry",
                               "team": "Team alert webhooks (File > Team alerts…)",
                               "triggers": "Check the triggers again now"}[step])
            button.clicked.connect(slot)
            grid.addWidget(mark, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(text, row, 1)
            grid.addWidget(button, row, 2, Qt.AlignmentFlag.AlignTop)
            self.marks[step], self.texts[step], self.buttons[step] = mark, text, button
        outer.addLayout(grid)
        outer.addStretch(1)
        session.incident.boardChanged.connect(self._render_triggers)
        self._set_visible(False)

    def _set_visible(self, shown: bool) -> None:
        for step in STEPS:
            for w in (self.marks[step], self.texts[step], self.buttons[step]):
                w.setVisible(shown)

    def _mark(self, step: str, status: str, text: str) -> None:
        self.marks[step].setPixmap(icons.status_icon(status).pixmap(18, 18))
        self.texts[step].setText(text)

    # --- after a rollback ---------------------------------------------------------------------------

    def show_for(self, result: Any) -> None:
        """A rollback finished here: what remains to do."""
        self.result = result
        self.heading.setText(f"Rollback {result.id}: {result.outcome.upper()}. The runbook's next steps:")
        self._set_visible(True)
        self._render_triggers()
        self._mark("checklists", "running", "Checklists: counting the answers…")
        self._mark("evidence", "open", "Export the evidence bundle for the bug report")
        self.texts["evidence"].setToolTip("Screenshots, logs, the comparison and this rollback's record in one file")
        self._mark("history", "open", "Annotate the rollback: issue, resolution, version")
        self.texts["history"].setToolTip("The runbook's Rollback History table is made of these")
        queued = any("team alert queued" in n for n in result.notes)
        self._mark("team", "done" if queued else "open",
                   "Team alert queued for the webhooks" if queued else "Alert the team: no webhook is set up")
        self._count_checklists()

    def _render_triggers(self) -> None:
        if self.result is None:
            return
        incident = self.session.incident
        if incident.checking:
            self._mark("triggers", "running", "The triggers are being checked again…")
        elif incident.board is not None and incident.checked_at is not None:
            words, level = level_text(incident.board.level)
            status = {"ok": "pass", "error": "fail"}.get(level, "warning")
            self._mark("triggers", status, f"Triggers checked again at {clock(incident.checked_at)}: {words}")
        else:
            self._mark("triggers", "open", "Check the triggers again: did the rollback end the incident?")
        self.buttons["triggers"].setEnabled(not incident.checking)

    def _check(self) -> None:
        self.session.incident.check_now("console")

    def _annotate(self) -> None:
        self.navigate.emit("history", {"rollback_id": self.result.id if self.result else None})

    def _count_checklists(self) -> None:
        automated = {r.id: r.status for r in self.result.verify.results if r.status != "manual"} \
            if self.result is not None and self.result.verify is not None else {}

        def work(target: Target, _t: Task) -> dict[str, tuple[int, int]]:
            from flagdeck.verify import checklist

            rows = checklist.view(target.slug, automated)
            return {phase: (sum(1 for r in rows if r["phase"] == phase and r["answer"] != "open"),
                            sum(1 for r in rows if r["phase"] == phase)) for phase in ("pre", "post", "validation")}

        def show(counts: dict[str, tuple[int, int]]) -> None:
            done = all(a == n for a, n in counts.values())
            parts = [f"{name} {counts[phase][0]} of {counts[phase][1]}"
                     for phase, name in (("pre", "pre-rollback"), ("post", "post-rollback"),
                                         ("validation", "validation"))]
            self._mark("checklists", "done" if done else "open", "Answered: " + ", ".join(parts))

        self.session.run("Count checklist answers", work, show, lambda _e: None, quiet=True)
