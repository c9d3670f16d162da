"""Shared fixtures: private user dirs per test, and localStorage profiles written by real engines.

Profiles are written once per session by a real QtWebEngine (PySide6) and by Debian's Chromium,
then copied per test. Nothing here builds a LevelDB by hand.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import system_deps
from tests.engines import chromium as chromium_engine

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if "--no-sandbox" not in os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", ""):
    _flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = (_flags + " --no-sandbox").strip()

REPO = Path(__file__).resolve().parents[1]
FLAGS_ON = '{"USE_UNIFIED_DB_SERVICE":true}'
SECRET = "sk-test-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"
PERSIST = json.dumps({"llm": json.dumps({"providers": [{"id": "openai", "apiKey": SECRET}]}), "_persist": "{}"})

# The localStorage every engine-written test profile holds.
PROFILE_CONTENT: dict[str, dict[str, str]] = {
    "file://": {
        "featureFlags": FLAGS_ON,
        "persist:cherry-studio": PERSIST,
        "language": "zh-CN",
        "unicode ☃ key": "värde ☃ 𝄞",
    },
    "https://example.com": {"theme": "dark", "session": "abc"},
    "http://localhost:5173": {"featureFlagsOld": '{"USE_UNIFIED_DB_SERVICE":false}', "count": "1"},
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{system_deps.MARKER}(missing, reason): needs a system package "
                            "(tests/system_deps.py: skipped when missing, failed when CI=true)")


def pytest_runtest_setup(item: pytest.Item) -> None:
    system_deps.check_markers(item)


# Tests whose outcome depends on timing: ``./flagdeck.sh test`` runs the suite on two processes,
# then these alone (a test running beside them would add its load to what they measure).
SERIAL = (
    # A/B statistics whose verdict is asserted (the others of these files run beside other tests)
    "tests/test_perf_compare.py::test_slow_fault_is_classified_by_its_interval",
    "tests/test_perf_compare.py::test_saved_baseline_then_compared_against",
    "tests/test_triggers_perf.py::test_against_the_saved_baseline_of_the_original_path",
    "tests/test_triggers_perf.py::test_without_a_baseline_an_early_stopping_comparison",
    "tests/ui/test_watch.py::test_app_quitting_makes_the_state_unknown_then_offline",  # a moment between two reads
    "tests/test_history.py::test_two_processes_write_at_once",  # two writers racing on a new database
)


# Files that take minutes (whole demo runs, the bundle build) go first: on two processes a file runs
# on one of them, and one of these started last would leave the other idle for its minutes.
FIRST = ("tests/test_readme_commands.py", "tests/test_readme_levels.py", "tests/test_bundle.py")


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(SERIAL):
            item.add_marker(pytest.mark.serial)
    items.sort(key=lambda item: next((i for i, f in enumerate(FIRST) if item.nodeid.startswith(f)), len(FIRST)))


@pytest.fixture(autouse=True)
def user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every platformdirs/user dir of flagdeck (and HOME) inside the test's tmp_path."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("FLAGDECK_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("FLAGDECK_CONFIG_DIR", str(home / "config"))
    for var, sub in (("XDG_CONFIG_HOME", ".config"), ("XDG_DATA_HOME", ".local/share"),
                     ("XDG_CACHE_HOME", ".cache"), ("XDG_STATE_HOME", ".local/state")):
        monkeypatch.setenv(var, str(home / sub))
    return home


def run_cli(*args: str, input: str | None = None, timeout: float = 120, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    """``python -m flagdeck ARGS`` in a subprocess with the test's environment."""
    return subprocess.run(
        [sys.executable, "-m", "flagdeck", *args], capture_output=True, text=True, input=input,
        timeout=timeout, env={**os.environ, **(env or {})}, cwd=REPO,
    )


def run_cli_without_dac(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI as a user that permission bits apply to: as root, drop CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH (``setpriv``), so a read-only folder really is read-only."""
    if os.geteuid() != 0:
        return run_cli(*args)
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        system_deps.require("setpriv not installed (apt-get install util-linux)")
    return subprocess.run(
        [setpriv, "--bounding-set=-dac_override,-dac_read_search", sys.executable, "-m", "flagdeck", *args],
        capture_output=True, text=True, timeout=120, env=dict(os.environ), cwd=REPO,
    )


def cli_json(*args: str, expect: int = 0) -> dict:
    proc = run_cli("--json", *args)
    assert proc.returncode == expect, f"exit {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)


# --- QtWebEngine-written profiles ----------------------------------------------------------------


def write_qtwebengine_profile(profile: Path, origins: dict[str, dict[str, str]],
                              fill: dict[str, int] | None = None) -> None:
    spec = profile.parent / f"{profile.name}-spec.json"
    spec.write_text(json.dumps({"profile": str(profile), "origins": origins, "fill": fill or {}}))
    proc = subprocess.run([sys.executable, "-m", "tests.engines.qtwebengine_storage", "write", str(spec)],
                          capture_output=True, text=True, timeout=180, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]


def read_qtwebengine_profile(profile: Path, *origins: str) -> dict[str, dict[str, str]]:
    proc = subprocess.run([sys.executable, "-m", "tests.engines.qtwebengine_storage", "read", str(profile),
                           *origins], capture_output=True, text=True, timeout=180, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def qtwe_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    profile = tmp_path_factory.mktemp("qtwe") / "profile"
    write_qtwebengine_profile(profile, PROFILE_CONTENT)
    return profile


@pytest.fixture
def qtwe_profile(qtwe_template: Path, tmp_path: Path) -> Path:
    """An Electron-style userData dir (``Local Storage/leveldb`` inside) written by QtWebEngine."""
    dest = tmp_path / "qtwe-profile"
    shutil.copytree(qtwe_template, dest, ignore=shutil.ignore_patterns("LOCK"))
    return dest


# --- Chromium-written profiles -------------------------------------------------------------------

CHROMIUM_MISSING = "chromium not installed (apt-get install chromium)"
needs_chromium = system_deps.needs(chromium_engine.CHROMIUM is None, CHROMIUM_MISSING)


@pytest.fixture(scope="session")
def chromium_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if chromium_engine.CHROMIUM is None:
        system_deps.require(CHROMIUM_MISSING)
    profile = tmp_path_factory.mktemp("chromium") / "user-data"
    chromium_engine.write_profile(profile, PROFILE_CONTENT)
    return profile


@pytest.fixture
def chromium_profile(chromium_template: Path, tmp_path: Path) -> Path:
    """A Chromium user-data dir (``Default/Local Storage/leveldb``) written by Debian's Chromium."""
    dest = tmp_path / "chromium-profile"
    shutil.copytree(chromium_template, dest, symlinks=True,
                    ignore=shutil.ignore_patterns("LOCK", "Singleton*", "DevToolsActivePort"))
    return dest


@pytest.fixture
def running_chromium(chromium_profile: Path) -> Iterator[chromium_engine.Chromium]:
    """Chromium running on the profile *without* a debug port (the storage is locked)."""
    browser = chromium_engine.Chromium(chromium_profile, debug_port=None)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def live_chromium(chromium_profile: Path) -> Iterator[chromium_engine.Chromium]:
    """Chromium running on the profile with a loopback debug port."""
    browser = chromium_engine.Chromium(chromium_profile, debug_port=0)
    try:
        yield browser
    finally:
        browser.close()


def leveldb_dump(leveldb: Path) -> dict[bytes, bytes]:
    """Every key and value of a LevelDB folder, read from a private copy."""
    from flagdeck.storage.leveldb_store import LevelDBStore

    with LevelDBStore.open_read(leveldb) as store:
        return dict(store.db.iterator())


# --- the demo target -------------------------------------------------------------------------------

DEMO_SEED = 300


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo-target profile seeded once (by the real demo target), copied per test."""
    from tests.demo_support import DemoTarget

    profile = tmp_path_factory.mktemp("demo") / "profile"
    target = DemoTarget.start(profile, "--seed-messages", str(DEMO_SEED))
    try:
        target.wait_ready()
        target.stop()
    finally:
        target.kill()
    (profile / "DevToolsActivePort").unlink(missing_ok=True)
    return profile


@pytest.fixture
def start_demo(demo_template: Path, tmp_path: Path) -> Iterator[Any]:
    """``start_demo(*args, port=True)`` runs the demo target on a fresh copy of the seeded profile.

    Teardown kills every target it started and whatever process holds the profile afterwards
    (a rollback with ``--restart`` relaunches the target outside the test's process group).
    """
    from flagdeck.targets import process
    from tests.demo_support import DemoTarget

    started: list[DemoTarget] = []
    profile = tmp_path / "demo-profile"

    def start(*args: str, port: bool = True, ready: bool = True) -> DemoTarget:
        """``--seed-messages N`` in ``args`` starts from an empty profile seeded with N messages."""
        if not profile.exists() and "--seed-messages" not in args:
            shutil.copytree(demo_template, profile, ignore=shutil.ignore_patterns("LOCK", "DevToolsActivePort"))
        if port:
            target = DemoTarget.start(profile, *args, home=tmp_path / "demo-home")
        else:
            cmd = [sys.executable, "-m", "flagdeck.demo_target", "--profile-dir", str(profile), *args]
            target = DemoTarget.launch(cmd, profile, 0, home=tmp_path / "demo-home")
        started.append(target)
        if ready and port:
            target.wait_ready()
        elif ready:
            target.wait_output("ready in")
        return target

    start.profile = profile  # type: ignore[attr-defined]
    try:
        yield start
    finally:
        for target in started:
            target.kill()
        holder = process.lock_holder(profile / "Local Storage" / "leveldb" / "LOCK")
        if holder is not None:
            try:
                os.killpg(holder.pid, 9)
            except (ProcessLookupError, PermissionError):
                os.kill(holder.pid, 9)


# --- a real Unleash server (fleet tests) ------------------------------------------------------------


@pytest.fixture(scope="session")
def unleash() -> Iterator[Any]:
    """One Unleash server with its own PostgreSQL on loopback for the whole session (about 5 s to
    start; unleash-server is installed from npm into a cache folder once): ``tests/unleash_server.py``."""
    from tests import unleash_server

    try:
        server = unleash_server.start()
    except unleash_server.Unavailable as exc:
        system_deps.require(str(exc))
    try:
        yield server
    finally:
        server.stop()


# --- the installable bundle ------------------------------------------------------------------------

BUNDLE_BUILD_SECONDS: list[float] = []


@pytest.fixture
def file_keyring(user_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A real keyring backend writing to the test's data dir, chosen explicitly (as a user would);
    its file's path. Afterwards the test's alert deliveries are done with (nothing to report at
    pytest's exit)."""
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    from flagdeck import notify

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    previous = keyring.get_keyring()
    keyring.set_keyring(PlaintextKeyring())
    try:
        yield Path(PlaintextKeyring().file_path)
    finally:
        keyring.set_keyring(previous)
        with notify._lock:
            notify._running.clear()


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``./flagdeck.sh package`` with this venv (no install step), into a private folder."""
    out = tmp_path_factory.mktemp("bundle")
    env = {**os.environ, "FLAGDECK_VENV": sys.prefix, "FLAGDECK_DIST": str(out / "dist"),
           "FLAGDECK_BUILD": str(out / "build")}
    start = time.monotonic()
    proc = subprocess.run([str(REPO / "flagdeck.sh"), "package"], capture_output=True, text=True, env=env,
                          timeout=900, cwd=REPO)
    BUNDLE_BUILD_SECONDS.append(time.monotonic() - start)
    assert proc.returncode == 0, proc.stderr[-4000:]
    exe = out / "dist" / "flagdeck" / "flagdeck"
    assert exe.is_file() and os.access(exe, os.X_OK)
    return exe
