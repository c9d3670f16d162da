"""Small building blocks every console page uses: page header, banner, tables with status marks."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from flagdeck.ui import icons, theme

STATUS_WORDS = {"pass": "PASS", "fail": "FAIL", "manual": "MANUAL", "done": "done", "failed": "FAILED",
                "running": "running", "pending": "pending", "skipped": "skipped", "open": "open", "n/a": "n/a",
                "ok": "ok", "cancelled": "cancelled", "verified": "VERIFIED", "unverified": "unverified",
                "written": "written", "memory-only": "NOT SAVED", "on-disk": "on disk", "unconfirmed": "unconfirmed",
                "critical": "CRITICAL", "major": "major", "minor": "minor", "none": "none", "error": "error",
                "info": "info", "warning": "warning"}


BANNER_ICON = {"info": "info", "ok": "pass", "warning": "warning", "error": "fail"}


def header(title: str, subtitle: str = "") -> tuple[QWidget, QLabel]:
    """A page's title and a muted line under it (returned so the page can update it)."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 4)
    layout.setSpacing(2)
    name = QLabel(title)
    name.setObjectName("pageTitle")
    sub = QLabel(subtitle)
    sub.setProperty("muted", True)
    sub.setWordWrap(True)
    sub.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    layout.addWidget(name)
    layout.addWidget(sub)
    return box, sub


def section(title: str) -> QLabel:
    label = QLabel(title)
    label.setObjectName("sectionTitle")
    return label


def group[L: QLayout](title: str, layout: type[L]) -> tuple[QGroupBox, L]:
    """A titled box with the console's inner margins, and its layout."""
    box = QGroupBox(title)
    inner = layout(box)
    inner.setContentsMargins(12, 16, 12, 12)
    return box, inner


def text_view(placeholder: str = "") -> QPlainTextEdit:
    """Read-only monospaced text (diffs, details, summaries)."""
    view = QPlainTextEdit()
    view.setReadOnly(True)
    view.setFont(theme.mono_font())
    view.setPlaceholderText(placeholder)
    return view


def muted(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setProperty("muted", True)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class Banner(QFrame):
    """A message (info, ok, warning, error) with its icon, and at most one action button; errors
    are one line, never a traceback."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.setSpacing(10)
        self.icon = QLabel()
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action = QPushButton()
        self.action.hide()
        self.action.clicked.connect(self._act)
        self._callback: Callable[[], Any] | None = None
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        self.close_button = close
        layout.addWidget(self.icon)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.action)
        layout.addWidget(close)
        self.hide()

    def show_message(self, text: str, level: str = "info", *, action: tuple[str, Callable[[], Any]] | None = None
                     ) -> None:
        self.setProperty("level", level)
        self.style().unpolish(self)
        self.style().polish(self)
        self.icon.setPixmap(icons.status_icon(BANNER_ICON.get(level, "info")).pixmap(18, 18))
        self.text.setText(text)
        if action is None:
            self._callback = None
            self.action.hide()
        else:
            self.action.setText(action[0])
            self._callback = action[1]
            self.action.show()
        self.show()

    def _act(self) -> None:
        if self._callback is not None:
            self._callback()


def table(headers: Sequence[str], *, stretch: int | None = None, widths: dict[int, int] | None = None,
          wrap: bool = True) -> QTableWidget:
    """A read-only, row-selecting table: columns fit their contents, ``stretch`` takes the rest,
    ``widths`` are columns of a set width the user can drag. Text is never elided (a figure cut out
    of a detail misleads): long cells wrap and their rows grow (``wrap``), and tooltips hold them
    whole."""
    t = QTableWidget(0, len(headers))
    t.setTextElideMode(Qt.TextElideMode.ElideNone)
    t.setHorizontalHeaderLabels(list(headers))
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.setAlternatingRowColors(True)
    t.setWordWrap(wrap)
    t.verticalHeader().setVisible(False)
    t.verticalHeader().setDefaultSectionSize(26)
    t.verticalHeader().setMinimumSectionSize(26)
    if wrap:
        t.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    h = t.horizontalHeader()
    h.setHighlightSections(False)
    h.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    h.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    h.setSectionResizeMode(len(headers) - 1 if stretch is None else stretch, QHeaderView.ResizeMode.Stretch)
    for column, width in (widths or {}).items():
        h.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        t.setColumnWidth(column, width)
    return t


def item(text: Any, *, tip: str = "", data: Any = None, icon: QIcon | None = None,
         colour: str | None = None, bold: bool = False) -> QTableWidgetItem:
    cell = QTableWidgetItem("" if text is None else str(text))
    cell.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    if tip:
        cell.setToolTip(tip)
    if data is not None:
        cell.setData(Qt.ItemDataRole.UserRole, data)
    if icon is not None:
        cell.setIcon(icon)
    if colour:
        cell.setForeground(QColor(colour))
    if bold:
        font = cell.font()
        font.setBold(True)
        cell.setFont(font)
    return cell


def cell_data(t: QTableWidget, row: int, col: int) -> Any:
    """A cell's UserRole data (None for an empty cell)."""
    cell = t.item(row, col)
    return None if cell is None else cell.data(Qt.ItemDataRole.UserRole)


def selected_data(t: QTableWidget) -> Any:
    """The selected row's key: the UserRole data of its first cell (None when nothing is selected)."""
    rows = t.selectionModel().selectedRows()
    return cell_data(t, rows[0].row(), 0) if rows else None


def selected_of(t: QTableWidget, items: Iterable[Any]) -> Any | None:
    """The one of ``items`` (objects with an ``id``) whose id the selected row carries."""
    ident = selected_data(t)
    return None if ident is None else next((i for i in items if i.id == ident), None)


def set_cell_data(t: QTableWidget, row: int, col: int, data: Any) -> None:
    cell = t.item(row, col)
    if cell is not None:
        cell.setData(Qt.ItemDataRole.UserRole, data)


def cell_text(t: QTableWidget, row: int, col: int) -> str:
    cell = t.item(row, col)
    return "" if cell is None else cell.text()


def status_item(status: str, word: str | None = None) -> QTableWidgetItem:
    """A status cell: its icon (a shape), its word and a colour."""
    return item(word or STATUS_WORDS.get(status, status), icon=icons.status_icon(status),
                colour=theme.STATUS_COLOURS.get(status), bold=status in ("fail", "failed", "verified"))


def set_row(t: QTableWidget, row: int, cells: Sequence[QTableWidgetItem]) -> None:
    if row >= t.rowCount():
        t.setRowCount(row + 1)
    for col, cell in enumerate(cells):
        t.setItem(row, col, cell)


def busy_bar() -> QProgressBar:
    bar = QProgressBar()
    bar.setMaximumHeight(6)
    bar.setTextVisible(False)
    bar.setRange(0, 0)
    bar.hide()
    return bar


def hbox(*widgets: QWidget | None, stretch_at: int | None = None, spacing: int = 8) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setSpacing(spacing)
    for i, w in enumerate(widgets):
        if i == stretch_at:
            row.addStretch(1)
        if w is not None:
            row.addWidget(w)
    if stretch_at is not None and stretch_at >= len(widgets):
        row.addStretch(1)
    return row
