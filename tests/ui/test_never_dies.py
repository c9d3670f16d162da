"""An exception in a slot or in a job's result never ends the process: it is logged with its
traceback, shown as a notification, and the action is marked failed on the Log page."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer

from tests.ui.conftest import demo_options


def test_a_result_or_a_slot_that_raises_is_logged_told_and_marked_failed(
        make_shell: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    shell = make_shell(demo_options(tmp_path / "none"))
    shell.expect_errors = True
    caplog.set_level(logging.ERROR, logger="flagdeck")

    def broken_view(_value: Any) -> None:
        raise RuntimeError("the view broke")

    shell.session.run("Read something", lambda _target, _task: 42, broken_view, needs_target=False)
    _title, message, level = shell.notice("Read something failed")
    assert "the view broke" in message and level == "error"
    record = next(r for r in shell.session.action_log.records if r.action == "Read something")
    assert record.outcome == "failed" and "RuntimeError: the view broke" in record.message

    QTimer.singleShot(0, lambda: [][1])  # a slot of a window that raises
    shell.notice("A window action failed")
    failed = [r for r in shell.session.action_log.records if r.action.startswith("A window action")]
    assert failed and failed[0].outcome == "failed" and "IndexError" in failed[0].message
    traces = [r for r in caplog.records if r.exc_info]
    assert {r.exc_info[0] for r in traces if r.exc_info} >= {RuntimeError, IndexError}  # the tracebacks, logged
    assert shell.app.tray.icon.isVisible()  # and flagdeck goes on
