"""The installable app: ``./flagdeck.sh package`` builds the PyInstaller bundle once per session,
and its ``flagdeck`` executable runs with a clean environment (``env -i PATH=/usr/bin:/bin
HOME=...``): ``--version``, ``--json status`` and ``flags set`` (a timed one too, reverted by the
bundle's own timer process) on a real Chromium profile, the tray under Xvfb showing its icon, and
``desktop install --user`` pointing the menu and autostart entries at the bundle."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flagdeck import desktop_entry
from tests import system_deps
from tests.conftest import BUNDLE_BUILD_SECONDS, FLAGS_ON, REPO, needs_chromium, run_cli
from tests.ui.xserver import XSession, missing_tools

pytestmark = pytest.mark.slow
OFF = '{"USE_UNIFIED_DB_SERVICE":false}'
VALIDATE = shutil.which("desktop-file-validate")
APPSTREAM = shutil.which("appstreamcli")
needs_validators = system_deps.needs(VALIDATE is None or APPSTREAM is None,
                                     "desktop-file-utils and appstream not installed (packaging/system-deps.sh ensure)")


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """What ``env -i PATH=/usr/bin:/bin HOME=...`` leaves: nothing of the venv, the tests or Qt."""
    home.mkdir(parents=True, exist_ok=True)
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), **extra}


def run_bundle(exe: Path, home: Path, *args: str, timeout: float = 120, **extra: str
               ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["env", "-i", *(f"{k}={v}" for k, v in clean_env(home, **extra).items()), str(exe),
                           *args], capture_output=True, text=True, timeout=timeout, cwd="/")


def _stored(profile: Path) -> str | None:
    from flagdeck.storage.leveldb_store import LevelDBStore

    with LevelDBStore.open_read(profile / "Default" / "Local Storage" / "leveldb") as store:
        return store.get("file://", "featureFlags")


def test_version_and_no_demo_without_webengine(bundle: Path, tmp_path: Path) -> None:
    proc = run_bundle(bundle, tmp_path / "home", "--version")
    assert (proc.returncode, proc.stdout.strip()) == (0, "flagdeck 0.1.0"), proc.stderr
    assert not list(bundle.parent.rglob("libQt6WebEngineCore*"))  # left out unless --with-demo
    proc = run_bundle(bundle, tmp_path / "home", "demo")
    assert proc.returncode == 2 and "--with-demo" in proc.stderr and len(proc.stderr.splitlines()) == 1


@needs_chromium
def test_status_and_flags_set_on_a_chromium_profile(bundle: Path, chromium_profile: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    ud = ("--user-data-dir", str(chromium_profile))
    proc = run_bundle(bundle, home, *ud, "--json", "status")
    assert proc.returncode == 0, proc.stderr
    status = json.loads(proc.stdout)
    assert (status["mode"], status["origin"], status["report"]["document"]["raw"]) == ("offline", "file://", FLAGS_ON)

    proc = run_bundle(bundle, home, *ud, "flags", "set", "USE_UNIFIED_DB_SERVICE=false")
    assert proc.returncode == 0, proc.stderr
    assert _stored(chromium_profile) == OFF
    assert (home / ".local" / "share" / "flagdeck" / "backups").is_dir()  # its data dir under HOME

    # A timed toggle: the bundle starts itself as the detached timer process, which reverts.
    proc = run_bundle(bundle, home, *ud, "--json", "flags", "set", "USE_UNIFIED_DB_SERVICE=true", "--for", "1s")
    assert proc.returncode == 0, proc.stderr
    ident = json.loads(proc.stdout)["timers"][0]["id"]
    done = home / ".local" / "share" / "flagdeck" / "timers" / "done" / f"{ident}.json"
    deadline = time.monotonic() + 60
    while not done.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert json.loads(done.read_text())["outcome"] == "reverted"
    assert _stored(chromium_profile) == OFF


@pytest.fixture
def x_display() -> Iterator[XSession]:
    lacking = missing_tools()
    if lacking:
        system_deps.require(f"the tray test needs {', '.join(lacking)} (packaging/system-deps.sh ensure)")
    session = XSession.start(tray=True)
    try:
        yield session
    finally:
        session.stop()


def test_the_tray_shows_its_icon_under_xvfb(bundle: Path, x_display: XSession, tmp_path: Path) -> None:
    home = tmp_path / "home"
    argv = ["env", "-i", *(f"{k}={v}" for k, v in clean_env(home, DISPLAY=x_display.display).items()), str(bundle),
            "tray", "--hidden"]
    log = home / ".local" / "share" / "flagdeck" / "logs" / "tray.log"
    tray = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        icons: list[tuple[str, int, int, int, int]] = []
        while time.monotonic() < deadline and tray.poll() is None:
            icons = x_display.tray_icons()
            if icons and log.exists() and "tray icon shown" in log.read_text():
                break
            time.sleep(0.1)
        assert icons, f"no tray icon; exit {tray.poll()}"
        _wid, _x, _y, w, h = icons[-1]
        assert w >= 16 and h >= 16
        assert "tray icon shown" in log.read_text()
    finally:
        if tray.poll() is None:
            os.killpg(tray.pid, 15)
        out = tray.communicate(timeout=20)[0].decode(errors="replace")
    assert "Traceback" not in out, out


@needs_validators
def test_desktop_install_points_at_the_bundle(bundle: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    share = bundle.parent / "share"
    assert subprocess.run([VALIDATE, str(share / "applications" / desktop_entry.TEMPLATE)]).returncode == 0
    assert subprocess.run([APPSTREAM, "validate", "--no-net", str(share / "metainfo" / desktop_entry.METAINFO)],
                          capture_output=True).returncode == 0
    assert (share / "icons" / "hicolor" / "256x256" / "apps" / f"{desktop_entry.APP_ID}.png").is_file()

    proc = run_bundle(bundle, home, "desktop", "install", "--user", "--autostart")
    assert proc.returncode == 0, proc.stderr
    entry = home / ".local" / "share" / "applications" / desktop_entry.TEMPLATE
    assert f"Exec={bundle} tray\n" in entry.read_text()
    autostart = home / ".config" / "autostart" / "flagdeck.desktop"
    assert f"Exec={bundle} tray --hidden\n" in autostart.read_text()
    for path in (entry, autostart):
        check = subprocess.run([VALIDATE, str(path)], capture_output=True, text=True)
        assert check.returncode == 0 and not check.stdout.strip(), check.stdout
    proc = run_bundle(bundle, home, "--json", "desktop", "uninstall", "--user")
    assert proc.returncode == 0 and not entry.exists() and not autostart.exists()


def test_build_seconds_are_reported(bundle: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Not a timing assertion: the build's cost, printed with -s (the README's figures)."""
    size = sum(p.stat().st_size for p in bundle.parent.rglob("*") if p.is_file() and not p.is_symlink())
    with capsys.disabled():
        print(f"\nbundle: built in {BUNDLE_BUILD_SECONDS[0] if BUNDLE_BUILD_SECONDS else 0:.0f} s, "
              f"{size / 1e6:.0f} MB")


# --- the desktop files themselves (no bundle needed) ---------------------------------------------


def test_the_committed_desktop_entry_is_what_install_writes_for_plain_flagdeck() -> None:
    committed = (REPO / "packaging" / "linux" / desktop_entry.TEMPLATE).read_text()
    assert desktop_entry.entry_text(["flagdeck"]) == committed
    assert desktop_entry.exec_value(["/opt/my apps/flagdeck", "tray"]) == '"/opt/my apps/flagdeck" tray'


@needs_validators
def test_the_committed_files_pass_the_validators() -> None:
    linux = REPO / "packaging" / "linux"
    check = subprocess.run([VALIDATE, str(linux / desktop_entry.TEMPLATE)], capture_output=True, text=True)
    assert check.returncode == 0 and not check.stdout.strip(), check.stdout
    check = subprocess.run([APPSTREAM, "validate", "--no-net", str(linux / desktop_entry.METAINFO)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


@needs_validators
def test_desktop_install_from_the_venv(tmp_path: Path) -> None:
    proc = run_cli("--json", "desktop", "install", "--user")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    entry = Path(os.environ["XDG_DATA_HOME"]) / "applications" / desktop_entry.TEMPLATE
    assert str(entry) in result["files"] and result["scope"] == "user"
    program = result["executable"]
    assert Path(program[0]).is_absolute() and program[0].startswith(sys.prefix)
    assert subprocess.run([VALIDATE, str(entry)]).returncode == 0
    again = json.loads(run_cli("--json", "desktop", "uninstall", "--user").stdout)
    assert sorted(again["files"]) == sorted(result["files"]) and not entry.exists()


def test_package_form(bundle: Path) -> None:
    """README's ``./flagdeck.sh package`` is what the ``bundle`` fixture ran (tests/conftest.py); its
    result runs. Here, beside the bundle's other tests: one build per worker."""
    from tests.test_readme_commands import PACKAGE_RUNS

    assert PACKAGE_RUNS[0].line == "./flagdeck.sh package"
    proc = subprocess.run([str(bundle), "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("flagdeck "), proc.stderr
