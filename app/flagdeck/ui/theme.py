"""One look everywhere: Qt's Fusion style, a light palette, a small style sheet.

Status colours always come with a word and an icon shape (``icons.status_icon``), never alone.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

ACCENT = "#1565c0"
TEXT = "#1f2933"
MUTED = "#5f6b7a"
STATUS_COLOURS = {  # foreground for status words (pass/fail/...), with their icons beside them
    "pass": "#1b5e20", "ok": "#1b5e20", "done": "#1b5e20", "verified": "#1b5e20",
    "fail": "#b71c1c", "failed": "#b71c1c", "critical": "#b71c1c",
    "manual": "#0d47a1", "running": "#e65100", "major": "#d9480f", "warning": "#8d6e00", "minor": "#8d6e00",
    "unverified": "#8d6e00", "written": "#37474f", "pending": MUTED, "skipped": MUTED, "open": MUTED,
    "n/a": MUTED, "cancelled": MUTED, "memory-only": "#b71c1c", "on-disk": "#1b5e20", "unconfirmed": "#8d6e00",
    "none": "#1b5e20", "error": "#b71c1c", "info": MUTED,
}

STYLE_SHEET = f"""
QMainWindow, QDialog {{ background: #f6f7f9; }}
QListWidget#nav {{
    background: #eceff3; border: none; border-right: 1px solid #d5dae1; padding: 8px 6px; outline: 0;
}}
QListWidget#nav::item {{ padding: 7px 10px; border-radius: 6px; margin: 1px 0; color: {TEXT}; }}
QListWidget#nav::item:selected {{ background: #d6e4f7; color: #0b3d91; font-weight: bold; }}
QListWidget#nav::item:hover:!selected {{ background: #e1e6ec; }}
QFrame#targetBar {{ background: #ffffff; border-bottom: 1px solid #d5dae1; }}
QLabel#targetName {{ font-size: 15pt; font-weight: bold; color: {TEXT}; }}
QLabel#pageTitle {{ font-size: 14pt; font-weight: bold; color: {TEXT}; }}
QLabel[muted="true"] {{ color: {MUTED}; }}
QLabel#sectionTitle {{ font-weight: bold; color: {TEXT}; padding-top: 6px; }}
QFrame#banner {{ border-radius: 6px; padding: 2px; }}
QFrame#banner[level="info"] {{ background: #e8f1fc; border: 1px solid #b6d0f2; }}
QFrame#banner[level="warning"] {{ background: #fff6db; border: 1px solid #f0d68a; }}
QFrame#banner[level="error"] {{ background: #fdecec; border: 1px solid #f1b5b5; }}
QFrame#banner[level="ok"] {{ background: #e9f6ec; border: 1px solid #b4dcbd; }}
QGroupBox {{ font-weight: bold; border: 1px solid #d5dae1; border-radius: 6px; margin-top: 12px;
             background: #ffffff; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 10px; padding: 0 4px; color: {TEXT}; }}
QTableWidget, QTreeWidget, QPlainTextEdit, QListWidget {{
    background: #ffffff; border: 1px solid #d5dae1; border-radius: 4px;
    selection-background-color: #d6e4f7; selection-color: {TEXT};
}}
QHeaderView::section {{ background: #f0f2f5; border: none; border-bottom: 1px solid #d5dae1;
                         padding: 4px 6px; font-weight: bold; color: #39434f; }}
QPushButton {{ padding: 5px 14px; }}
QPushButton#danger {{ background: #c62828; color: white; border: 1px solid #a61f1f; border-radius: 4px;
                      padding: 6px 16px; font-weight: bold; }}
QPushButton#danger:hover {{ background: #b71c1c; }}
QPushButton#danger:disabled {{ background: #e0a9a9; border-color: #d99; }}
QPushButton#primary {{ background: {ACCENT}; color: white; border: 1px solid #0d47a1; border-radius: 4px;
                       padding: 6px 16px; font-weight: bold; }}
QPushButton#primary:hover {{ background: #0d47a1; }}
QPushButton#primary:disabled {{ background: #9fb8dc; border-color: #9fb8dc; }}
QStatusBar {{ background: #eceff3; border-top: 1px solid #d5dae1; }}
"""


def apply(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Window, QColor("#f6f7f9"))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(TEXT))
    palette.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.AlternateBase, QColor("#f7f9fb"))
    palette.setColor(QPalette.ColorRole.Text, QColor(TEXT))
    palette.setColor(QPalette.ColorRole.Button, QColor("#f3f5f8"))
    palette.setColor(QPalette.ColorRole.ButtonText, QColor(TEXT))
    palette.setColor(QPalette.ColorRole.Highlight, QColor("#d6e4f7"))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor(TEXT))
    palette.setColor(QPalette.ColorRole.ToolTipBase, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.ToolTipText, QColor(TEXT))
    palette.setColor(QPalette.ColorRole.PlaceholderText, QColor("#8a94a3"))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#9aa3ae"))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#9aa3ae"))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor("#9aa3ae"))
    app.setPalette(palette)
    font = app.font()
    if font.pointSizeF() < 9.5:
        font.setPointSizeF(10)
        app.setFont(font)
    app.setStyleSheet(STYLE_SHEET)


def mono_font() -> QFont:
    font = QFont("DejaVu Sans Mono")
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setPointSizeF(max(9.0, QApplication.font().pointSizeF() - 0.5))
    return font
