"""The guided view of Level 2 (code revert) and Level 3 (full rollback): the steps with their exact
commands, the output of each command as it runs, the questions (a destructive step asks; the
branch deletion wants the branch name typed back), the budget, and what is left to a person.

Self-contained: the Rollback page opens it (``open_levels``), the tray's "Level 2…" too (through
the console). It calls the core (``flagdeck.runbooks``) on a worker through ``session.run`` and
renders what comes back; the questions the worker asks wait for the person here.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from flagdeck.errors import FlagdeckError
from flagdeck.runbooks import BUDGET_SECONDS, ROLLBACK_TYPES, budget_text
from flagdeck.runbooks.commands import display
from flagdeck.runbooks.model import LevelPlan, Step
from flagdeck.ui import icons, theme
from flagdeck.ui.console import widgets
from flagdeck.ui.console.page import ConsoleContext
from flagdeck.ui.workers import error_text

STATUS_ICON = {"declined": "warning", "stopped": "warning", "planned": "pending", "failed": "fail"}
OUTCOME_LEVEL = {"verified": "ok", "unverified": "warning", "failed": "error", "stopped": "warning"}
LEVEL_WORDS = {2: "Level 2 (code revert)", 3: "Level 3 (full rollback)"}
WHEN = {2: "when the flag is not sufficient or broken; < 5 minutes",
        3: "when systemic issues are discovered; planned, 30 minutes"}


@dataclass
class Ask:
    """A question the worker waits on: the person's answer goes into ``reply``, then ``event``."""

    step: Step
    plan: LevelPlan
    reply: dict[str, bool] = field(default_factory=dict)
    event: threading.Event = field(default_factory=threading.Event)


def _icon(status: str) -> Any:
    return icons.status_icon(STATUS_ICON.get(status, status))


class LevelsDialog(QDialog):
    """One level's guided view (non-modal: the console stays usable; closing it while a run goes on
    only hides it)."""

    def __init__(self, ctx: ConsoleContext, level: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.session = ctx.session
        self.level = level
        self.setObjectName(f"levels-{level}")
        self.setWindowTitle(f"{LEVEL_WORDS[level]} — flagdeck")
        self.setWindowIcon(icons.page_icon("rollback"))
        self.resize(1100, 740)
        self.plan: LevelPlan | None = None
        self.result: Any = None
        self.stopped_id: str | None = None  # a run of this level that stopped: Resume carries it on
        self.running = False
        self._task: Any = None
        self._items: dict[str, QTreeWidgetItem] = {}
        self._started = 0.0
        self._clock = QTimer(self, interval=200)
        self._clock.timeout.connect(self._tick)
        self._build()
        self._prefill()

    # --- building -----------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        head, self.subtitle = widgets.header(LEVEL_WORDS[self.level],
                                             f"The runbook's {LEVEL_WORDS[self.level]}: {WHEN[self.level]}. Every "
                                             "step and command is shown first; destructive steps ask.")
        layout.addWidget(head)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.repo = QLineEdit()
        self.repo.setPlaceholderText("the app's source checkout (git)")
        choose = QPushButton("Choose…")
        choose.clicked.connect(self._choose_repo)
        form.addRow("Repository", self._row(self.repo, choose))
        self.to = QLineEdit()
        self.to.setPlaceholderText("HEAD only (git revert --no-edit HEAD)")
        self.branch = QLineEdit()
        self.remote = QLineEdit()
        self.remote.setPlaceholderText("origin")
        if self.level == 2:
            form.addRow("Last good commit", self.to)
        else:
            form.addRow("Feature branch", self.branch)
            form.addRow("Remote", self.remote)
        layout.addLayout(form)

        row = QHBoxLayout()
        self.plan_button = QPushButton(icons.page_icon("verify"), "Show the &plan (dry run)")
        self.plan_button.setToolTip("Every step with its exact commands; nothing changes")
        self.plan_button.clicked.connect(self.show_plan)
        self.run_button = QPushButton(icons.page_icon("rollback"), f"&Run {LEVEL_WORDS[self.level]}…")
        self.run_button.setObjectName("danger")
        self.run_button.clicked.connect(self.start)
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Carry on the run that stopped, from the step where it stopped")
        self.resume_button.clicked.connect(self.resume)
        self.budget = QProgressBar()
        self.budget.setRange(0, int(BUDGET_SECONDS[self.level]))
        self.budget.setValue(0)
        self.budget.setFormat(f"%v s of {budget_text(self.level)}")
        self.budget.setMaximumWidth(220)
        row.addWidget(self.plan_button)
        row.addWidget(self.run_button)
        row.addWidget(self.resume_button)
        row.addStretch(1)
        row.addWidget(QLabel("Budget"))
        row.addWidget(self.budget)
        layout.addLayout(row)
        self.banner = widgets.Banner()
        layout.addWidget(self.banner)

        split = QSplitter(Qt.Orientation.Vertical)
        self.steps = QTreeWidget()
        self.steps.setColumnCount(4)
        self.steps.setHeaderLabels(["Step / command", "Status", "Time", "Detail"])
        self.steps.setColumnWidth(0, 520)
        self.steps.setColumnWidth(1, 100)
        self.steps.setColumnWidth(2, 70)
        self.steps.setAlternatingRowColors(True)
        self.steps.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        split.addWidget(self.steps)
        lower = QSplitter(Qt.Orientation.Horizontal)
        out_box, out_layout = widgets.group("Output", QVBoxLayout)
        self.output = widgets.text_view("each command's output appears here as it runs")
        self.output.setMaximumBlockCount(20_000)
        out_layout.addWidget(self.output)
        lower.addWidget(out_box)
        manual_box, manual_layout = widgets.group("Left to a person", QVBoxLayout)
        self.manual = QListWidget()
        self.manual.setWordWrap(True)
        manual_layout.addWidget(self.manual)
        lower.addWidget(manual_box)
        lower.setSizes([700, 380])
        split.addWidget(lower)
        split.setSizes([380, 260])
        layout.addWidget(split, 1)

        bottom = QHBoxLayout()
        self.outcome = widgets.muted("")
        self.outcome.setWordWrap(True)
        self.open_record = QPushButton("Open the record folder")
        self.open_record.setEnabled(False)
        self.open_record.clicked.connect(self._open_record)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        bottom.addWidget(self.outcome, 1)
        bottom.addWidget(self.open_record)
        bottom.addWidget(close)
        layout.addLayout(bottom)
        self._sync()

    @staticmethod
    def _row(*parts: QWidget) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        for i, part in enumerate(parts):
            row.addWidget(part, 1 if i == 0 else 0)
        return box

    def _prefill(self) -> None:
        target = self.session.target
        runbook = target.preset.runbook if target is not None and target.preset is not None else None
        if runbook is not None:
            if runbook.repo:
                from flagdeck.targets.presets import expand

                self.repo.setText(str(expand(runbook.repo)))
            self.branch.setPlaceholderText(runbook.feature_branch or "the feature branch")
            self.remote.setPlaceholderText(runbook.remote)

    def _choose_repo(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "The app's source checkout", self.repo.text())
        if folder:
            self.repo.setText(folder)

    def _sync(self) -> None:
        self.plan_button.setEnabled(not self.running)
        self.run_button.setEnabled(not self.running)
        self.resume_button.setEnabled(not self.running and self.stopped_id is not None)
        for field_ in (self.repo, self.to, self.branch, self.remote):
            field_.setEnabled(not self.running)

    # --- the options --------------------------------------------------------------------------------

    def options(self) -> dict[str, Any]:
        return {"repo": self.repo.text().strip() or None, "to": self.to.text().strip() or None,
                "branch": self.branch.text().strip() or None, "remote": self.remote.text().strip() or None}

    def _prepare(self, target: Any) -> LevelPlan:
        from flagdeck.runbooks import plan

        opts = self.options()
        if self.level == 2:
            return plan.prepare(2, target, repo=opts["repo"], to=opts["to"])
        return plan.prepare(3, target, repo=opts["repo"], branch=opts["branch"], remote=opts["remote"])

    # --- plan -----------------------------------------------------------------------------------------

    def show_plan(self) -> None:
        self.banner.hide()
        self.session.run(f"Plan {LEVEL_WORDS[self.level]}", lambda target, _task: self._prepare(target),
                         self.render_plan, self.fail, quiet=True)

    def render_plan(self, plan: LevelPlan) -> None:
        self.plan = plan
        self.steps.clear()
        self._items.clear()
        for i, step in enumerate(plan.steps, 1):
            ask = {"yes": "  [asks first]", "branch": "  [branch name typed back]"}.get(step.confirm, "")
            item = QTreeWidgetItem([f"{i}. {step.title}{ask}", step.status, "", step.action])
            item.setIcon(1, _icon(step.status))
            item.setToolTip(0, step.title)
            item.setToolTip(3, step.action)
            self.steps.addTopLevelItem(item)
            self._items[step.id] = item
            self._fill_children(item, step)
            item.setExpanded(True)
        self.manual.clear()
        for line in dict.fromkeys(m for s in plan.steps for m in s.manual):
            self._add_manual(line)
        where = f"{plan.repo}" + (f", branch {plan.branch}" if plan.branch else "")
        notes = "".join(f"; {n}" for n in plan.notes)
        self.outcome.setText(f"Planned in {where}{notes}. Nothing changes until you run it.")

    def _fill_children(self, item: QTreeWidgetItem, step: Step) -> None:
        item.takeChildren()
        for cmd in step.commands:
            extra = " (shown before the question)" if cmd.preview else ""
            if cmd.when_script:
                extra += f" (only when package.json defines {cmd.when_script})"
            status = cmd.status if cmd.status != "pending" else ""
            code = f"exit {cmd.exit_code}" if cmd.exit_code is not None else cmd.note
            child = QTreeWidgetItem([f"$ {display(cmd.argv)}{extra}", status,
                                     f"{cmd.seconds:.2f} s" if cmd.exit_code is not None else "", code])
            child.setFont(0, theme.mono_font())
            child.setToolTip(0, f"$ {display(cmd.argv)}\n(in {cmd.cwd})")
            if status:
                child.setIcon(1, _icon(status))
            item.addChild(child)
        for line in step.manual:
            child = QTreeWidgetItem([f"manual: {line}", "", "", ""])
            child.setIcon(0, icons.status_icon("manual"))
            item.addChild(child)

    def _add_manual(self, line: str) -> None:
        existing = {self.manual.item(i).text() for i in range(self.manual.count())}
        if line in existing:
            return
        entry = QListWidgetItem(line)
        entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        entry.setCheckState(Qt.CheckState.Unchecked)
        self.manual.addItem(entry)

    # --- run ------------------------------------------------------------------------------------------

    def start(self) -> None:
        self._run(None)

    def resume(self) -> None:
        if self.stopped_id is not None:
            self._run(self.stopped_id)

    def _run(self, resume_id: str | None) -> None:
        from flagdeck.runbooks import run

        self.banner.hide()
        if resume_id is None:
            self.output.clear()

        def work(target: Any, task: Any) -> Any:
            def confirm(step: Step, plan: LevelPlan) -> bool:
                ask = Ask(copy.deepcopy(step), plan)
                task.report(("ask", ask))
                while not ask.event.wait(0.2):
                    if task.cancelled:
                        return False
                return bool(ask.reply.get("yes"))

            def progress(step: Step) -> None:
                task.report(("step", copy.deepcopy(step)))

            def output(step: Step, line: str) -> None:
                task.report(("line", step.id, line))

            if resume_id is not None:
                return run.resume(resume_id, target, confirm=confirm, progress=progress, output=output,
                                  note="from the flagdeck console")
            plan = self._prepare(target)
            task.report(("plan", copy.deepcopy(plan)))
            return run.start(plan, target, confirm=confirm, progress=progress, output=output,
                             note="from the flagdeck console")

        self.running = True
        self._started = 0.0
        self._clock.start()
        self._sync()
        task = self.session.run(LEVEL_WORDS[self.level], work, self.run_finished, self._failed_to_run,
                                on_progress=self._progress, exclusive=True,
                                describe=lambda r: f"{r.outcome} in {r.seconds:.1f} s")
        if task is None:
            self.running = False
            self._clock.stop()
            self._sync()
        self._task = task

    def _progress(self, value: Any) -> None:
        kind = value[0]
        if kind == "plan":
            self.render_plan(value[1])
            self.outcome.setText("Running…")
        elif kind == "step":
            self._step(value[1])
        elif kind == "line":
            self.output.appendPlainText(value[2])
        elif kind == "ask":
            ask: Ask = value[1]
            try:
                ask.reply["yes"] = self.ask_person(ask.step, ask.plan)
            finally:
                ask.event.set()

    def _step(self, step: Step) -> None:
        if self.plan is None or step.id not in self._items:
            return
        item = self._items[step.id]
        item.setText(1, step.status)
        item.setIcon(1, _icon(step.status))
        item.setText(2, f"{step.seconds:.2f} s" if step.status != "running" else "")
        item.setText(3, step.detail or step.action)
        item.setToolTip(3, step.detail or step.action)
        self._fill_children(item, step)
        item.setExpanded(step.status in ("running", "failed", "declined") or bool(step.commands))
        if step.status == "running":
            self.steps.scrollToItem(item)
            self.output.appendPlainText(f"── {step.title}")
        if step.elapsed:
            self.budget.setValue(min(int(step.elapsed), self.budget.maximum()))
        for line in step.manual:
            self._add_manual(line)

    def _tick(self) -> None:
        self._started += self._clock.interval() / 1000
        if self.running and self.budget.value() < self._started:
            self.budget.setValue(min(int(self._started), self.budget.maximum()))

    def run_finished(self, result: Any) -> None:
        self.running = False
        self._clock.stop()
        self.result = result
        self.plan = result.plan
        for step in result.plan.steps:
            self._step(step)
        for line in result.manual:
            self._add_manual(line)
        self.budget.setValue(min(int(result.seconds), self.budget.maximum()))
        self.stopped_id = result.id if result.outcome in ("failed", "stopped") else None
        text = f"{ROLLBACK_TYPES[self.level]} {result.id}: {result.outcome.upper()} in {result.seconds:.1f} s"
        if result.level == 2 and result.head:
            text += f"; HEAD {str(result.plan.head)[:10]} → {str(result.head)[:10]}"
        branch = result.plan.step("branch")
        if result.plan.restore_commands and branch is not None and branch.status == "done":
            text += f"; the deleted branch comes back with: {result.plan.restore_commands[0]}"
        if result.error is not None:
            text += f" — stopped: {error_text(result.error)}; fix it, then Resume"
        if result.over_budget:
            text += f" (over the {budget_text(self.level)} budget)"
        self.banner.show_message(text, OUTCOME_LEVEL.get(result.outcome, "info"))
        evidence = f"; evidence: {result.bundle}" if result.bundle else ""
        self.outcome.setText(f"record: {result.record_path}{evidence}")
        self.open_record.setEnabled(bool(result.record_path))
        self._sync()

    def _failed_to_run(self, exc: BaseException) -> None:
        self.running = False
        self._clock.stop()
        self.fail(exc)
        self._sync()

    def fail(self, exc: BaseException) -> None:
        self.banner.show_message(error_text(exc), "error")

    # --- questions --------------------------------------------------------------------------------------

    def ask_person(self, step: Step, plan: LevelPlan) -> bool:
        """A destructive step's question; the branch deletion wants the branch name typed back."""
        self.show()
        self.raise_()
        commands = "\n".join(f"$ {display(c.argv)}" for c in step.commands if not c.preview)
        if step.confirm == "branch":
            name = plan.feature_branch or ""
            typed = self.ask_text(step.title, f"{commands}\n\nNothing is lost: the tip is kept under "
                                  f"{', '.join(plan.backup_refs)}.\n\nType the branch name ({name}) to delete it:")
            if typed is None or typed.strip() != name:
                self.output.appendPlainText("   not the branch name: nothing deleted" if typed else "   not confirmed")
                return False
            return True
        return self.ask_yes(step.title, f"{step.title}\n\n{commands or step.action}\n\nGo ahead?")

    def ask_text(self, title: str, label: str) -> str | None:
        text, ok = QInputDialog.getText(self, title, label)
        return text if ok else None

    def ask_yes(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    # --- the rest -----------------------------------------------------------------------------------------

    def _open_record(self) -> None:
        if self.result is not None and self.result.record_path:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(self.result.record_path).parent)))

    def find_stopped(self) -> None:
        """The newest run of this level and target that stopped (so Resume works after a restart)."""
        target = self.session.target
        if target is None or self.running:
            return
        try:
            from flagdeck.rollback import record

            found = next((r for r in record.load_all(target.slug) if r.get("level") == self.level
                          and r.get("outcome") in ("failed", "stopped")), None)
        except (OSError, FlagdeckError):
            found = None
        if found is not None and self.stopped_id is None:
            self.stopped_id = str(found.get("id"))
            self.resume_button.setToolTip(f"Carry on run {self.stopped_id} from where it stopped")
        self._sync()


def open_levels(parent: QWidget, ctx: ConsoleContext, level: int) -> LevelsDialog:
    """Show the guided view of ``level`` (one per level and console; shown again if it exists)."""
    dialog = parent.findChild(LevelsDialog, f"levels-{level}")
    if dialog is None:
        dialog = LevelsDialog(ctx, level, parent)
        dialog.setWindowFlag(Qt.WindowType.Window, True)
    dialog.find_stopped()
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


def level_buttons(page: QWidget, ctx: ConsoleContext) -> QWidget:
    """The Rollback page's way to Levels 2 and 3 (Level 1 is the page itself)."""
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    for level in (2, 3):
        button = QPushButton(f"{LEVEL_WORDS[level]}…")
        button.setObjectName(f"level{level}")
        button.setToolTip(f"Open the guided {LEVEL_WORDS[level]}: {WHEN[level]}")
        button.clicked.connect(lambda _c=False, n=level: open_levels(page, ctx, n))
        row.addWidget(button)
    return box
