"""The interval of an automatic comparison after each pair, drawn as it narrows (Performance page).

One row per look (``perf.sequential.Look``): a bar from the interval's lower to its upper bound
and a dot at the estimate, over the runbook's bands (none below 0 %, minor to +20 %, major to
+50 %, critical above). The run stops once a bar lies within one band; the row that decided is
drawn in its tier's colour, the others in grey.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from flagdeck.ui import theme

ROW_H, LABEL_W, TOP = 14, 64, 18
BANDS = ((None, 0.0, "none", "#e9f6ec"), (0.0, 20.0, "minor", "#fff6db"), (20.0, 50.0, "major", "#fdeadf"),
         (50.0, None, "critical", "#fdecec"))
UNDECIDED = QColor("#5f6b7a")


class LooksView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.looks: list[Any] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("The headline's interval after each pair; the comparison stops once it lies in one band")
        self.hide()

    def clear(self) -> None:
        self.looks = []
        self.hide()

    def add(self, look: Any) -> None:
        self.looks.append(look)
        self.show()
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(360, TOP + ROW_H * max(1, len(self.looks)) + 6)

    def _span(self) -> tuple[float, float]:
        low = min([-20.0, *(look.ci_low for look in self.looks)])
        high = max([80.0, *(look.ci_high for look in self.looks)])
        return max(low, -100.0), min(high, 400.0)

    def paintEvent(self, _event: Any) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        low, high = self._span()
        left, width = float(LABEL_W), max(10.0, self.width() - LABEL_W - 8.0)
        bottom = float(self.height() - 2)

        def x(pct: float) -> float:
            return left + (min(max(pct, low), high) - low) / (high - low) * width

        metrics = painter.fontMetrics()
        for start, end, name, colour in BANDS:
            x0, x1 = x(low if start is None else start), x(high if end is None else end)
            painter.fillRect(QRectF(x0, TOP - 4, x1 - x0, bottom - TOP + 4), QColor(colour))
            painter.setPen(QColor(theme.MUTED))
            label = name if metrics.horizontalAdvance(name) + 4 < x1 - x0 else (
                f"{start:+g}" if start is not None and metrics.horizontalAdvance(f"{start:+g}") + 4 < x1 - x0 else "")
            painter.drawText(QRectF(x0, 0, x1 - x0, TOP - 4), Qt.AlignmentFlag.AlignCenter, label)
        for row, look in enumerate(self.looks):
            y = TOP + row * ROW_H + ROW_H / 2
            pen = QColor(theme.STATUS_COLOURS.get(look.decided, UNDECIDED.name())) if look.decided else UNDECIDED
            painter.setPen(QColor(theme.TEXT))
            painter.drawText(QRectF(0, y - ROW_H / 2, LABEL_W - 6, ROW_H),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{look.pairs} pairs")
            painter.setPen(QPen(pen, 3 if look.decided else 2))
            painter.drawLine(QPointF(x(look.ci_low), y), QPointF(x(look.ci_high), y))
            painter.setBrush(pen)
            painter.drawEllipse(QPointF(x(look.degradation_pct), y), 3.0, 3.0)
        painter.end()
