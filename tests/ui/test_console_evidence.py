"""The Evidence page against the demo target: export a bundle with progress, open its folder,
verify it (and a damaged copy)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from PySide6.QtGui import QDesktopServices


def test_export_with_progress_then_verify(console_on: Any, live_demo: Any, tmp_path: Path,
                                          monkeypatch: Any) -> None:
    shell, console = console_on(live_demo)
    page = console.show_page("evidence")
    page.folder.setText(str(tmp_path))
    page.window_s.setValue(0.5)
    fractions: list[int] = []
    page.progress.valueChanged.connect(fractions.append)
    page.export()
    shell.qtbot.waitUntil(lambda: page.path is not None or page.banner.isVisible(), timeout=300_000)
    assert page.path is not None, page.banner.text.text()
    assert page.path.parent == tmp_path and page.path.suffix == ".zip" and page.path.is_file()
    assert fractions == sorted(fractions) and fractions[-1] == 100
    assert "redaction on" in page.summary.toPlainText()
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    page.open_folder()
    assert opened == [str(tmp_path)]
    page.verify(page.path)
    shell.qtbot.waitUntil(lambda: "complete and unchanged" in page.summary.toPlainText(), timeout=60_000)

    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(page.path) as src, zipfile.ZipFile(damaged, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("report.html"):
                data = data.replace(b"<html", b"<html data-x=1", 1)
            dst.writestr(info, data)
    page.verify(damaged)
    shell.qtbot.waitUntil(lambda: "altered:" in page.summary.toPlainText(), timeout=60_000)
    assert page.banner.property("level") == "error"


