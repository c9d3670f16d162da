"""Evidence: export a bundle (screenshots, console, network, logs, flags, history: one BagIt zip,
redacted) with progress, open its folder, verify it — ``evidence export`` and ``evidence verify``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from flagdeck.errors import UsageError
from flagdeck.ui import icons
from flagdeck.ui.console import widgets
from flagdeck.ui.console.page import ConsoleContext, Page
from flagdeck.ui.workers import Task


def default_folder() -> Path:
    docs = Path.home() / "Documents"
    return docs if docs.is_dir() else Path.home()


class EvidencePage(Page):
    key, title, icon = "evidence", "Evidence", "evidence"
    subtitle = ("The runbook's Preserve Evidence step in one file: screenshots, console logs, network traces, the "
                "app's logs, flags and backups, history — redacted, as a BagIt zip anyone can verify.")

    def __init__(self, ctx: ConsoleContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.path: Path | None = None
        box, form = widgets.group("Export a bundle", QFormLayout)
        self.folder = QLineEdit(str(default_folder()))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._pick_folder)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        self.since = QLineEdit("24h")
        self.since.setToolTip("App log lines newer than this: 30m, 24h, 7d or a date")
        self.window_s = QDoubleSpinBox()
        self.window_s.setRange(0, 600)
        self.window_s.setValue(3.0)
        self.window_s.setSuffix(" s")
        self.window_s.setToolTip("Live: seconds of console and network capture")
        self.redact = QCheckBox("Redact secrets (keys, tokens, cookies)")
        self.redact.setChecked(True)
        self.focus = QCheckBox("Bring hidden pages to the front for their screenshots")
        self.focus.setChecked(True)
        form.addRow("Save in", row)
        form.addRow("Logs since", self.since)
        form.addRow("Capture window", self.window_s)
        form.addRow("", self.redact)
        form.addRow("", self.focus)
        buttons = QHBoxLayout()
        self.go = QPushButton(icons.page_icon("evidence"), "&Export evidence")
        self.go.setObjectName("primary")
        buttons.addWidget(self.go)
        buttons.addStretch(1)
        form.addRow(buttons)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.step = widgets.muted("")
        form.addRow(self.progress)
        form.addRow(self.step)
        self.layout_.addWidget(box)

        result, result_layout = widgets.group("Bundle", QVBoxLayout)
        self.summary = widgets.text_view("No bundle exported in this session.")
        actions = QHBoxLayout()
        self.open_button = QPushButton("Open folder")
        self.verify_button = QPushButton(icons.page_icon("verify"), "&Verify bundle")
        self.verify_other = QPushButton("Verify another bundle…")
        self.open_button.setEnabled(False)
        self.verify_button.setEnabled(False)
        actions.addWidget(self.open_button)
        actions.addWidget(self.verify_button)
        actions.addWidget(self.verify_other)
        actions.addStretch(1)
        result_layout.addLayout(actions)
        result_layout.addWidget(self.summary, 1)
        self.layout_.addWidget(result, 1)

        self.go.clicked.connect(self.export)
        self.open_button.clicked.connect(self.open_folder)
        self.verify_button.clicked.connect(lambda: self.verify(self.path))
        self.verify_other.clicked.connect(self._pick_bundle)

    def _pick_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Save the bundle in", self.folder.text())
        if path:
            self.folder.setText(path)

    def _pick_bundle(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Evidence bundle", self.folder.text(), "BagIt zip (*.zip)")
        if path:
            self.verify(Path(path))

    # --- export -------------------------------------------------------------------------------------

    def export(self) -> None:
        self.banner.hide()
        folder = Path(self.folder.text().strip() or default_folder()).expanduser()
        if not folder.is_dir():
            self.fail(UsageError(f"{folder} is not a folder"))
            return
        since_text, window, redact, focus = (self.since.text().strip() or "24h", self.window_s.value(),
                                             self.redact.isChecked(), self.focus.isChecked())

        def work(target: Any, task: Task) -> Any:
            from flagdeck import history
            from flagdeck.evidence.export import bag_name, export

            since = history.parse_since(since_text)
            from datetime import UTC, datetime

            out = folder / f"{bag_name(target, datetime.now(UTC))}.zip"
            return export(target, out=out, since=since, window=window, redact=redact, bring_to_front=focus,
                          progress=lambda step, fraction: task.report((step, fraction)),
                          argv=["flagdeck", "console", "evidence export"])

        self.go.setEnabled(False)
        self.progress.setValue(0)
        self.step.setText("collecting…")
        self.session.run("Export evidence", work, self.exported, self._failed, on_progress=self._progress,
                         describe=lambda r: str(r.path))

    def _progress(self, event: tuple[str, float]) -> None:
        step, fraction = event
        self.progress.setValue(round(fraction * 100))
        self.step.setText(step)

    def _failed(self, exc: BaseException) -> None:
        self.go.setEnabled(True)
        self.step.setText("")
        self.fail(exc)

    def exported(self, r: Any) -> None:
        self.go.setEnabled(True)
        self.path = Path(r.path)
        lines = r.summary_lines(f"bundle: {r.path}", "open data/report.html inside it first")
        self.summary.setPlainText("\n".join(lines))
        self.open_button.setEnabled(True)
        self.verify_button.setEnabled(True)
        self.say(f"Exported {self.path.name}.", "ok")
        self.session.notified.emit("Evidence exported", str(self.path), "info")

    def open_folder(self) -> None:
        if self.path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.path.parent)))

    # --- verify -------------------------------------------------------------------------------------

    def verify(self, path: Path | None) -> None:
        if path is None:
            return

        def work(_target: Any, _t: Task) -> Any:
            from flagdeck.evidence.bagit import verify_zip

            return verify_zip(path)

        def show(check: Any) -> None:
            lines = [check.summary(), *check.detail_lines()]
            self.summary.appendPlainText("\n" + "\n".join(lines))
            self.say(check.summary(), "ok" if check.ok else "error")

        self.session.run(f"Verify {path.name}", work, show, self.fail, needs_target=False,
                         describe=lambda c: "complete and unchanged" if c.ok else "INVALID")
