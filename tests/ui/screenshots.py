"""Screenshots of the tray menu, the dialogs and every console page, for the README.

Runs the real demo target (the unified path on, a data-loss fault: a bad release) and flagdeck's
tray in-process on a private Xvfb with trayer, drives an incident end to end (verify fails, the
triggers fire, a rollback runs to verified, a backup is diffed, a comparison and an evidence export
run) and saves what each step looks like::

    .venv/bin/python -m tests.ui.screenshots [--out docs/screenshots]
    .venv/bin/python -m tests.ui.screenshots --levels   # only the guided Level 2 view

Everything lives in a temporary folder (FLAGDECK_DATA_DIR, FLAGDECK_CONFIG_DIR, HOME).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
FLAG = "USE_UNIFIED_DB_SERVICE"
WINDOW = (1200, 860)


def wait_until(app: Any, condition: Callable[[], Any], timeout: float = 120.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise RuntimeError(f"timed out waiting for {what or condition}")


def settle(app: Any, seconds: float = 0.4) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def shrink(path: Path) -> Path:
    """256 colours without dithering (ImageMagick, when installed): a third of the size, no visible loss
    on flat UI pixels."""
    import shutil
    import subprocess

    convert = shutil.which("convert")
    if convert:
        subprocess.run([convert, str(path), "-strip", "-dither", "None", "-colors", "256", f"PNG8:{path}"],
                       check=True, timeout=60)
    return path


def save(widget: Any, path: Path) -> Path:
    pixmap = widget.grab()
    pixmap.save(str(path), "PNG")
    shrink(path)
    print(f"saved {path} ({pixmap.width()}x{pixmap.height()}, {path.stat().st_size // 1024} KiB)")
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(REPO / "docs" / "screenshots"))
    ap.add_argument("--seed-messages", type=int, default=600)
    ap.add_argument("--perf-runs", type=int, default=4)
    ap.add_argument("--levels", action="store_true",
                    help="only console-levels.png: the guided Level 2 on the demo's git repository")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="flagdeck-shots-"))
    home = work / "home"
    home.mkdir()
    os.environ.update(HOME=str(home), FLAGDECK_DATA_DIR=str(home / "data"), FLAGDECK_CONFIG_DIR=str(home / "config"),
                      XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"))
    sys.path.insert(0, str(REPO))
    from tests.demo_support import DemoTarget
    from tests.ui.xserver import XSession

    x = XSession.start(tray=True)
    if args.levels:
        try:
            return shoot_levels(x, out, args)
        finally:
            x.stop()
    demo = DemoTarget.start(work / "profile", "--seed-messages", str(args.seed_messages), "--fault", "data-loss",
                            home=work / "demo-home")
    try:
        demo.wait_ready()
        demo.with_flags(json.dumps({FLAG: True}))
        return shoot(x, demo, work, out, args)
    finally:
        demo.kill()
        x.stop()


def shoot(x: Any, demo: Any, work: Path, out: Path, args: argparse.Namespace) -> int:
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QApplication

    app = QApplication(["flagdeck", "-platform", "xcb", "-display", x.display])
    from flagdeck.targets.resolve import TargetOptions
    from flagdeck.ui.app import FlagdeckApp, TrayOptions
    from flagdeck.ui.dialogs import ReloadOfferDialog, RollbackConfirmDialog
    from flagdeck.ui.state import FlagShape

    shell = FlagdeckApp(app, TrayOptions(hidden=True, target=TargetOptions(user_data_dir=work / "profile")),
                        handle_signals=False)
    assert shell.start()
    session = shell.session
    wait_until(app, lambda: session.shape() in (FlagShape.ON, FlagShape.OFF), what="the first read")
    # the trigger board checks itself once the app is seen live: the menu and the banner show its level
    wait_until(app, lambda: session.incident.board is not None and not session.incident.checking,
               what="the trigger board")
    settle(app, 1.0)
    shots: list[Path] = []

    # --- the tray menu, as the panel shows it ---------------------------------------------------------
    def menu_shot(name: str) -> None:
        console = shell.console
        was_visible = console is not None and console.isVisible()
        if was_visible:
            console.hide()  # a clean desktop behind the menu
            settle(app, 0.3)
        icon = wait_until(app, lambda: x.tray_icons(), what="the tray icon")[-1]
        _wid, ix, iy, iw, ih = icon
        shell.tray.rebuild()
        menu = shell.tray.menu
        menu.popup(QPoint(ix + iw - menu.sizeHint().width(), iy + ih + 2))
        settle(app, 0.8)
        geo = menu.geometry()
        left = max(0, geo.x() - 24)
        width = min(1280 - left, geo.width() + 48 + (1280 - geo.right()))
        shots.append(shrink(x.screenshot(out / f"{name}.png", f"{width}x{geo.height() + 40}+{left}+0")))
        menu.hide()
        if was_visible:
            console.show()
        settle(app, 0.3)

    menu_shot("tray-menu")

    # --- the reload offer (a live toggle, when Options > Ask before a quick toggle is on) --------------
    shell.settings.confirm_toggle = True
    shell.flows.toggle_flag(FLAG, source="tray")
    dialog = wait_until(app, lambda: isinstance(shell.flows.dialog, ReloadOfferDialog) and shell.flows.dialog)
    settle(app, 0.5)
    shots.append(save(dialog, out / "reload-offer.png"))
    dialog.reject()
    shell.settings.confirm_toggle = False
    settle(app)

    # --- console: verify fails on the bad release -------------------------------------------------------
    shell.open_console("flags")
    console = shell.console
    console.resize(*WINDOW)
    settle(app, 1.0)
    verify_page = console.show_page("verify")
    verify_page.run()
    wait_until(app, lambda: not session.verifying, what="verify")
    settle(app, 1.0)
    rollback_page = console.show_page("rollback")
    wait_until(app, lambda: session.incident.board is not None and not session.incident.checking, what="triggers")
    settle(app, 1.0)
    shots.append(save(console, out / "console-incident.png"))  # the banner, the board, the checklist
    console.show_page("flags")
    settle(app, 0.8)
    shots.append(save(console, out / "console-flags.png"))
    menu_shot("tray-menu-failed")

    # --- the target dialog ------------------------------------------------------------------------------
    from flagdeck.ui.console.target_dialog import TargetDialog

    picker = TargetDialog(session, console)
    picker.show()
    wait_until(app, lambda: "presets" in picker.presets_note.text(), what="the presets")
    settle(app, 0.5)
    shots.append(save(picker, out / "target-dialog.png"))
    picker.close()
    picker.deleteLater()

    # --- the rollback: confirmation, then the steps -------------------------------------------------------
    rollback_page = console.show_page("rollback")
    settle(app, 0.5)
    rollback_page.start()
    dialog = wait_until(app, lambda: isinstance(shell.flows.dialog, RollbackConfirmDialog) and shell.flows.dialog,
                        what="the rollback plan")
    dialog.note.setText("INC-2041: messages missing after 1.9.3")
    settle(app, 0.5)
    shots.append(save(dialog, out / "rollback-confirm.png"))
    dialog.go.click()
    wait_until(app, lambda: session.activity.rollback_running is False and rollback_page._result is not None,
               timeout=180, what="the rollback")
    wait_until(app, lambda: not session.incident.checking and "Answered" in
               rollback_page.next_steps.texts["checklists"].text(), timeout=120, what="the re-check")
    settle(app, 1.5)
    shots.append(save(console, out / "console-rollback.png"))  # the steps and the runbook's next steps

    verify_page = console.show_page("verify")
    settle(app, 1.0)
    shots.append(save(console, out / "console-verify.png"))

    # --- backups: diff the backup taken before the rollback ---------------------------------------------
    backups = console.show_page("backups")
    wait_until(app, lambda: backups.table.rowCount() > 0, what="backups")
    backups.table.selectRow(0)
    backups.show_diff()
    wait_until(app, lambda: "backup" in backups.diff.toPlainText(), what="the diff")
    settle(app, 0.5)
    shots.append(save(console, out / "console-backups.png"))

    # --- performance: flag on vs off (the fault is dormant with the flag off) ------------------------------
    perf = console.pages.get("performance") or console.show_page("performance")
    console.show_page("performance")
    perf.runs.setValue(args.perf_runs)
    perf.seed.setText("7")
    perf.start()
    wait_until(app, lambda: perf.task is None, timeout=600, what="the comparison")
    settle(app, 1.5)
    shots.append(save(console, out / "console-performance.png"))

    # --- evidence --------------------------------------------------------------------------------------
    evidence = console.show_page("evidence")
    evidence.folder.setText(str(work / "flagdeck evidence"))
    work.joinpath("flagdeck evidence").mkdir()
    evidence.export()
    wait_until(app, lambda: evidence.path is not None or evidence.banner.isVisible(), timeout=300, what="export")
    if evidence.path is not None:
        evidence.verify(evidence.path)
        wait_until(app, lambda: "complete and unchanged" in evidence.summary.toPlainText()
                   or "not intact" in evidence.summary.toPlainText(), timeout=60, what="bundle check")
        shots.append(report_shot(evidence.path, work, out / "evidence-report.png"))
    settle(app, 1.0)
    shots.append(save(console, out / "console-evidence.png"))

    # --- history and log -------------------------------------------------------------------------------
    history = console.show_page("history")
    settle(app, 1.5)
    if history.table.rowCount():
        history.table.selectRow(0)
    settle(app, 0.5)
    shots.append(save(console, out / "console-history.png"))
    console.show_page("log")
    settle(app, 1.5)
    shots.append(save(console, out / "console-log.png"))
    menu_shot("tray-menu-after")

    # --- a pending reload: stored, not applied (Set only) ------------------------------------------------
    session.write_flag(FLAG, True, reload=False, source="console")
    wait_until(app, lambda: bool(session.model.pending()) and not session.runner.running, what="pending")
    settle(app, 1.0)
    menu_shot("tray-menu-pending")

    shots.append(state_sheet(out / "tray-states.png"))
    shell.shutdown()
    print(f"{len(shots)} screenshots in {out}")
    return 0


def shoot_levels(x: Any, out: Path, args: argparse.Namespace) -> int:
    """The guided Level 2 view after a run on the demo's repository: the bad release reverted,
    built, deployed, verified (the demo target in flagdeck's own demo folder, as `demo --level 2`)."""
    from PySide6.QtWidgets import QApplication

    from flagdeck import demo_scenario
    from flagdeck.runbooks import demo_repo
    from flagdeck.runbooks.demo_levels import install_bad_release
    from flagdeck.targets import launch, process
    from flagdeck.targets.resolve import TargetOptions, resolve

    repo = demo_repo.create()
    install_bad_release(repo, print)
    demo_scenario.start_incident("data-loss", args.seed_messages, print, app_dir=repo.app_dir)
    app = QApplication(["flagdeck", "-platform", "xcb", "-display", x.display])
    from flagdeck.ui.app import FlagdeckApp, TrayOptions
    from flagdeck.ui.console.levels_view import LevelsDialog

    shell = FlagdeckApp(app, TrayOptions(hidden=True, target=TargetOptions(target="demo")), handle_signals=False)
    try:
        assert shell.start()
        wait_until(app, lambda: shell.session.snapshot is not None and shell.session.snapshot.status is not None,
                   what="the first read")
        shell.open_console("rollback", {"level": 2})
        dialog = shell.console.pages["rollback"].findChild(LevelsDialog, "levels-2")
        dialog.resize(*WINDOW)
        dialog.ask_yes = lambda title, text: True
        settle(app, 0.5)
        dialog.start()
        wait_until(app, lambda: dialog.result is not None, timeout=300, what="the Level 2 run")
        dialog._items["test"].setExpanded(False)
        dialog._items["capture"].setSelected(False)
        settle(app, 1.0)
        path = save(dialog, out / "console-levels.png")
    finally:
        shell.shutdown()
        target = resolve(TargetOptions(target="demo"))
        holder = process.lock_holder(target.lock_file)
        if holder is not None:
            launch.close_gracefully(holder.pid, target.lock_file)
    print(f"1 screenshot: {path}")
    return 0


def report_shot(bundle: Path, work: Path, path: Path) -> Path:
    """The top of the bundle's report.html as a browser shows it (Debian's chromium, headless)."""
    import shutil
    import subprocess

    from flagdeck.evidence.open_bundle import unpack_for_reading

    report = unpack_for_reading(bundle, work / "opened")
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise RuntimeError("chromium is needed to picture the evidence report")
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1180,1500", f"--screenshot={path}", report.as_uri()],
                   check=True, timeout=120, capture_output=True)
    print(f"saved {path}")
    return shrink(path)


def state_sheet(path: Path) -> Path:
    """Every tray state at panel size and enlarged, on a light and a dark panel, with its name."""
    from PySide6.QtCore import QRect, Qt
    from PySide6.QtGui import QColor, QFont, QImage, QPainter

    from flagdeck.ui import icons
    from flagdeck.ui.state import BADGE_WORDS, SHAPE_WORDS, Badge, FlagShape, Link

    states = [(shape, Badge.NONE, Link.LIVE) for shape in FlagShape] + [
        (FlagShape.OFF, Badge.NONE, Link.DISK)] + [(FlagShape.ON, b, Link.LIVE) for b in Badge if b is not Badge.NONE]
    cell_w, cell_h = 150, 118
    image = QImage(cell_w * len(states), cell_h, QImage.Format.Format_ARGB32)
    image.fill(QColor("#ffffff"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    font = QFont()
    font.setPointSize(8)
    painter.setFont(font)
    short = {Badge.PENDING_RELOAD: "reload pending"}
    for i, (shape, badge, link) in enumerate(states):
        x = i * cell_w
        painter.fillRect(x + 8, 6, 64, 30, QColor("#eceff1"))
        painter.fillRect(x + 78, 6, 64, 30, QColor("#2d2d2d"))
        painter.drawImage(x + 29, 10, icons.state_image(shape, badge, 22, link=link))
        painter.drawImage(x + 99, 10, icons.state_image(shape, badge, 22, link=link))
        painter.drawImage(x + 51, 40, icons.state_image(shape, badge, 48, link=link))
        label = short.get(badge) or BADGE_WORDS[badge] if badge is not Badge.NONE else f"flag {SHAPE_WORDS[shape]}"
        if link is Link.DISK:
            label = f"flag {SHAPE_WORDS[shape]}, app closed"
        painter.setPen(QColor("#1f2933"))
        painter.drawText(QRect(x, 92, cell_w, 22), Qt.AlignmentFlag.AlignCenter, label)
    painter.end()
    image.save(str(path), "PNG")
    shrink(path)
    print(f"saved {path} ({image.width()}x{image.height()})")
    return path


if __name__ == "__main__":
    raise SystemExit(main())
