"""Team alerts after a rollback (the runbook's "Alert team about rollback"): the webhooks, the
keyring their URLs live in, alerts waiting in the outbox; set one up, send a test, retry, remove —
``flagdeck notify setup|test|status|retry|remove``."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from flagdeck.ui import icons
from flagdeck.ui.console import widgets
from flagdeck.ui.session import TargetSession


class AlertsDialog(QDialog):
    def __init__(self, session: TargetSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Team alerts — flagdeck")
        self.setWindowIcon(icons.app_icon())
        self.resize(720, 480)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.addWidget(widgets.muted("After every rollback flagdeck posts a summary to these webhooks (Slack, or "
                                       "plain JSON). Their URLs are kept in the OS keyring, never in a file."))
        self.banner = widgets.Banner()
        layout.addWidget(self.banner)
        self.keyring = widgets.muted("")
        layout.addWidget(self.keyring)
        self.hooks = widgets.table(["Name", "Kind", "URL", "Since"], stretch=2)
        layout.addWidget(self.hooks, 1)
        row = QHBoxLayout()
        self.test_button = QPushButton("Send a &test")
        self.remove_button = QPushButton("&Remove")
        row.addWidget(self.test_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        self.outbox = widgets.muted("")
        self.retry_button = QPushButton("Retry &waiting alerts")
        row.addWidget(self.outbox)
        row.addWidget(self.retry_button)
        layout.addLayout(row)

        add, form = widgets.group("Set up a webhook", QFormLayout)
        self.name = QLineEdit("default")
        self.kind = QComboBox()
        self.kind.addItem("Slack-compatible ({text, blocks})", "slack")
        self.kind.addItem("JSON ({event: rollback, ...})", "json")
        self.url = QLineEdit()
        self.url.setEchoMode(QLineEdit.EchoMode.Password)
        self.url.setPlaceholderText("https://hooks.slack.com/services/…")
        self.add_button = QPushButton("&Save to the keyring")
        self.add_button.setObjectName("primary")
        form.addRow("Name", self.name)
        form.addRow("Kind", self.kind)
        form.addRow("URL", self.url)
        form.addRow("", self.add_button)
        layout.addWidget(add)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        self.add_button.clicked.connect(self.add)
        self.test_button.clicked.connect(self.test)
        self.remove_button.clicked.connect(self.remove)
        self.retry_button.clicked.connect(self.retry)
        self.hooks.itemSelectionChanged.connect(self._selected)
        self.refresh()

    def _run(self, action: str, func: Any, done: Any, *, quiet: bool = False) -> None:
        self.session.run(action, lambda _target, _task: func(), done, self._failed, quiet=quiet, needs_target=False)

    def _failed(self, exc: BaseException) -> None:
        from flagdeck.ui.workers import error_text

        self.banner.show_message(error_text(exc), "error")

    def selected(self) -> str | None:
        rows = self.hooks.selectionModel().selectedRows()
        return str(widgets.cell_data(self.hooks, rows[0].row(), 0)) if rows else None

    def _selected(self) -> None:
        chosen = self.selected() is not None
        self.test_button.setEnabled(chosen)
        self.remove_button.setEnabled(chosen)

    # --- notify status / setup / test / retry / remove ---------------------------------------------

    def refresh(self) -> None:
        from flagdeck import notify

        self._run("Team alerts status", notify.status, self.show_status, quiet=True)

    def show_status(self, status: Any) -> None:
        chosen = self.selected()
        self.keyring.setText(f"Keyring: {status.keyring}")
        self.hooks.setRowCount(0)
        for row, hook in enumerate(status.webhooks):
            widgets.set_row(self.hooks, row, [widgets.item(hook.name, data=hook.name, bold=True),
                                              widgets.item(hook.kind), widgets.item(hook.display_url),
                                              widgets.item(str(hook.created)[:19].replace("T", " "))])
            if hook.name == chosen:
                self.hooks.selectRow(row)
        self.outbox.setText(f"Outbox: {len(status.waiting)} waiting, {len(status.failed)} failed")
        self.retry_button.setEnabled(bool(status.pending))
        self._selected()

    def add(self) -> None:
        from flagdeck import notify

        name, kind, url = self.name.text().strip() or "default", str(self.kind.currentData()), self.url.text().strip()

        def done(hook: Any) -> None:
            self.url.clear()
            self.banner.show_message(f"Webhook {hook.name!r} → {hook.display_url} saved (URL in the keyring). "
                                     "Send a test to check it.", "ok")
            self.refresh()

        self._run("Set up a team alert webhook", lambda: notify.setup(url, kind=kind, name=name), done)

    def test(self) -> None:
        from flagdeck import notify

        name = self.selected()
        self.banner.show_message(f"Sending a test alert to {name!r}…", "info")
        self._run("Test team alert", lambda: notify.send_test(name),
                  lambda r: self.banner.show_message(f"Test alert delivered to {r.webhook!r}.", "ok"))

    def retry(self) -> None:
        from flagdeck import notify

        def done(results: list[Any]) -> None:
            sent = sum(1 for r in results if r.delivered)
            self.banner.show_message(f"{sent} of {len(results)} waiting alert(s) delivered.",
                                     "ok" if sent == len(results) else "warning")
            self.refresh()

        self._run("Retry team alerts", notify.retry_now, done)

    def remove(self) -> None:
        from flagdeck import notify

        name = self.selected()

        def done(result: tuple[Any, int]) -> None:
            hook, dropped = result
            self.banner.show_message(f"Webhook {hook.name!r} removed" + (f"; {dropped} waiting alert(s) dropped"
                                                                          if dropped else "") + ".", "ok")
            self.refresh()

        self._run("Remove team alert webhook", lambda: notify.remove(name), done)

