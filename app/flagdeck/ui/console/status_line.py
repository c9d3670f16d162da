"""The console's status bar: the last notice in full (it wraps rather than running into the
version), the Undo of a quick toggle while it is offered, and the version apart on the right."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QStatusBar, QWidget

from flagdeck import __version__
from flagdeck.ui.actions import Flows

MESSAGE_MS = 15_000
MAX_LINES = 3


class StatusLine(QWidget):
    def __init__(self, bar: QStatusBar, flows: Flows) -> None:
        super().__init__()
        self.flows = flows
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 8, 0)
        layout.setSpacing(12)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.undo = QPushButton()
        self.undo.setObjectName("undo")
        self.undo.hide()
        self.undo.clicked.connect(lambda: self.flows.undo(source="console"))
        layout.addWidget(self.message, 1)
        layout.addWidget(self.undo)
        self.version = QLabel(f"flagdeck {__version__}")
        self.version.setProperty("muted", True)
        self.version.setContentsMargins(12, 0, 8, 0)
        bar.addWidget(self, 1)
        bar.addPermanentWidget(self.version)
        bar.setSizeGripEnabled(False)
        self._clear = QTimer(self, singleShot=True)
        self._clear.timeout.connect(self._cleared)
        self._tick = QTimer(self, interval=1000)
        self._tick.timeout.connect(self._render_undo)
        flows.undoChanged.connect(self._render_undo)

    def show_message(self, text: str, timeout_ms: int = MESSAGE_MS) -> None:
        self.message.setText(text)
        self.message.setToolTip(text)
        self._fit()
        self._clear.start(timeout_ms)

    def _fit(self) -> None:
        """As many lines as the message needs at the bar's width, at most :data:`MAX_LINES` (a
        status bar sizes itself from hints, not from height-for-width: the height is set)."""
        line = self.message.fontMetrics().lineSpacing()
        width = self.message.width()
        needed = self.message.heightForWidth(width) if self.message.text() and width > 50 else line
        height = min(max(needed, line), MAX_LINES * line + 2)
        if self.message.height() != height:
            self.message.setFixedHeight(height)
            self.setFixedHeight(height + 4)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _cleared(self) -> None:
        self.message.clear()
        self._fit()

    def text(self) -> str:
        return self.message.text()

    def _render_undo(self) -> None:
        offer = self.flows.offer
        if offer is None:
            self.undo.hide()
            self._tick.stop()
            return
        self.undo.setText(f"{offer.text()} ({offer.seconds_left()} s)")
        self.undo.show()
        if not self._tick.isActive():
            self._tick.start()
