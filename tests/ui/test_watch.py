"""The state the tray shows is kept true by watches, not polling: a write on disk (another flagdeck,
the CLI) and a write in the page are seen at once; an app that quits makes the state unknown until
the next read; an old read is unknown; a started app switches the watch to DevTools."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from flagdeck.ui import state
from flagdeck.ui.state import FlagShape
from flagdeck.ui.watch import DevToolsWatch, FileWatch
from tests.ui.conftest import FLAG, demo_options


def reads_of(shell: Any) -> list[str]:
    names: list[str] = []
    shell.session.runner.tasksChanged.connect(
        lambda: names.extend(t.name for t in shell.session.runner.running if t.name == "read flags"))
    return names


def cli_set(profile: Any, value: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "flagdeck", "--user-data-dir", str(profile), "flags", "set",
                           f"{FLAG}={value}"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_offline_write_by_the_cli_is_seen_without_polling(make_shell: Any, start_demo: Any, qtbot: Any) -> None:
    demo = start_demo()
    demo.with_flags(json.dumps({FLAG: False}))
    demo.stop()
    shell = make_shell(demo_options(demo.profile))
    assert shell.wait_known().mode == "offline"
    assert isinstance(shell.session.watch, FileWatch) and shell.session.shape() is FlagShape.OFF
    reads = reads_of(shell)
    qtbot.wait(2500)
    assert reads == []  # idle: nothing polls the storage
    cli_set(demo.profile, "true")
    qtbot.waitUntil(lambda: shell.session.shape() is FlagShape.ON, timeout=10_000)
    assert reads  # the watch fired a read


def test_page_write_is_seen_over_devtools(make_shell: Any, live_demo: Any, qtbot: Any) -> None:
    shell = make_shell(demo_options(live_demo.profile))
    assert shell.wait_known().mode == "live"
    assert isinstance(shell.session.watch, DevToolsWatch)
    live_demo.set_flags(json.dumps({FLAG: False}))  # the page itself (or DevTools by hand)

    def stored() -> object:
        return shell.session.snapshot.status.report.flag(FLAG).stored_value

    qtbot.waitUntil(lambda: stored() is False, timeout=10_000)
    assert shell.session.shape() is FlagShape.ON  # the page still runs the value it loaded with...
    assert "stored off: applies at the next reload" in shell.session.tooltip()
    live_demo.reload()  # ...until it reloads
    qtbot.waitUntil(lambda: shell.session.shape() is FlagShape.OFF, timeout=10_000)
    live_demo.with_flags(json.dumps({FLAG: "false"}))  # a string: truthy, the app runs ON
    qtbot.waitUntil(lambda: shell.session.shape() is FlagShape.ON, timeout=10_000)
    warnings = [w.code for w in shell.session.snapshot.status.report.warnings]
    assert "non-boolean" in warnings


def test_app_quitting_makes_the_state_unknown_then_offline(make_shell: Any, live_demo: Any, qtbot: Any) -> None:
    shell = make_shell(demo_options(live_demo.profile))
    assert shell.wait_known().mode == "live"
    shell.wait_idle()  # the read the opening watch asks for is done: a late one would see the app gone first
    shapes: list[FlagShape] = []
    shell.session.changed.connect(lambda: shapes.append(shell.session.shape()))
    live_demo.stop()
    qtbot.waitUntil(lambda: shell.session.snapshot.mode == "offline" and shell.session.watch_alive, timeout=20_000)
    assert FlagShape.UNKNOWN in shapes  # between the app leaving and the next read, no claim is made
    assert shell.session.shape() is FlagShape.ON  # as the app left it on disk
    assert isinstance(shell.session.watch, FileWatch)


def test_started_app_switches_the_watch_to_devtools(make_shell: Any, start_demo: Any, qtbot: Any) -> None:
    demo = start_demo()
    demo.stop()
    shell = make_shell(demo_options(demo.profile))
    assert shell.wait_known().mode == "offline"
    again = start_demo()  # same profile, a debug port: DevToolsActivePort appears in the user-data dir
    assert again.profile == demo.profile
    qtbot.waitUntil(lambda: shell.session.snapshot.mode == "live" and shell.session.watch_alive, timeout=30_000)
    assert isinstance(shell.session.watch, DevToolsWatch)


def test_old_read_is_unknown_until_read_again(make_shell: Any, live_demo: Any, qtbot: Any,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    shell = make_shell(demo_options(live_demo.profile))
    shell.wait_known()
    shell.wait_idle()  # the read the opening watch asks for is done too
    monkeypatch.setattr(state, "STALE_AFTER_S", 0.3)
    qtbot.wait(400)
    assert shell.session.shape() is FlagShape.UNKNOWN
    assert "unknown" in shell.session.tooltip()
    monkeypatch.setattr(state, "STALE_AFTER_S", 600.0)
    shell.session.model._tick()  # the coarse timer: re-read what is old
    qtbot.waitUntil(lambda: shell.session.shape() is FlagShape.ON, timeout=10_000)


class _Params(dict[str, Any]):
    """Event params that remember which of their fields were looked at."""

    def __init__(self, read: list[str], **fields: Any) -> None:
        super().__init__(fields)
        self.read = read

    def get(self, key: str, default: Any = None) -> Any:
        self.read.append(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.read.append(key)
        return super().__getitem__(key)


def test_devtools_watch_reads_only_the_flag_key(qtbot: Any, tmp_path: Any) -> None:
    """Every storage change of the page arrives (DOMStorage.enable); another key's event is dropped
    with only its key read: its values (secrets) are never looked at."""
    from flagdeck.targets.resolve import Target
    from flagdeck.ui.workers import TaskRunner

    class Unopened(TaskRunner):
        def _start(self, task: Any, func: Any) -> None:
            """The watch's session is never opened: the events below are fed to its listener."""

    target = Target("Demo", tmp_path / "leveldb", tmp_path, "featureFlags", "file://", False, 9222, False)
    watch = DevToolsWatch(target, "file://", Unopened())
    heard: list[str] = []
    watch.changed.connect(heard.append)
    watch.reloaded.connect(lambda: heard.append("reload"))
    origin = {"securityOrigin": "file://", "isLocalStorage": True}
    read: list[str] = []
    secret = _Params(read, storageId=origin, key="persist:app", oldValue="{}", newValue='{"apiKey":"sk-1"}')
    watch._listen({"method": "DOMStorage.domStorageItemUpdated", "params": secret})
    assert heard == [] and read == ["key"]
    read.clear()
    flag = _Params(read, storageId=origin, key="featureFlags", oldValue="{}", newValue="{}")
    watch._listen({"method": "DOMStorage.domStorageItemUpdated", "params": flag})
    assert heard == ["storage changed"] and sorted(read) == ["key", "storageId"]
    elsewhere = _Params([], storageId={"securityOrigin": "https://other.example"}, key="featureFlags")
    watch._listen({"method": "DOMStorage.domStorageItemAdded", "params": elsewhere})
    watch._listen({"method": "Page.loadEventFired", "params": {}})
    assert heard == ["storage changed", "reload"]
    watch.close()
