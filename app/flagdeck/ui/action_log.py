"""What this flagdeck process did and when (the console's Log page), kept in memory.

Every action started from the tray or the console adds a record when it starts and updates it when
it ends (outcome, seconds, one-line result). The history database (``flagdeck.history``) holds what
every flagdeck process did; this log is the process's own.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal

from PySide6.QtCore import QObject, Signal

log = logging.getLogger("flagdeck.ui.actions")

Outcome = Literal["running", "ok", "failed", "cancelled"]
MAX_RECORDS = 2000


@dataclass(frozen=True)
class LogRecord:
    id: int
    started: datetime
    action: str
    target: str
    source: str  # "tray" | "console" | "watch"
    outcome: Outcome = "running"
    message: str = ""
    seconds: float | None = None


class ActionLog(QObject):
    added = Signal(object)  # LogRecord (new)
    updated = Signal(object)  # LogRecord (finished)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.records: list[LogRecord] = []
        self._ids = itertools.count(1)

    def start(self, action: str, target: str, source: str) -> LogRecord:
        record = LogRecord(next(self._ids), datetime.now(UTC), action, target, source)
        self.records.append(record)
        del self.records[:-MAX_RECORDS]
        self.added.emit(record)
        return record

    def finish(self, record: LogRecord, outcome: Outcome, message: str = "") -> LogRecord:
        seconds = (datetime.now(UTC) - record.started).total_seconds()
        done = replace(record, outcome=outcome, message=message, seconds=seconds)
        for i in range(len(self.records) - 1, -1, -1):
            if self.records[i].id == record.id:
                self.records[i] = done
                break
        log.info("%s on %s (%s): %s%s", done.action, done.target, done.source, outcome,
                 f": {message}" if message else "")
        self.updated.emit(done)
        return done
