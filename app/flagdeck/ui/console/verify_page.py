"""Verify: the runbook's post-rollback checks with their status and figures, live as they run,
and the items only a person can answer — ``flagdeck verify`` and ``checklist`` (post)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from flagdeck.ui import icons
from flagdeck.ui.console import widgets
from flagdeck.ui.console.checklist_table import ChecklistTable
from flagdeck.ui.console.page import ConsoleContext, Page
from flagdeck.ui.texts import short_name

COLUMNS = ["Status", "Check", "Figure", "Limit", "Detail", "Time"]


def _as_dict(report: Any) -> dict[str, Any]:
    return report if isinstance(report, dict) else dict(report.to_json())


class VerifyPage(Page):
    key, title, icon = "verify", "Verify", "verify"
    subtitle = ("The runbook's verification: message loading, agent sessions, attachments, editing, no data loss, "
                "error rate, memory, CPU. What flagdeck cannot check becomes an item for a person.")

    def __init__(self, ctx: ConsoleContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        options = QHBoxLayout()
        self.run_button = QPushButton(icons.page_icon("verify"), "&Run verification")
        self.run_button.setObjectName("primary")
        self.run_button.setToolTip("Run every check against the target now (Ctrl+Shift+V)")
        self.watch = QCheckBox("Memory/CPU watch")
        self.watch.setChecked(True)
        self.window_s = QDoubleSpinBox()
        self.window_s.setRange(0.5, 600)
        self.window_s.setValue(3.0)
        self.window_s.setSuffix(" s")
        self.window_s.setToolTip("Length of the memory/CPU watch window")
        self.full = QCheckBox("Full (10-minute memory watch, bigger error burst)")
        options.addWidget(self.run_button)
        options.addSpacing(12)
        options.addWidget(self.watch)
        options.addWidget(self.window_s)
        options.addWidget(self.full)
        options.addStretch(1)
        self.layout_.addLayout(options)
        self.bar = widgets.busy_bar()
        self.layout_.addWidget(self.bar)

        checks, checks_layout = widgets.group("Checks", QVBoxLayout)
        self.verdict = QLabel("No verification of this target yet.")
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        checks_layout.addWidget(self.verdict)
        self.table = widgets.table(COLUMNS, stretch=4)
        checks_layout.addWidget(self.table, 1)
        manual, manual_layout = widgets.group("For a person: post-rollback and manual validation", QVBoxLayout)
        self.checklist = ChecklistTable(self.session, phases=("post", "validation"))
        self.checklist.failed.connect(self.fail)
        manual_layout.addWidget(self.checklist)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(checks)
        split.addWidget(manual)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        self.layout_.addWidget(split, 1)

        self.run_button.clicked.connect(self.run)
        self.session.verified.connect(self.show_report)
        self.session.changed.connect(self._sync)
        self._rows: dict[str, int] = {}

    def _sync(self) -> None:
        writing = self.session.exclusive
        self.run_button.setEnabled(not self.session.verifying and writing is None)
        self.run_button.setToolTip(f"{writing} is running: verify when it has finished" if writing else
                                   "Run every check against the target now (Ctrl+Shift+V)")
        self.bar.setVisible(self.session.verifying)

    # --- running ------------------------------------------------------------------------------------

    def run(self) -> None:
        if self.session.exclusive is not None or self.session.verifying:
            why = (f"{self.session.exclusive} is running: verify when it has finished" if self.session.exclusive
                   else "a verification is running already")
            self.say(why, "warning")
            return
        self.banner.hide()
        self.table.setRowCount(0)
        self._rows = {}
        self.verdict.setText("Verifying…")
        self.session.start_verify(source="console", full=self.full.isChecked(), window=self.window_s.value(),
                                  watch=self.watch.isChecked(), on_progress=self.progress)
        self._sync()

    def progress(self, event: tuple[str, Any]) -> None:
        check_id, result = event
        row = self._rows.setdefault(check_id, self.table.rowCount())
        if result is None:
            widgets.set_row(self.table, row, [widgets.status_item("running"), widgets.item(check_id, bold=True),
                                              widgets.item(""), widgets.item(""), widgets.item("checking…"),
                                              widgets.item("")])
        else:
            self._fill_row(row, dict(result.__dict__))

    # --- rendering ----------------------------------------------------------------------------------

    def _fill_row(self, row: int, r: dict[str, Any]) -> None:
        figure = f"{r['figure']:g} {r.get('unit', '')}".strip() if r.get("figure") is not None else ""
        detail = r.get("detail", "")
        if r["status"] == "manual" and r.get("instruction"):
            detail = f"{detail} — {r['instruction']}"
        tip = "\n".join(x for x in (r.get("title", ""), r.get("runbook", ""), detail) if x)
        widgets.set_row(self.table, row, [
            widgets.status_item(r["status"]), widgets.item(r["id"], bold=True, tip=tip),
            widgets.item(figure), widgets.item(r.get("limit", "")), widgets.item(detail, tip=tip),
            widgets.item(f"{float(r.get('seconds') or 0):.2f} s"),
        ])

    def show_report(self, report: Any) -> None:
        data = _as_dict(report)
        self.table.setRowCount(0)
        self._rows = {}
        for row, r in enumerate(data.get("results", [])):
            self._rows[r["id"]] = row
            self._fill_row(row, r)
        failed, manual = data.get("failed") or [], data.get("manual") or []
        when = str(data.get("started", ""))[:19].replace("T", " ")
        head = (f"{short_name(str(data.get('target')))} ({data.get('mode')}), {when} UTC, "
                f"{float(data.get('seconds') or 0):.1f} s — ")
        if failed:
            self.verdict.setText(f"{head}<b style='color:#b71c1c'>FAILED: {', '.join(failed)}</b>")
        else:
            extra = f" ({len(manual)} check(s) need a person)" if manual else ""
            self.verdict.setText(f"{head}<b style='color:#1b5e20'>OK</b>{extra}")
        automated = {r["id"]: r["status"] for r in data.get("results", []) if r["status"] != "manual"}
        self.checklist.reload(automated)
        self._sync()

    def activated(self) -> None:
        self._sync()
        if self.table.rowCount() == 0 and self.session.last_verify is not None:
            self.show_report(self.session.last_verify)
        elif self.table.rowCount() == 0:
            def work(target: Any, _t: Any) -> dict[str, Any] | None:
                from flagdeck.verify.runner import latest_report

                return latest_report(target)

            self.session.run("Last verification", work, lambda d: self.show_report(d) if d else
                             self.checklist.reload(), self.fail, quiet=True)
        else:
            self.checklist.reload()
