"""LiveStore and connect_live against real running apps: Debian's Chromium and QtWebEngine.

One app per engine is shared by the module (each write test uses its own keys); tests that close
the app (durability) start their own. Every app is killed by process group in fixtures.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from flagdeck.errors import ExitCode, LiveError, OriginError, UnsafeDebugPort
from flagdeck.storage.leveldb_store import LevelDBStore
from flagdeck.storage.live_store import (
    LiveStore,
    NoDebugPort,
    connect_live,
)
from flagdeck.targets.locate import debug_port_from_profile
from tests.conftest import needs_chromium
from tests.engines.chromium import free_port
from tests.live_support import (
    ENGINES,
    EXAMPLE,
    FILE,
    SEED,
    ChromiumApp,
    LiveApp,
    listener_process,
    listening_socket,
    start_app,
)

pytestmark = [
    pytest.mark.chromium,
    needs_chromium,
]


@pytest.fixture(scope="module", params=ENGINES)
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    started = start_app(request.param, tmp_path_factory.mktemp(request.param))
    try:
        yield started
    finally:
        started.close()  # graceful: the app reaps its own helpers


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromiumApp]:
    started = ChromiumApp(tmp_path_factory.mktemp("chromium-gate"), {FILE: {"k": "v"}})
    try:
        yield started
    finally:
        started.close()  # graceful: the app reaps its own helpers


@pytest.fixture(params=["domstorage", "evaluate"])
def store(request: pytest.FixtureRequest, app: LiveApp) -> Iterator[LiveStore]:
    live = connect_live(app.port, leveldb_dir=app.leveldb)
    live.use_domstorage = request.param == "domstorage"
    with live:
        yield live


def page_get(app: LiveApp, origin: str, key: str) -> object:
    return app.page_eval(origin, f"localStorage.getItem({json.dumps(key)})")


# --- reading -------------------------------------------------------------------------------------


def test_reads_entries_of_file_and_https_origins(store: LiveStore) -> None:
    assert store.mode == "live"
    assert {e.key: e.value for e in store.entries(FILE)}.items() >= SEED[FILE].items()
    assert {e.key: e.value for e in store.entries(EXAMPLE)}.items() >= SEED[EXAMPLE].items()
    assert store.get(FILE, "featureFlags") == SEED[FILE]["featureFlags"]
    assert store.get(FILE, "unicode") == "héllo ☃ 😀 中文"
    assert store.get(FILE, "no such key") is None
    assert all(e.raw_key is None and e.raw_value is None for e in store.entries(FILE))


def test_origins_are_those_of_open_pages(store: LiveStore) -> None:
    assert store.origins() == [FILE, EXAMPLE]
    assert store.page_origins() == [FILE, EXAMPLE]
    assert store.origins_with_key("featureFlags") == [FILE]
    assert store.origins_with_key("exampleKey") == [EXAMPLE]


def test_origin_without_open_page_is_a_clear_error(store: LiveStore) -> None:
    with pytest.raises(OriginError, match=r"no open page of https://other.example"):
        store.get("https://other.example", "featureFlags")


# --- writing -------------------------------------------------------------------------------------


def test_put_is_seen_by_the_page_and_leaves_others_alone(app: LiveApp, store: LiveStore) -> None:
    key = f"live-put-{store.use_domstorage}"
    before = {e.key: e.value for e in store.entries(FILE)}
    store.put(FILE, key, '{"USE_UNIFIED_DB_SERVICE":true}')
    assert page_get(app, FILE, key) == '{"USE_UNIFIED_DB_SERVICE":true}'
    assert store.get(FILE, key) == '{"USE_UNIFIED_DB_SERVICE":true}'
    after = {e.key: e.value for e in store.entries(FILE)}
    assert {k: v for k, v in after.items() if k != key} == before
    assert store.get(EXAMPLE, key) is None


def test_put_none_removes(app: LiveApp, store: LiveStore) -> None:
    key = f"live-remove-{store.use_domstorage}"
    store.put(EXAMPLE, key, "x")
    assert page_get(app, EXAMPLE, key) == "x"
    store.put(EXAMPLE, key, None)
    assert page_get(app, EXAMPLE, key) is None
    assert store.get(EXAMPLE, key) is None
    store.put(EXAMPLE, key, None)  # removing an absent key is fine
    assert store.get(EXAMPLE, "exampleKey") == "exampleValue"


@pytest.mark.parametrize("value", ["中文 ☃ 😀 é", "nul\x00inside", "lone \ud800 surrogate", "", "x" * 200_000])
def test_values_round_trip_exactly(app: LiveApp, store: LiveStore, value: str) -> None:
    key = f"live-unicode-{store.use_domstorage}-键"
    store.put(FILE, key, value)
    assert store.get(FILE, key) == value
    assert page_get(app, FILE, key) == value


def test_reload_fires_load_event_and_page_sees_new_value(app: LiveApp, store: LiveStore) -> None:
    key = f"live-reload-{store.use_domstorage}"
    app.page_eval(FILE, "window.__marker = 1")
    store.put(FILE, key, "after-reload")
    elapsed = store.reload(FILE, timeout=20)
    assert 0 < elapsed < 20
    assert app.page_eval(FILE, "window.__marker === undefined") is True  # a fresh document
    assert page_get(app, FILE, key) == "after-reload"
    assert store.get(FILE, key) == "after-reload"  # the store keeps working after the reload


def test_reload_all_pages(store: LiveStore) -> None:
    assert store.reload(timeout=20) > 0
    assert store.get(EXAMPLE, "exampleKey") == "exampleValue"


def test_killed_app_is_a_live_error_not_a_hang(tmp_path: Path) -> None:
    app = ChromiumApp(tmp_path / "p", {FILE: {"k": "v"}})
    try:
        store = connect_live(app.port, leveldb_dir=app.leveldb, timeout=5)
        assert store.get(FILE, "k") == "v"
        app.kill()
        with pytest.raises(LiveError):
            store.get(FILE, "k")
        store.close()
    finally:
        app.kill()


# --- durability ----------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_live_write_survives_a_graceful_close(engine: str, tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    app = start_app(engine, profile, {FILE: SEED[FILE]})
    try:
        with connect_live(app.port, leveldb_dir=app.leveldb) as store:
            store.put(FILE, "featureFlags", '{"USE_UNIFIED_DB_SERVICE":true}')
            store.put(FILE, "unicode", None)
        code = app.close()
        if engine == "qtwebengine":
            assert code == 0  # a clean teardown, not a crash in aboutToQuit
        with LevelDBStore.open_read(app.leveldb) as disk:
            assert disk.mode == "offline"
            assert disk.get(FILE, "featureFlags") == '{"USE_UNIFIED_DB_SERVICE":true}'
            assert disk.get(FILE, "unicode") is None
            assert disk.get(FILE, "persist:cherry-studio") == SEED[FILE]["persist:cherry-studio"]
        if engine == "chromium":
            # Chromium leaves DevToolsActivePort behind: the stale port is caught by the gate.
            stale = debug_port_from_profile(profile)
            assert stale == app.port
            with pytest.raises(NoDebugPort):
                connect_live(stale, leveldb_dir=app.leveldb)
    finally:
        app.kill()


# --- the gate ------------------------------------------------------------------------------------


def test_gate_accepts_the_app_that_holds_the_profile(app: LiveApp) -> None:
    with connect_live(app.port, leveldb_dir=app.leveldb) as store:
        assert store.owner is not None and store.owner.pid == app.pid
        assert f"pid {app.pid}" in store.location


@pytest.mark.parametrize("host", ["192.168.1.2", "0.0.0.0", "example.com"])
def test_gate_refuses_non_loopback_host(host: str, chromium: ChromiumApp) -> None:
    with pytest.raises(UnsafeDebugPort, match="loopback") as err:
        connect_live(chromium.port, host=host, leveldb_dir=chromium.leveldb)
    assert err.value.exit_code == ExitCode.USAGE


def test_gate_refuses_listener_on_all_interfaces(chromium: ChromiumApp) -> None:
    with listening_socket("0.0.0.0") as port, pytest.raises(UnsafeDebugPort, match=r"0.0.0.0") as err:
        connect_live(port, leveldb_dir=chromium.leveldb)
    assert err.value.exit_code == ExitCode.USAGE


def test_gate_refuses_a_port_owned_by_the_launcher(chromium: ChromiumApp) -> None:
    # This test process started Chromium: an ancestor, but another program.
    with listening_socket() as port, pytest.raises(UnsafeDebugPort, match=rf"port {port} belongs to .*pid"):
        connect_live(port, leveldb_dir=chromium.leveldb)


def test_gate_refuses_a_port_owned_by_an_unrelated_program(chromium: ChromiumApp) -> None:
    with listener_process() as (port, pid), pytest.raises(UnsafeDebugPort) as err:
        connect_live(port, leveldb_dir=chromium.leveldb)
    assert f"pid {pid}" in str(err.value) and f"pid {chromium.pid}" in str(err.value)


def test_gate_refuses_the_port_of_another_running_app(app: LiveApp, chromium: ChromiumApp) -> None:
    # Both hold their own profile; the port of one is not the app of the other (same program or not).
    with pytest.raises(UnsafeDebugPort, match=rf"pid {chromium.pid}\).*pid {app.pid}\) holds it"):
        connect_live(chromium.port, leveldb_dir=app.leveldb)


def test_gate_refuses_when_nobody_holds_the_profile(chromium: ChromiumApp, tmp_path: Path) -> None:
    closed_profile = tmp_path / "leveldb"
    closed_profile.mkdir()
    (closed_profile / "LOCK").touch()
    with pytest.raises(UnsafeDebugPort, match="nobody holds its LOCK"):
        connect_live(chromium.port, leveldb_dir=closed_profile)


def test_gate_nothing_listening_is_no_debug_port(chromium: ChromiumApp) -> None:
    with pytest.raises(NoDebugPort, match="nothing listens") as err:
        connect_live(free_port(), leveldb_dir=chromium.leveldb)
    assert isinstance(err.value, LiveError)


def test_gate_by_process_names(chromium: ChromiumApp) -> None:
    with connect_live(chromium.port, leveldb_dir=None, process_names=["CherryStudio", "Chromium"]) as store:
        assert store.get(FILE, "k") == "v"
    with pytest.raises(UnsafeDebugPort, match="not to CherryStudio"):
        connect_live(chromium.port, leveldb_dir=None, process_names=["CherryStudio"])
    with listener_process() as (port, _), pytest.raises(UnsafeDebugPort, match="not to chromium"):
        connect_live(port, leveldb_dir=None, process_names=["chromium"])


def test_gate_without_profile_or_names_asks_for_them(chromium: ChromiumApp) -> None:
    with pytest.raises(UnsafeDebugPort, match="cannot tell whether") as err:
        connect_live(chromium.port, leveldb_dir=None)
    assert "--user-data-dir" in str(err.value) and "--target" in str(err.value)


# --- DevToolsActivePort --------------------------------------------------------------------------


def test_devtools_active_port_written_by_chromium(chromium: ChromiumApp) -> None:
    # Chromium 156 writes it in the user-data-dir (not Default/), only with --remote-debugging-port=0.
    assert not (chromium.user_data_dir / "Default" / "DevToolsActivePort").exists()
    port = debug_port_from_profile(chromium.user_data_dir)
    assert port == chromium.port
    with connect_live(port, leveldb_dir=chromium.leveldb) as store:
        assert store.get(FILE, "k") == "v"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"9222\n/devtools/browser/abc\n", 9222),
        (b"9222", 9222),
        (b" 9222 \r\n", 9222),
        (b"", None),
        (b"\n9222\n", None),
        (b"not a port\n", None),
        (b"70000\n", None),
        (b"0\n", None),
        (b"-1\n", None),
        (b"\xff\xfe\x00garbage", None),
        (b"9" * 10_000, None),
    ],
)
def test_devtools_active_port_parsing(tmp_path: Path, content: bytes, expected: int | None) -> None:
    (tmp_path / "DevToolsActivePort").write_bytes(content)
    assert debug_port_from_profile(tmp_path) == expected


def test_devtools_active_port_missing_or_unreadable(tmp_path: Path) -> None:
    assert debug_port_from_profile(tmp_path) is None
    assert debug_port_from_profile(tmp_path / "nope") is None
    (tmp_path / "DevToolsActivePort").mkdir()
    assert debug_port_from_profile(tmp_path) is None


ON = '{"USE_UNIFIED_DB_SERVICE":true}'
OFF = '{"USE_UNIFIED_DB_SERVICE":false}'


@pytest.mark.parametrize("engine", ENGINES)
def test_a_confirmed_write_survives_a_kill_and_an_unconfirmed_one_does_not(engine: str, tmp_path: Path) -> None:
    """The crash the runbook's manual procedure does not survive: SIGKILL of the app's whole
    process group right after the write. Confirmed (page parked, disk read back) it is there at the
    next start; a plain write killed at once is gone (the hole this closes)."""
    profile = tmp_path / "profile"
    app = start_app(engine, profile, {FILE: {**SEED[FILE], "featureFlags": ON}})
    try:
        with connect_live(app.port, leveldb_dir=app.leveldb) as store:
            store.put(FILE, "featureFlags", OFF)
            durability, reload_seconds = store.make_durable(FILE, {"featureFlags": OFF}, reload=True)
            assert durability.state == "on-disk", durability.detail
            assert reload_seconds is not None
            assert app.page_eval(FILE, "localStorage.getItem('featureFlags')") == OFF  # the page is back
            store.put(FILE, "other", "memory only")
        app.kill()
    finally:
        app.kill()
    with LevelDBStore.open_read(app.leveldb) as disk:
        assert disk.get(FILE, "featureFlags") == OFF
        assert disk.get(FILE, "persist:cherry-studio") == SEED[FILE]["persist:cherry-studio"]
        assert disk.get(FILE, "other") is None  # written, never confirmed, killed: lost


@pytest.mark.parametrize("engine", ENGINES)
def test_waiting_for_chromiums_own_commit_reports_memory_only_past_the_limit(engine: str, tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    app = start_app(engine, profile, {FILE: {"featureFlags": ON}})
    try:
        with connect_live(app.port, leveldb_dir=app.leveldb) as store:
            store.put(FILE, "featureFlags", OFF)
            durability, reload_seconds = store.make_durable(FILE, {"featureFlags": OFF}, reload=False, timeout=0.5)
            assert durability.state == "memory-only"
            assert "in the app's memory only" in durability.detail
            assert reload_seconds is None
            # Chromium's own commit comes seconds later (5 s the first time), and then it is on disk.
            durability, _ = store.make_durable(FILE, {"featureFlags": OFF}, reload=False, timeout=60)
            assert durability.state == "on-disk", durability.detail
    finally:
        app.kill()
