"""flagdeck's desktop shell (PySide6): the tray icon and the console window.

A thin layer over the Qt-free core: every action calls the same functions the CLI calls, off the
UI thread (``workers``), and renders their result dataclasses. Nothing in the core imports this
package; the CLI imports it only for ``flagdeck tray``. QtWebEngine is never imported here (the
tray stays small); QtCharts only when the Performance page is opened.

Modules without Qt (``platform_check``, ``state``, ``autostart``) are importable and testable on a
machine without a display.
"""
