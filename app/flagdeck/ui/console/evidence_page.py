"""Evidence: export a bundle (screenshots, console, network, logs, flags, history: one BagIt zip,
redacted) with progress, open its report or its folder, verify it — ``evidence export`` and
``evidence verify``. The bundles go to a folder of their own (created when asked)."""

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
    QMessageBox,
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

FOLDER_NAME = "flagdeck evidence"


def default_folder() -> Path:
    """A folder of their own for the bundles: in the user's documents when there is such a folder,
    else in the home folder (never the home folder itself). It may not exist yet."""
    from PySide6.QtCore import QStandardPaths

    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    base = Path(docs) if docs and Path(docs).is_dir() and Path(docs) != Path.home() else Path.home()
    return base / FOLDER_NAME


class EvidencePage(Page):
    key, title, icon = "evidence", "Evidence", "evidence"
    subtitle = ("The runbook's Preserve Evidence step in one file: screenshots, console logs, network traces, the "
                "app's logs, flags and backups, history — redacted, as a BagIt zip anyone can verify.")

    def __init__(self, ctx: ConsoleContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.path: Path | None = None
        self.report: Path | None = None  # the report last opened (unpacked)
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
        self.report_button = QPushButton(icons.page_icon("evidence"), "Open &report")
        self.report_button.setObjectName("primary")
        self.report_button.setToolTip("Unpack the bundle into a private folder and open its report in the browser")
        self.open_button = QPushButton("Open folder")
        self.verify_button = QPushButton(icons.page_icon("verify"), "&Verify bundle")
        self.verify_other = QPushButton("Verify another bundle…")
        for button in (self.report_button, self.open_button, self.verify_button):
            button.setEnabled(False)
        actions.setSpacing(10)
        actions.addWidget(self.report_button)
        actions.addWidget(self.open_button)
        actions.addWidget(self.verify_button)
        actions.addWidget(self.verify_other)
        actions.addStretch(1)
        result_layout.addLayout(actions)
        result_layout.addWidget(self.summary, 1)
        self.layout_.addWidget(result, 1)

        self.go.clicked.connect(self.export)
        self.report_button.clicked.connect(self.open_report)
        self.open_button.clicked.connect(self.open_folder)
        self.create_box: QMessageBox | None = None  # the offer to create a missing folder (tests answer it)
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
        if folder.exists() and not folder.is_dir():
            self.fail(UsageError(f"{folder} is a file, not a folder"))
            return
        if not folder.is_dir():
            self._offer_folder(folder)
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

    def _offer_folder(self, folder: Path) -> None:
        """The folder is not there: offer to create it (and export into it), or leave it."""
        box = QMessageBox(QMessageBox.Icon.Question, "Evidence folder — flagdeck",
                          f"{folder} does not exist yet. Create it and export the bundle there?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        self.create_box = box

        def answered(_code: int) -> None:
            self.create_box = None
            box.deleteLater()
            if box.standardButton(box.clickedButton()) != QMessageBox.StandardButton.Yes:
                self.say(f"Nothing exported: {folder} does not exist.", "warning")
                return
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                self.fail(exc)
                return
            self.export()

        box.finished.connect(answered)
        box.open()

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
        lines = r.summary_lines(f"bundle: {r.path}", "Open report shows the report it holds; Verify bundle checks that "
                                                    "nothing in it is missing or altered")
        self.summary.setPlainText("\n".join(lines))
        for button in (self.report_button, self.open_button, self.verify_button):
            button.setEnabled(True)
        self.say(f"Exported {self.path.name}: open its report to read it.", "ok")
        self.session.notified.emit("Evidence exported", str(self.path), "info")

    def open_folder(self) -> None:
        if self.path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.path.parent)))

    def open_report(self) -> None:
        """The bundle unpacked into a private folder (flagdeck's data dir), its report opened in the
        browser: its links to the raw files work there."""
        path = self.path
        if path is None:
            return

        def work(_target: Any, _t: Task) -> Path:
            from flagdeck import paths
            from flagdeck.evidence.open_bundle import unpack_for_reading

            return unpack_for_reading(path, paths.sub_dir("opened-bundles"))

        def opened(report: Path) -> None:
            self.report = report
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(report)))

        self.session.run("Open the evidence report", work, opened, self.fail, quiet=True, needs_target=False)

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

        self.session.run("Verify bundle", work, show, self.fail, needs_target=False,
                         describe=lambda c: f"{path.name}: " + ("complete and unchanged" if c.ok else "NOT intact"))
