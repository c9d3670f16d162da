"""The tray follows a fleet source continuously (``ui/fleet_watch.py``): it applies the source's
value on its own, shows "Fleet: connected / stale" with the pending and pinned flags, releases a
pin from the menu, and says when the source breaks. Real flagd definitions, a real QtWebEngine
profile, the real tray app in-process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flagdeck.fleet import agent, connection
from flagdeck.targets.resolve import TargetOptions, resolve
from tests.conftest import run_cli
from tests.fleet_support import FLAG, definitions, stored_flags

KEY, ORIGIN = "featureFlagsOld", "http://localhost:5173"  # the flag is false there


def test_tray_follows_the_fleet_pins_and_releases(make_shell: Any, qtwe_profile: Path, tmp_path: Path) -> None:
    options = TargetOptions(user_data_dir=qtwe_profile, storage_key=KEY, origin=ORIGIN)
    target = resolve(options)
    flags = definitions(tmp_path / "flags.flagd.json", default="on")
    connection.save(connection.Connection("flagd", target.slug, target.name, connection.options_json(options),
                                          file=str(flags), interval=1))
    agent.start(target)
    leveldb = qtwe_profile / "Local Storage" / "leveldb"

    shell = make_shell(options)
    fleet = shell.app.fleet
    assert fleet is not None and shell.app.tray.fleet is fleet
    notices: list[tuple[str, str, str]] = []
    fleet.notify = lambda title, message, level: notices.append((title, message, level))
    qtbot = shell.qtbot

    qtbot.waitUntil(lambda: any(t == f"Fleet: {FLAG} applied" for t, _, _ in notices), timeout=30_000)
    assert stored_flags(leveldb, ORIGIN, KEY) == {FLAG: True}
    tray = shell.app.tray
    tray.menu.aboutToShow.emit()
    section = tray.action(f"fleet:{target.slug}")
    assert section is not None and section.text() == f"Fleet: connected ({target.name})", section

    cli = ["--user-data-dir", str(qtwe_profile), "--storage-key", KEY, "--origin", ORIGIN]
    assert run_cli(*cli, "flags", "set", f"{FLAG}=false").returncode == 0  # the person at the machine
    fleet.sync_now()
    qtbot.waitUntil(lambda: FLAG in fleet.views[target.slug].pins, timeout=30_000)
    assert f"pinned: {FLAG} = false" in fleet.lines()
    assert stored_flags(leveldb, ORIGIN, KEY) == {FLAG: False}
    tray.menu.aboutToShow.emit()
    release = tray.action(f"fleet-pinned:{FLAG}")
    assert release is not None and "release" in release.text()
    release.trigger()
    qtbot.waitUntil(lambda: stored_flags(leveldb, ORIGIN, KEY) == {FLAG: True}, timeout=30_000)

    flags.write_text('{"flags": ')  # the distributed file breaks
    qtbot.waitUntil(lambda: fleet.views[target.slug].state == "stale", timeout=30_000)
    assert any(t == "Fleet: stale" for t, _, _ in notices)
    tray.menu.aboutToShow.emit()
    assert tray.action(f"fleet:{target.slug}").text().startswith("Fleet: stale")
