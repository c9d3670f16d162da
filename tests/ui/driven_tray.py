"""``flagdeck tray`` run exactly as its entry point runs it (``flagdeck.ui.app.main``: exec, shutdown,
exit code), with a scenario played in its console first — for tests that need the real process's
end (its exit status) after work a keyboard cannot start::

    python -m tests.ui.driven_tray SCENARIO [GLOBAL ARGS...]

Once the scenario is played it logs ``scenario done``; the test then quits through the real tray
menu. Scenarios:

- ``cancelled-compare``: a comparison started and cancelled on the Performance page, the Log page
  opened (it shows the cancelled row), then a second comparison started and left running (the
  test quits in the middle of it).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

log = logging.getLogger("flagdeck.ui")


def _until(condition: Callable[[], bool], then: Callable[[], None], every_ms: int = 50) -> None:
    from PySide6.QtCore import QTimer

    def tick() -> None:
        if condition():
            then()
        else:
            QTimer.singleShot(every_ms, tick)

    QTimer.singleShot(every_ms, tick)


def cancelled_compare(shell: Any) -> None:
    from flagdeck.ui.state import FlagShape

    def known() -> bool:
        return shell.session.shape() in (FlagShape.ON, FlagShape.OFF) and not shell.session.runner.running

    def compare() -> None:
        shell.open_console("performance", None)
        page = shell.console.pages["performance"]
        page.runs.setValue(30)
        page.start()
        _until(lambda: page.progress.value() >= 1, lambda: cancel(page))

    def cancel(page: Any) -> None:
        page.stop()
        _until(lambda: page.task is None, lambda: show_log())

    def show_log() -> None:
        log_page = shell.console.show_page("log")
        rows = [log_page.table.item(r, 4).text() for r in range(log_page.table.rowCount())]
        log.info("log rows %s", rows)
        page = shell.console.show_page("performance")
        page.start()
        _until(lambda: page.progress.value() >= 1, lambda: log.info("scenario done: a comparison runs"))

    _until(known, compare)


SCENARIOS = {"cancelled-compare": cancelled_compare}


def main(argv: list[str]) -> int:
    from pathlib import Path

    from flagdeck.targets.resolve import TargetOptions
    from flagdeck.ui import app

    scenario = SCENARIOS[argv[0]]
    args = argv[1:]
    options = TargetOptions(user_data_dir=Path(args[args.index("--user-data-dir") + 1])) \
        if "--user-data-dir" in args else None
    start = app.FlagdeckApp.start

    def start_and_play(self: Any) -> bool:
        started = start(self)
        if started:
            scenario(self)
        return started

    app.FlagdeckApp.start = start_and_play  # type: ignore[method-assign]
    return app.main(app.TrayOptions(hidden=False, target=options))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
