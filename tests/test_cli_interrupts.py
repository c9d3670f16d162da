"""Ctrl-C at any moment: a real ``python -m flagdeck`` process gets SIGINT while its modules load,
while it waits for another flagdeck, at a prompt and during a write. Every time: exit 130, one
line ``flagdeck: interrupted``, no traceback; an interrupted write leaves the LevelDB readable with
the old or the new value and every other entry intact (one write batch: it happened or it did not).

The moments are found by watching the process, not by sleeping: ``-X importtime`` lines for the
imports, the lock file it opened for the wait, the prompt it printed, the backup it finished (the
write comes next)."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from flagdeck.storage.leveldb_store import LevelDBStore
from tests.conftest import FLAGS_ON, REPO, cli_json, read_qtwebengine_profile
from tests.test_cli_exits import tree_hash

FLAG = "USE_UNIFIED_DB_SERVICE"
FLAGS_OFF = '{"USE_UNIFIED_DB_SERVICE":false}'


def start(*args: str, stdin: int | None = subprocess.DEVNULL, importtime: bool = False
          ) -> subprocess.Popen[bytes]:
    x = ["-X", "importtime"] if importtime else []
    return subprocess.Popen([sys.executable, *x, "-m", "flagdeck", *args], stdin=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=REPO, env=dict(os.environ))


def wait_until(condition: Callable[[], object], proc: subprocess.Popen[bytes], what: str,
               timeout: float = 60.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if proc.poll() is not None:
            raise AssertionError(f"flagdeck ended (exit {proc.returncode}) before {what}: {proc.stderr.read()!r}")
        time.sleep(0.002)
    raise AssertionError(f"never saw {what}")


def interrupted(proc: subprocess.Popen[bytes]) -> tuple[int, str, str]:
    """SIGINT (what Ctrl-C sends), then the exit code, stderr and stdout."""
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, err.decode().strip(), (out or b"").decode()


def assert_interrupted(code: int, err: str, out: str = "") -> None:
    assert (code, err) == (130, "flagdeck: interrupted"), f"exit {code}: {err!r}"


@pytest.mark.parametrize("module", ["argparse", "plyvel_next", "flagdeck.storage.leveldb_store", "flagdeck.flag_ops",
                                    "flagdeck.cli.backup_cmd"])
def test_ctrl_c_while_modules_load(qtwe_profile: Path, module: str) -> None:
    """Before, a Ctrl-C during the third of a second of imports was a KeyboardInterrupt traceback."""
    proc = start("--user-data-dir", str(qtwe_profile), "status", importtime=True)
    assert proc.stderr is not None
    for raw in proc.stderr:  # each line as the interpreter prints it: the signal follows at once
        if raw.decode().rsplit("|", 1)[-1].strip() == module:
            break
    else:
        raise AssertionError(f"flagdeck ended (exit {proc.wait()}) without importing {module}")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    text = err.decode()  # -X importtime lines, cut anywhere by the exit, then ours
    assert proc.returncode == 130, text[-2000:]
    assert text.endswith("flagdeck: interrupted\n") and text.count("flagdeck: interrupted") == 1, text[-2000:]
    assert "Traceback" not in text and "KeyboardInterrupt" not in text


def test_ctrl_c_while_waiting_for_another_flagdeck(qtwe_profile: Path) -> None:
    from flagdeck.targets.resolve import TargetOptions, resolve

    slug = resolve(TargetOptions(user_data_dir=qtwe_profile)).slug
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from flagdeck.target_lock import target_lock\n"
         "with target_lock(sys.argv[1]):\n print('held', flush=True); time.sleep(60)", slug],
        stdout=subprocess.PIPE, text=True, cwd=REPO, env=dict(os.environ))
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        before = tree_hash(qtwe_profile)
        proc = start("--user-data-dir", str(qtwe_profile), "flags", "set", f"{FLAG}=false")
        lock = f"{slug}.lock"
        wait_until(lambda: any(f.path.endswith(lock) for f in psutil.Process(proc.pid).open_files()), proc,
                   "the wait for the writer lock")
        assert_interrupted(*interrupted(proc))
        assert tree_hash(qtwe_profile) == before
    finally:
        holder.kill()
        holder.wait()


def test_ctrl_c_at_a_prompt(qtwe_profile: Path) -> None:
    ud = ("--user-data-dir", str(qtwe_profile))
    cli_json(*ud, "backup")
    cli_json(*ud, "flags", "set", f"{FLAG}=false")
    before = tree_hash(qtwe_profile)
    main, child = pty.openpty()
    try:
        proc = start(*ud, "restore", "latest", stdin=child)
        assert proc.stdout is not None
        os.set_blocking(proc.stdout.fileno(), False)
        shown = bytearray()

        def asked() -> bool:
            shown.extend(proc.stdout.read() or b"")  # type: ignore[union-attr]
            return b"[y/N]" in shown

        wait_until(asked, proc, "the question")
        assert_interrupted(*interrupted(proc))
    finally:
        os.close(child)
        os.close(main)
    assert tree_hash(qtwe_profile) == before


def _entries(leveldb: Path) -> dict[tuple[str, str], str | None]:
    with LevelDBStore.open_read(leveldb) as store:
        return {(o, e.key): e.value for o in store.origins() for e in store.entries(o)}


@pytest.mark.parametrize("extra_ms", [0, 1, 3, 10, 30])
def test_ctrl_c_during_a_write_leaves_old_or_new(qtwe_profile: Path, user_dirs: Path, extra_ms: int) -> None:
    """SIGINT once the backup is finished (the write batch is next), and a little later each time:
    exit 130 (or 0 when the write had ended first), one line, and a LevelDB that opens with the flag
    old or new and every other entry as it was; then a real QtWebEngine reads it."""
    leveldb = qtwe_profile / "Local Storage" / "leveldb"
    before = _entries(leveldb)
    backups = user_dirs / "data" / "backups"
    proc = start("--user-data-dir", str(qtwe_profile), "flags", "set", f"{FLAG}=false")
    wait_until(lambda: any(backups.glob("**/meta.json")), proc, "the finished backup")
    time.sleep(extra_ms / 1000)
    code, err, out = interrupted(proc)
    if code == 0:  # it had ended: the Ctrl-C came during the interpreter's teardown, which ignores it
        assert err == "" and f"{FLAG}: true -> false" in out, (err, out)
    else:
        assert_interrupted(code, err)
    after = _entries(leveldb)
    assert after[("file://", "featureFlags")] in (FLAGS_ON, FLAGS_OFF)
    assert {k: v for k, v in after.items() if k[1] != "featureFlags"} == {
        k: v for k, v in before.items() if k[1] != "featureFlags"}
    seen = read_qtwebengine_profile(qtwe_profile, "file://")["file://"]
    assert seen["featureFlags"] == after[("file://", "featureFlags")] and seen["language"] == "zh-CN"
