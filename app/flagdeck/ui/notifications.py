"""Desktop notifications for results and failures, behind a small backend class.

:class:`TrayNotifier` shows them as the tray icon's messages (the desktop's notification service
where Qt has one, Qt's own balloon otherwise); :class:`LogNotifier` is the fallback where there is
no tray (the console shows them in its status bar instead). Every notification is also logged, so
the tray log records what a user was told.
"""

from __future__ import annotations

import logging
from typing import Literal, Protocol

from PySide6.QtWidgets import QSystemTrayIcon

log = logging.getLogger("flagdeck.ui.notifications")

Level = Literal["info", "warning", "error"]
_QT_LEVEL = {"info": QSystemTrayIcon.MessageIcon.Information, "warning": QSystemTrayIcon.MessageIcon.Warning,
             "error": QSystemTrayIcon.MessageIcon.Critical}


class Notifier(Protocol):
    name: str

    def notify(self, title: str, message: str, level: Level = "info") -> None: ...


class LogNotifier:
    """No desktop notifications: the message is only logged (and shown by whoever listens)."""

    name = "log"

    def notify(self, title: str, message: str, level: Level = "info") -> None:
        log.info("notification [%s] %s: %s", level, title, message)


class TrayNotifier:
    """Messages of a QSystemTrayIcon (falls back to logging when the platform has none)."""

    name = "tray"

    def __init__(self, tray: QSystemTrayIcon, timeout_ms: int = 8000) -> None:
        self.tray = tray
        self.timeout_ms = timeout_ms

    def notify(self, title: str, message: str, level: Level = "info") -> None:
        log.info("notification [%s] %s: %s", level, title, message)
        if self.tray.supportsMessages() and self.tray.isVisible():
            self.tray.showMessage(title, message, _QT_LEVEL[level], self.timeout_ms)
