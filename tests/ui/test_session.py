"""The session's own rules: reads do only the read (no backup listing, no report re-reading), retries
wait their first delay and then double, a read of a target no longer shown is dropped, work that
needs no target runs without one, verification waits for a write (and a write for a verification),
and unset goes through the same write as set."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from flagdeck import paths
from flagdeck.errors import TargetNotFound
from flagdeck.ui import target_model as session_module
from flagdeck.ui.state import FlagShape
from tests.ui.conftest import FLAG, demo_options, stored_flags
from tests.ui.test_watch import cli_set


def task_names(shell: Any) -> list[str]:
    """Names of the tasks the session starts from now on."""
    names: list[str] = []
    shell.session.runner.tasksChanged.connect(lambda: names.extend(
        t.name for t in shell.session.runner.running if t.name not in names))
    return names


def offline_shell(make_shell: Any, start_demo: Any) -> tuple[Any, Any]:
    """A demo profile holding the flag off, closed, and a settled shell on it."""
    demo = start_demo()
    demo.with_flags(json.dumps({FLAG: False}))
    demo.stop()
    shell = make_shell(demo_options(demo.profile))
    shell.wait_known()
    shell.wait_idle()
    return demo, shell


def test_a_watch_event_reads_the_flags_only(make_shell: Any, start_demo: Any, qtbot: Any) -> None:
    demo, shell = offline_shell(make_shell, start_demo)
    names = task_names(shell)
    cli_set(demo.profile, "true")
    qtbot.waitUntil(lambda: shell.session.shape() is FlagShape.ON, timeout=10_000)
    assert "read flags" in names
    assert "list backups" not in names and "read verification" not in names
    names.clear()
    (paths.sub_dir("verify") / "verify-x.json").write_text("{}")  # a file lands in verify/: the report only
    qtbot.waitUntil(lambda: "read verification" in names, timeout=10_000)
    shell.wait_idle()
    assert "read flags" not in names and "list backups" not in names


def test_backups_are_listed_after_a_write_and_when_asked(make_shell: Any, start_demo: Any, qtbot: Any) -> None:
    _demo, shell = offline_shell(make_shell, start_demo)
    assert not shell.session.backups_listed
    shell.session.list_backups()
    qtbot.waitUntil(lambda: shell.session.backups_listed, timeout=10_000)
    assert shell.session.backups == []
    shell.session.write_flag(FLAG, True, reload=False, source="test")
    shell.notice(f"{FLAG} set")
    qtbot.waitUntil(lambda: len(shell.session.backups) == 1, timeout=10_000)


def test_retry_waits_its_first_delay_then_doubles(make_shell: Any, tmp_path: Path, qtbot: Any) -> None:
    shell = make_shell(demo_options(tmp_path / "gone"))
    shell.wait_read(lambda s: s is not None and s.error is not None)
    retry = shell.session.model._retry
    assert retry.isActive() and retry.interval() == session_module.RETRY_FIRST_MS
    qtbot.waitUntil(lambda: retry.isActive() and retry.interval() == 2 * session_module.RETRY_FIRST_MS,
                    timeout=5_000)


def test_a_read_of_the_previous_target_is_dropped(make_shell: Any, tmp_path: Path) -> None:
    shell = make_shell(demo_options(tmp_path / "first"))
    shell.wait_read(lambda s: s is not None and s.error is not None)
    shell.wait_idle()
    old = shell.session.options
    shell.session.set_options(demo_options(tmp_path / "second"))
    shell.session.model._read_failed(old, TargetNotFound("the first target's late failure"))
    assert shell.session.snapshot is None or "first target" not in (shell.session.snapshot.error or "")
    shell.wait_read(lambda s: s is not None and s.error is not None and "second" in s.error)


def test_work_without_a_target_runs_when_the_target_is_missing(console_on: Any, live_demo: Any,
                                                               tmp_path: Path) -> None:
    shell, console = console_on(live_demo)
    shell.session.set_options(demo_options(tmp_path / "gone"))
    shell.wait_read(lambda s: s is not None and s.error is not None)
    log = console.show_page("log")
    shell.qtbot.waitUntil(lambda: bool(log.history_note.text()), timeout=10_000)
    history = console.show_page("history")
    backups = console.show_page("backups")
    shell.wait_idle()
    for page in (history, backups):
        page.banner.hide()  # this target's list needs the target: it says it is missing
    history.mine.setChecked(False)
    backups.all.setChecked(True)
    shell.wait_idle()
    for page in (log, history, backups):
        assert page.banner.isHidden(), page.banner.text.text()
    assert "of every target" in backups.subtitle_label.text()
    bundle = tmp_path / "any.zip"
    with zipfile.ZipFile(bundle, "w") as z:
        z.writestr("readme.txt", "not a bag")
    evidence = console.show_page("evidence")
    evidence.verify(bundle)
    shell.qtbot.waitUntil(lambda: evidence.banner.isVisible(), timeout=10_000)
    assert "is not a BagIt bag" in evidence.banner.text.text()  # the bundle was checked; no target looked for


def test_verify_waits_for_a_write(console_on: Any, live_demo: Any) -> None:
    shell, console = console_on(live_demo)
    page = console.show_page("verify")
    shell.session.gate.writer = "Restore x (flags)"  # a write is running
    shell.session.changed.emit()
    assert not page.run_button.isEnabled()
    shell.app.tray.menu.aboutToShow.emit()
    assert not shell.app.tray.action("verify").isEnabled()
    assert shell.session.start_verify(source="test") is None
    assert shell.notice("Verification not started")[1].startswith("Restore x (flags) is running")
    assert not shell.session.verifying
    shell.session.gate.writer = None
    shell.session.changed.emit()
    assert page.run_button.isEnabled()
    page.watch.setChecked(False)
    page.run()
    assert shell.session.verifying and not page.run_button.isEnabled()
    shell.qtbot.waitUntil(lambda: not shell.session.verifying, timeout=120_000)
    assert page.run_button.isEnabled()


def test_a_write_waits_for_a_running_verification(make_shell: Any, live_demo: Any) -> None:
    """The other way round: a write asked for while a verification runs is accepted but starts only
    when the verification has finished, so the checks never see its flip and reload."""
    from flagdeck import history

    shell = make_shell(demo_options(live_demo.profile))
    shell.wait_known()
    shell.wait_idle()
    reports: list[Any] = []
    assert shell.session.start_verify(source="test", on_done=reports.append) is not None
    task = shell.session.write_flag(FLAG, False, reload=True, source="test")
    assert task is not None and shell.session.exclusive is not None  # taken, not refused
    assert shell.session.runner.waiting(task) and shell.session.verifying
    assert "starts as soon as it has finished" in shell.notice("waiting")[1]
    shell.notice(f"{FLAG} set", timeout=120_000)
    shell.wait_idle()
    assert len(reports) == 1 and not reports[0].failed, [f"{r.id}: {r.detail}" for r in reports[0].failed]
    order = [e.kind for e in reversed(history.query())]
    assert order.index("verify") < order.index("flag-write")  # the write began after the checks ended
    assert stored_flags(live_demo.profile) == {FLAG: False}


def test_unset_without_reload_is_a_write_like_set(console_on: Any, live_demo: Any) -> None:
    shell, console = console_on(live_demo)
    page = console.show_page("flags")
    page.reload.setChecked(False)
    page.name.setCurrentText(FLAG)
    page.unset_value()
    shell.notice(f"{FLAG} unset")
    assert stored_flags(live_demo.profile) == {}
    assert "not reloaded" in shell.session.tooltip()  # the page still runs the value it loaded with
    assert any(r.action == f"Unset {FLAG}" and r.outcome == "ok" for r in shell.session.action_log.records)
