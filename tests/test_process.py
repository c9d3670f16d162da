"""Who listens on a debug port and who holds the LevelDB LOCK, measured on real browsers."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from flagdeck.targets import process
from flagdeck.targets.process import Listener, ProcInfo
from tests.conftest import needs_chromium
from tests.engines.chromium import Chromium, free_port, port_of
from tests.live_support import FILE, QtWebEngineApp, listener_process, listening_socket


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    started = Chromium(tmp_path_factory.mktemp("proc"))
    try:
        started.set_items(FILE, {"k": "v"})
        yield started
    finally:
        started.close()


# --- addresses -----------------------------------------------------------------------------------


@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1", "::1%lo"])
def test_loopback_addresses(address: str) -> None:
    assert process.is_loopback_address(address)


@pytest.mark.parametrize("address", ["0.0.0.0", "::", "192.168.1.2", "::ffff:10.0.0.1", "fe80::1%eth0", "", "x"])
def test_non_loopback_addresses(address: str) -> None:
    assert not process.is_loopback_address(address)


def test_listener_properties() -> None:
    assert Listener(1, ("127.0.0.1", "::1"), (1,)).loopback_only
    mixed = Listener(1, ("0.0.0.0", "127.0.0.1"), (1,))
    assert not mixed.loopback_only and mixed.exposed == ("0.0.0.0",)
    assert not Listener(None, ()).loopback_only


# --- port listeners ------------------------------------------------------------------------------


def test_nobody_listening() -> None:
    port = free_port()
    assert process.port_listener(port) is None
    assert not process.port_accepts(port)


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0", "::1"])
def test_listener_in_this_process(host: str) -> None:
    with listening_socket(host) as port:
        found = process.port_listener(port)
        assert found is not None
        assert found.pid == os.getpid() and found.pids == (os.getpid(),)
        assert found.addresses == (host,)
        assert found.loopback_only == (host != "0.0.0.0")
        if host != "::1":
            assert process.port_accepts(port)


def test_listener_in_another_process() -> None:
    with listener_process() as (port, pid):
        found = process.port_listener(port)
        assert found is not None and found.pid == pid


@needs_chromium
def test_chromium_browser_process_listens_and_holds_the_lock(browser: Chromium) -> None:
    listener = process.port_listener(port_of(browser))
    assert listener is not None and listener.pid == browser.pid
    assert listener.addresses == ("127.0.0.1",)
    holder = process.lock_holder(browser.leveldb / "LOCK")
    assert holder is not None and holder.pid == browser.pid
    assert process.same_app(listener.pid, holder.pid)


def test_qtwebengine_host_process_listens_and_holds_the_lock(tmp_path: Path) -> None:
    app = QtWebEngineApp(tmp_path / "profile", {FILE: {"k": "v"}})
    try:
        listener = process.port_listener(app.port)
        assert listener is not None and listener.pid == app.pid
        assert listener.addresses == ("127.0.0.1",)
        holder = process.lock_holder(app.leveldb / "LOCK")
        assert holder is not None and holder.pid == app.pid
        helpers = psutil.Process(app.pid).children(recursive=True)
        assert helpers and all(h.name() == "QtWebEngineProcess" for h in helpers)
    finally:
        app.kill()


# --- who is the app ------------------------------------------------------------------------------


@needs_chromium
def test_same_app_for_the_browser_and_its_helpers(browser: Chromium) -> None:
    helpers = psutil.Process(browser.pid).children(recursive=True)
    assert helpers
    for helper in helpers:
        assert process.is_ancestor(browser.pid, helper.pid)
        assert process.related(helper.pid, browser.pid)
        assert process.same_app(browser.pid, helper.pid)
        assert process.same_app(helper.pid, browser.pid)


@needs_chromium
def test_the_launcher_is_related_but_not_the_same_app(browser: Chromium) -> None:
    me = os.getpid()
    assert process.is_ancestor(me, browser.pid) and process.related(me, browser.pid)
    assert not process.same_app(me, browser.pid)
    assert not process.same_app(browser.pid, me)


def test_unrelated_processes() -> None:
    with listener_process() as (_, a), listener_process() as (_, b):
        assert not process.related(a, b)
        assert not process.same_app(a, b)
    assert not process.is_ancestor(os.getpid(), 2**22 + 12345)  # no such process


def test_same_executable() -> None:
    chromium = ProcInfo(1, "chromium", exe="/usr/lib/chromium/chromium")
    assert process.same_executable(chromium, ProcInfo(2, "chromium", exe="/usr/lib/chromium/chromium"))
    assert not process.same_executable(chromium, ProcInfo(3, "python3", exe="/usr/bin/python3"))
    app = "/Applications/Cherry Studio.app/Contents/MacOS/Cherry Studio"
    helper = ("/Applications/Cherry Studio.app/Contents/Frameworks/Cherry Studio Helper.app/Contents/MacOS/"
              "Cherry Studio Helper")
    other = "/Applications/Other.app/Contents/MacOS/Other"
    assert process.same_executable(ProcInfo(1, "a", exe=app), ProcInfo(2, "b", exe=helper))
    assert not process.same_executable(ProcInfo(1, "a", exe=app), ProcInfo(2, "b", exe=other))


def test_name_matches() -> None:
    info = ProcInfo(1, "CherryStudio", exe="/opt/CherryStudio/cherrystudio")
    assert process.name_matches(info, ["cherrystudio"])
    assert process.name_matches(ProcInfo(1, "Cherry Studio.exe"), ["Cherry Studio"])
    assert process.name_matches(ProcInfo(1, "Cherry Studio"), ["Cherry Studio.exe"])
    assert not process.name_matches(info, ["chromium", "electron"])
    assert not process.name_matches(info, [])


def test_uid_of() -> None:
    assert process.uid_of(os.getpid()) == os.getuid()
    assert process.uid_of(2**22 + 12345) is None


@needs_chromium
def test_find_by_names(browser: Chromium) -> None:
    assert browser.pid in {p.pid for p in process.find_by_names(["chromium"])}
    assert process.find_by_names(["no-such-program-flagdeck"]) == []


# --- probing a LOCK this process holds ------------------------------------------------------------

# A second process tries LevelDB's own lock (fcntl F_SETLK, whole file): exit 3 while it is held.
TRY_LOCK = ("import fcntl, os, sys\nfd = os.open(sys.argv[1], os.O_RDWR)\n"
            "try:\n    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept OSError:\n    sys.exit(3)\n")


def held_by_another_process(lock: Path) -> bool:
    code = subprocess.run([sys.executable, "-c", TRY_LOCK, str(lock)], timeout=60).returncode
    assert code in (0, 3)
    return code == 3


@pytest.mark.parametrize("probe", ["lock_probe", "lock_holder", "portable"])
def test_probes_from_another_thread_leave_an_open_write_locked(qtwe_profile: Path, probe: str) -> None:
    """LevelDB's lock is a process-wide fcntl lock that any close() of a descriptor of LOCK in the
    process drops: probes from other threads (discovery, evidence, verify) must not open the file
    while a write holds the database open. ``portable``: the path taken where /proc/locks is not."""
    from flagdeck.storage.leveldb_store import LevelDBStore

    leveldb = qtwe_profile / "Local Storage" / "leveldb"
    lock = leveldb / "LOCK"
    ask = {"lock_probe": lambda: process.lock_probe(lock) and os.getpid(),
           "lock_holder": lambda: (h := process.lock_holder(lock)) is not None and h.pid,
           "portable": lambda: process._query_lock(lock)}[probe]
    opened, release = threading.Event(), threading.Event()

    def writer() -> None:
        with LevelDBStore.open_write(leveldb):
            opened.set()
            release.wait(120)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert opened.wait(60)
        answers: list[object] = []
        prober = threading.Thread(target=lambda: answers.extend(ask() for _ in range(3)))
        prober.start()
        prober.join()
        assert answers == [os.getpid()] * 3
        assert held_by_another_process(lock)  # still locked after the probes
    finally:
        release.set()
        thread.join()
    assert not process.lock_probe(lock) and process._query_lock(lock) is None
    assert not held_by_another_process(lock)
