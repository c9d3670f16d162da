"""UI tests: an X display with a system tray (Xvfb + trayer) for the whole session, and pytest-qt's
QApplication created on it.

pytest-qt creates one QApplication per session and its platform is fixed then. So:

- ``qapp_args`` (overridden here) asks for ``-platform xcb -display :N``: the in-process app runs
  on the session's Xvfb, while ``os.environ`` keeps ``QT_QPA_PLATFORM=offscreen`` and no
  ``DISPLAY`` — the rest of the suite (QtWebEngine in subprocesses) is not disturbed;
- the UI tests run first in a session (``pytest_collection_modifyitems``), so no other test can
  have created an offscreen QApplication before them; a guard fails loudly if one did;
- every UI test fails on Qt warnings (``qt_log_level_fail``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests import system_deps
from tests.ui.xserver import XSession, missing_tools

UI_DIR = Path(__file__).resolve().parent
FLAG = "USE_UNIFIED_DB_SERVICE"


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    ui = [i for i in items if UI_DIR in Path(str(i.path)).parents]
    if not ui:
        return
    rest = [i for i in items if i not in ui]
    items[:] = ui + rest
    for item in ui:
        item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))


@pytest.fixture(scope="session")
def x_session() -> Iterator[XSession]:
    """Xvfb and trayer for the session (the UI tests skip, or fail in CI, when they are not installed)."""
    lacking = missing_tools()
    if lacking:
        system_deps.require(f"UI tests need {', '.join(lacking)} (packaging/system-deps.sh ensure)")
    session = XSession.start(tray=True)
    yield session
    # Not stopped here: the session's QApplication stays connected until the process exits, and Qt
    # exits the process (status 1) when its X server goes away. Xvfb and trayer get SIGTERM when this
    # process ends (PR_SET_PDEATHSIG); the tray processes tests start are stopped by the tests.
    for proc in session.children:
        proc.terminate()


@pytest.fixture(scope="session")
def qapp_args(x_session: XSession) -> list[str]:
    return ["flagdeck-tests", "-platform", "xcb", "-display", x_session.display]


@pytest.fixture(autouse=True)
def _on_xcb(request: pytest.FixtureRequest) -> None:
    if "qapp" in request.fixturenames or "qtbot" in request.fixturenames:
        app = request.getfixturevalue("qapp")
        if app.platformName() != "xcb":
            pytest.fail(f"the QApplication of this session runs on {app.platformName()!r}: another test created it "
                        "before the UI tests; run tests/ui first (conftest orders them first) or on their own")


# --- an in-process flagdeck on a target -----------------------------------------------------------------


@dataclass
class Shell:
    """A FlagdeckApp built as ``flagdeck tray`` builds it, with what it told the user recorded."""

    app: Any
    qtbot: Any
    notices: list[tuple[str, str, str]] = field(default_factory=list)
    expect_errors: bool = False  # the test provokes internal errors (else there must be none)

    @property
    def session(self) -> Any:
        return self.app.session

    def wait_read(self, predicate: Any = None, timeout: int = 20_000) -> Any:
        """Wait until a read of the target satisfies ``predicate(snapshot)`` (default: any success)."""
        check = predicate or (lambda s: s is not None and s.status is not None)
        self.qtbot.waitUntil(lambda: check(self.session.snapshot), timeout=timeout)
        return self.session.snapshot

    def wait_known(self, timeout: int = 20_000) -> Any:
        """Wait until the flag is known (a read confirmed by a live watch): on or off."""
        from flagdeck.ui.state import FlagShape

        self.qtbot.waitUntil(lambda: self.session.shape() in (FlagShape.ON, FlagShape.OFF), timeout=timeout)
        return self.session.snapshot

    def wait_idle(self, timeout: int = 60_000) -> None:
        self.qtbot.waitUntil(lambda: not self.session.runner.running, timeout=timeout)

    def notice(self, title_part: str, timeout: int = 60_000) -> tuple[str, str, str]:
        self.qtbot.waitUntil(lambda: any(title_part in n[0] for n in self.notices), timeout=timeout)
        return next(n for n in self.notices if title_part in n[0])


@pytest.fixture
def make_shell(qtbot: Any, qapp: Any) -> Iterator[Any]:
    from flagdeck.ui.app import FlagdeckApp, TrayOptions

    made: list[Shell] = []

    def make(opts: Any, *, hidden: bool = True, tray: bool = True, auto_check: bool = False,
             confirm_toggle: bool = False) -> Shell:
        """``auto_check``: the trigger board checks itself (the app's default; off here, so a test's
        writes do not wait for a check it did not ask for)."""
        from flagdeck.ui.settings import UiSettings

        settings = UiSettings()
        settings.auto_check_triggers = auto_check
        settings.confirm_toggle = confirm_toggle
        app = FlagdeckApp(qapp, TrayOptions(hidden=hidden, target=opts), handle_signals=False)
        shell = Shell(app, qtbot)
        app.session.notified.connect(lambda t, m, lvl: shell.notices.append((t, m, lvl)))
        if not tray:
            app._make_tray = lambda: None  # type: ignore[method-assign]
        assert app.start()
        made.append(shell)
        return shell

    yield make
    for shell in made:
        dialog = shell.app.flows.dialog
        if dialog is not None:
            dialog.close()
        shell.app.runner.wait(60_000)
        qtbot.wait(50)
        if shell.app.console is not None:
            shell.app.console.quitting = True
        shell.app.shutdown()  # deletes the console and the tray
        qtbot.wait(20)
    for shell in made:
        errors = shell.app.internal_errors + shell.app.session.internal_errors
        assert shell.expect_errors or not errors, f"internal errors caught and told: {errors}"


@pytest.fixture
def live_demo(start_demo: Any) -> Any:
    """The demo target running with a debug port (unified path on), and its TargetOptions."""
    demo = start_demo()
    demo.with_flags(json.dumps({FLAG: True}))
    return demo


def demo_options(profile: Path, port: int | None = None) -> Any:
    from flagdeck.targets.resolve import TargetOptions

    return TargetOptions(user_data_dir=profile, debug_port=port)


def page_flag(demo: Any) -> Any:
    """What the running page's flag object holds (not the storage)."""
    return demo.js(f"window.featureFlags.{FLAG}")


def stored_flags(profile: Path) -> dict[str, Any] | None:
    """The stored document read by the CLI (a separate process, as a user would)."""
    proc = subprocess.run([sys.executable, "-m", "flagdeck", "--json", "--user-data-dir", str(profile), "status"],
                          capture_output=True, text=True, timeout=60, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)["report"]["document"]
    return doc["values"]


def wait_for(predicate: Any, timeout: float = 30.0, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


@pytest.fixture
def console_on(make_shell: Any) -> Any:
    """``console_on(demo)``: the tray app on a running demo target, its console open and its flag known."""

    def open_(demo: Any, page: str = "flags", **kwargs: Any) -> tuple[Shell, Any]:
        shell = make_shell(demo_options(demo.profile), **kwargs)
        shell.wait_known()
        shell.app.open_console(page)
        console = shell.app.console
        console.resize(1180, 760)
        return shell, console

    return open_
