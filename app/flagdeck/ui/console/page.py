"""What every console page has: the session, the flows, a header, a banner for its one-line errors.

A page renders core results and calls the core through ``session.run`` (a worker); it holds no
business logic. Pages are created the first time they are shown, so a tray that never opens its
console never builds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from flagdeck.ui.actions import Flows
from flagdeck.ui.console import widgets
from flagdeck.ui.session import TargetSession
from flagdeck.ui.settings import UiSettings
from flagdeck.ui.workers import error_text


@dataclass
class ConsoleContext:
    session: TargetSession
    flows: Flows
    settings: UiSettings


class Page(QWidget):
    key: ClassVar[str] = ""
    title: ClassVar[str] = ""
    icon: ClassVar[str] = ""
    subtitle: ClassVar[str] = ""
    navigate = Signal(str, dict)  # another page, with what to open it on

    def __init__(self, ctx: ConsoleContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.session = ctx.session
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(22, 16, 22, 16)
        self.layout_.setSpacing(10)
        head, self.subtitle_label = widgets.header(self.title, self.subtitle)
        self.layout_.addWidget(head)
        self.banner = widgets.Banner()
        self.layout_.addWidget(self.banner)
        self.session.targetChanged.connect(self.target_changed)

    # --- hooks --------------------------------------------------------------------------------------

    def activated(self) -> None:
        """The page became visible: refresh what it lists."""

    def open_with(self, params: dict[str, Any]) -> None:
        """Opened for something specific (a backup to select...)."""

    def target_changed(self) -> None:
        self.banner.hide()
        if self.isVisible():
            self.activated()

    # --- helpers ------------------------------------------------------------------------------------

    def fail(self, exc: BaseException) -> None:
        self.banner.show_message(error_text(exc), "error")

    def say(self, text: str, level: str = "info") -> None:
        self.banner.show_message(text, level)

    def slug(self) -> str | None:
        target = self.session.target
        return target.slug if target else None
