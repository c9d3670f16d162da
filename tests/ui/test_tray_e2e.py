"""The done-when list, end to end: ``flagdeck tray --hidden`` as a real process under Xvfb with
``trayer`` as the tray host, its menu driven with xdotool, against the real demo target."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.ui.conftest import FLAG, page_flag, stored_flags, wait_for
from tests.ui.tray_process import TrayProcess, tray_entry
from tests.ui.xserver import XSession

pytestmark = pytest.mark.slow


@pytest.fixture
def tray(x_session: XSession, live_demo: Any) -> Any:
    from flagdeck.ui.settings import UiSettings

    # The trigger board checks itself by default (test_console_incident.py): not here, where it
    # would only add a verification to every start (and its CPU to the footprint's idle window).
    UiSettings().auto_check_triggers = False
    procs: list[TrayProcess] = []

    def start(*tray_args: str, global_args: list[str] | None = None) -> TrayProcess:
        args = ["--user-data-dir", str(live_demo.profile)] if global_args is None else global_args
        proc = TrayProcess(x_session, args, list(tray_args), env=dict(os.environ))
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        proc.stop()


def test_hidden_start_shows_the_icon_with_the_flag_state(tray: Any, live_demo: Any) -> None:
    proc = tray("--hidden")
    _wid, _x, y, w, h = proc.icon()
    assert w >= 16 and h >= 16 and y < 40  # embedded in trayer's panel at the top of the screen
    proc.wait_log("tray icon shown")
    proc.wait_log("watching file:// over DevTools")
    assert not proc.x.visible_windows("— flagdeck")  # --hidden: no console window


def test_quick_toggle_is_one_click_then_undo(tray: Any, live_demo: Any) -> None:
    """One click writes and reloads (no question by default); Undo puts it back for a few seconds."""
    proc = tray("--hidden")
    proc.wait_log("watching file:// over DevTools")
    time.sleep(0.5)
    proc.open_menu()
    proc.keys("Down", "Down", "Return")  # target header, then the flag item
    log = proc.wait_log(f"notification [info] {FLAG} set", timeout=60)
    assert "click here within" in log and "to undo" in log
    assert not proc.x.visible_windows(f"Set {FLAG}")  # nothing asked
    assert stored_flags(live_demo.profile) == {FLAG: False}
    assert wait_for(lambda: page_flag(live_demo) is False, timeout=20)
    proc.open_menu()
    proc.keys("u")  # &Undo: the flag back to true
    wait_for(lambda: proc.log().count(f"notification [info] {FLAG} set") == 2, timeout=60)
    assert stored_flags(live_demo.profile) == {FLAG: True}
    assert wait_for(lambda: page_flag(live_demo) is True, timeout=20)


def test_emergency_rollback_runs_to_verified_with_notifications(tray: Any, live_demo: Any) -> None:
    proc = tray("--hidden")
    proc.wait_log("watching file:// over DevTools")
    time.sleep(0.5)
    proc.open_menu()
    proc.keys("e")  # &Emergency rollback (Level 1)…
    proc.wait_window("Emergency rollback")  # the confirmation with the plan
    proc.keys("Return")  # "Roll back now"
    log = proc.wait_log("notification [info] Rollback verified", timeout=120)
    assert "notification [info] Rollback started" in log
    assert "Emergency rollback on" in log and ": ok: verified" in log
    assert stored_flags(live_demo.profile) == {FLAG: False}
    assert page_flag(live_demo) is False


def test_second_launch_raises_the_first(tray: Any, live_demo: Any) -> None:
    first = tray("--hidden")
    first.icon()
    first.wait_log("tray icon shown")
    assert not first.x.visible_windows("— flagdeck")
    second = subprocess.run([*tray_entry(), "--user-data-dir", str(live_demo.profile), "tray"],
                            env=first.env, capture_output=True, text=True, timeout=30)
    assert second.returncode == 0, second.stderr
    assert "already running" in second.stderr and str(first.proc.pid) in second.stderr
    first.wait_window("— flagdeck")
    assert "a second launch asked for the console" in first.log()
    assert first.proc.poll() is None


def test_footprint_idle_tray(tray: Any, live_demo: Any) -> None:
    """Idle RSS < 150 MB, idle CPU < 0.5 % (the tray's own CPU time: nothing polls, whatever else
    runs beside it), and no QtWebEngine inside."""
    proc = tray("--hidden")
    t0 = proc.started
    proc.icon(timeout=10)
    shown = time.monotonic() - t0
    proc.wait_log("watching file:// over DevTools")
    time.sleep(2.0)  # let the first read and the watch settle
    p = psutil.Process(proc.proc.pid)
    maps = Path(f"/proc/{p.pid}/maps").read_text()
    assert "WebEngine" not in maps
    rss_mb = p.memory_info().rss / 2**20
    cpu0, w0 = p.cpu_times(), time.monotonic()
    time.sleep(20)
    cpu1, w1 = p.cpu_times(), time.monotonic()
    cpu_pct = ((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)) / (w1 - w0) * 100
    print(f"icon after {shown:.2f} s, RSS {rss_mb:.0f} MB, idle CPU {cpu_pct:.2f} %")
    assert rss_mb < 150  # how fast the icon shows is the benchmark's to say (bench_tray_footprint.py)
    assert cpu_pct < 0.5


def test_no_webengine_in_the_tray_modules(x_session: XSession, tmp_path: Path) -> None:
    """The tray and every console page import no QtWebEngine, and QtCharts only with the Performance
    page (checked in a fresh interpreter)."""
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication(['t'])\n"
        "from flagdeck.ui.app import FlagdeckApp, TrayOptions\n"
        "from flagdeck.targets.resolve import TargetOptions\n"
        "shell = FlagdeckApp(app, TrayOptions(hidden=True, target=TargetOptions(user_data_dir=sys.argv[1])),\n"
        "                    handle_signals=False)\n"
        "shell.start()\n"
        "shell.open_console()\n"
        "app.processEvents()\n"
        "print('charts before the Performance page:', 'PySide6.QtCharts' in sys.modules)\n"
        "for cls in shell.console.classes:\n"
        "    shell.console.show_page(cls.key)\n"
        "app.processEvents()\n"
        "print(sorted(m for m in sys.modules if 'WebEngine' in m))\n"
        "shell.shutdown()\n"
    )
    env = x_session.env(dict(os.environ))
    out = subprocess.run([tray_entry()[0], "-c", code, str(tmp_path / "none")], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert "charts before the Performance page: False" in lines  # QtCharts only when that page opens
    assert lines[-1] == "[]"



def test_sigterm_quits_with_the_console_open(tray: Any, live_demo: Any) -> None:
    proc = tray()
    proc.wait_window("— flagdeck")
    os.kill(proc.proc.pid, signal.SIGTERM)
    assert proc.proc.wait(20) == 0
    assert "signal received: quitting" in proc.log() and "flagdeck tray stopped" in proc.log()


def test_cancelled_comparison_then_log_then_quit_exits_cleanly(x_session: XSession, live_demo: Any) -> None:
    """The tray process survives the Log page showing a cancelled comparison (its status has its icon),
    and Quit from the menu, with the console open and another comparison running, ends with exit 0:
    the worker is cancelled and joined (the flag put back), no crash."""
    import sys

    from flagdeck.ui.settings import UiSettings

    UiSettings().auto_check_triggers = False
    proc = TrayProcess(x_session, [], [], env=dict(os.environ), argv=[
        sys.executable, "-m", "tests.ui.driven_tray", "cancelled-compare", "--user-data-dir", str(live_demo.profile)])
    try:
        log = proc.wait_log("scenario done", timeout=120)
        assert "'cancelled'" in log.split("log rows", 1)[1].splitlines()[0]
        proc.open_menu()
        proc.keys("q")  # &Quit flagdeck
        assert proc.proc.wait(60) == 0, proc.output()[-3000:]
    finally:
        proc.stop()
    assert "Traceback" not in proc.output() and "flagdeck tray stopped" in proc.log()
    assert stored_flags(live_demo.profile) == {FLAG: True}  # the cancelled comparison put the flag back
