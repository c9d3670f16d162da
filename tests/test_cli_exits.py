"""How the ``flagdeck`` process ends when things go wrong around the command, not inside a check:
prompts nobody can answer, a reader that went away, a bug, an app that dies while starting, a
LevelDB without CURRENT. Always one line on stderr and a documented exit code, never a traceback;
refused means not one byte of the profile changed."""

from __future__ import annotations

import hashlib
import json
import os
import pty
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, cli_json, run_cli

FLAG = "USE_UNIFIED_DB_SERVICE"
NOT_CONFIRMED = "not confirmed; nothing was written"


def tree_hash(folder: Path) -> str:
    """Every file under ``folder``: path, mode and bytes (what "not one byte changed" means)."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        digest.update(f"{path.relative_to(folder)}\0{stat.filemode(info.st_mode)}\0".encode())
        if path.is_file() and not path.is_symlink():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def flagdeck(*args: str, stdin: str = "closed", stdout: int | None = subprocess.PIPE,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m flagdeck ARGS`` with stdin ``closed`` (as ``<&-``), ``devnull``, or ``tty-eof``
    (a terminal whose user pressed Ctrl-D)."""
    argv = [sys.executable, "-m", "flagdeck", *args]
    kwargs: dict[str, object] = {"stdout": stdout, "stderr": subprocess.PIPE, "text": True, "timeout": 120,
                                 "cwd": REPO, "env": {**os.environ, **(env or {})}}
    if stdin == "closed":
        return subprocess.run(["/bin/sh", "-c", 'exec "$@" <&-', "sh", *argv], **kwargs)  # type: ignore[call-overload]
    if stdin == "devnull":
        return subprocess.run(argv, stdin=subprocess.DEVNULL, **kwargs)  # type: ignore[call-overload]
    main, child = pty.openpty()
    try:
        os.write(main, b"\x04")  # Ctrl-D, waiting in the terminal before the question is asked
        return subprocess.run(argv, stdin=child, **kwargs)  # type: ignore[call-overload]
    finally:
        os.close(child)
        os.close(main)


def one_line(proc: subprocess.CompletedProcess[str], code: int, *needles: str) -> str:
    assert proc.returncode == code, f"exit {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
    assert "Traceback" not in proc.stderr + (proc.stdout or "")
    lines = [line for line in proc.stderr.splitlines() if line.startswith("flagdeck")]
    assert len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# --- prompts nobody can answer -------------------------------------------------------------------


@pytest.mark.parametrize("stdin", ["closed", "devnull", "tty-eof"])
def test_prompts_without_an_answer_write_nothing(qtwe_profile: Path, stdin: str) -> None:
    """``restore ID`` and ``rollback`` without ``--yes``: with stdin closed (``<&-``), not a terminal,
    or a terminal at its end, the answer is no: exit 2, "not confirmed; nothing was written", and the
    profile is byte-identical (stdin closed was an AttributeError traceback; Ctrl-D an EOFError)."""
    ud = ("--user-data-dir", str(qtwe_profile))
    backup = cli_json(*ud, "backup")
    cli_json(*ud, "flags", "set", f"{FLAG}=false")  # a restore of that backup would change the flag
    before = tree_hash(qtwe_profile)
    one_line(flagdeck(*ud, "restore", backup["id"], stdin=stdin), 2, "restore " + NOT_CONFIRMED, "--yes")
    one_line(flagdeck(*ud, "restore", "latest", "--scope", "entries", stdin=stdin), 2, NOT_CONFIRMED)
    one_line(flagdeck(*ud, "rollback", stdin=stdin), 2, "rollback " + NOT_CONFIRMED, "--yes")
    refused = flagdeck("--json", *ud, "rollback", stdin=stdin)
    one_line(refused, 2, NOT_CONFIRMED)
    assert json.loads(refused.stdout[refused.stdout.index('{\n  "ok"'):])["error"]["kind"] == "needs-confirmation"
    assert tree_hash(qtwe_profile) == before
    assert len(cli_json(*ud, "backups")) == 2  # the two taken above: a refused restore takes none


# --- the reader went away --------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["--json", "status"], ["status"], ["--json", "targets"], ["--help"]])
def test_closed_pipe_is_quiet(qtwe_profile: Path, args: list[str]) -> None:
    """``flagdeck --json status | head -c 10``: the reader is gone; nothing on stderr (it was two
    tracebacks, the second from the exit flush), exit 141 as any Unix tool, no JSON error document
    into a pipe that is closed anyway. Deterministic: the read end is closed before flagdeck writes."""
    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run([sys.executable, "-m", "flagdeck", "--user-data-dir", str(qtwe_profile), *args],
                              stdout=write, stderr=subprocess.PIPE, text=True, timeout=120, cwd=REPO)
    finally:
        os.close(write)
    assert proc.stderr == ""
    assert proc.returncode == (0 if args == ["--help"] else 141)  # argparse's help ignores a closed stdout itself


def test_head_of_the_output(qtwe_profile: Path) -> None:
    """The issue's own pipeline through a shell: whatever the timing, no traceback and no message."""
    proc = subprocess.run(
        ["bash", "-c", 'set -o pipefail; "$@" | head -c 10 >/dev/null', "bash", sys.executable, "-m", "flagdeck",
         "--json", "--user-data-dir", str(qtwe_profile), "status"],
        capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode in (0, 141) and proc.stderr == "", proc.stderr


# --- a bug ------------------------------------------------------------------------------------------

# A bug planted in a real command (what flagdeck exists to handle is not faked: the profile is real).
BUGGY = ("import sys\n"
         "from flagdeck import flag_ops\n"
         "def status(*a, **k):\n"
         "    raise ValueError('planted bug\\nsecond line of its message')\n"
         "flag_ops.status = status\n"
         "from flagdeck.cli.main import main\n"
         "sys.argv = ['flagdeck', *sys.argv[1:]]\n"
         "raise SystemExit(main())\n")


def test_a_bug_is_one_line_and_its_traceback_goes_to_the_log(qtwe_profile: Path, user_dirs: Path) -> None:
    run = ("--user-data-dir", str(qtwe_profile))
    proc = subprocess.run([sys.executable, "-c", BUGGY, *run, "status"], capture_output=True, text=True,
                          timeout=60, cwd=REPO)
    log = user_dirs / "data" / "logs" / "flagdeck.log"
    line = one_line(proc, 70, "internal error (ValueError: planted bug second line of its message)",
                    f"a bug in flagdeck; the traceback is in {log}")
    assert proc.stderr == line + "\n" and proc.stdout == ""
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "ValueError: planted bug" in text
    assert "command status" in text and str(qtwe_profile) not in text  # the command line's values stay out
    assert stat.S_IMODE(log.stat().st_mode) == 0o600 and stat.S_IMODE(log.parent.stat().st_mode) == 0o700

    as_json = subprocess.run([sys.executable, "-c", BUGGY, "--json", *run, "status"], capture_output=True,
                             text=True, timeout=60, cwd=REPO)
    one_line(as_json, 70, "internal error")
    error = json.loads(as_json.stdout)["error"]
    assert error["kind"] == "internal" and error["log"] == str(log) and error["exit_code"] == 70
    assert log.read_text().count("=== ") == 2  # appended, one block per failure


def test_a_bug_with_no_log_to_write_is_still_one_line(qtwe_profile: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("where flagdeck's data dir should be")
    proc = subprocess.run([sys.executable, "-c", BUGGY, "--user-data-dir", str(qtwe_profile), "status"],
                          capture_output=True, text=True, timeout=60, cwd=REPO,
                          env={**os.environ, "FLAGDECK_DATA_DIR": str(blocked / "data")})
    one_line(proc, 70, "internal error (ValueError", "could not be written to flagdeck's log")


def test_a_bug_in_a_background_thread_is_one_line(qtwe_profile: Path, user_dirs: Path) -> None:
    outbox = user_dirs / "data" / "notify" / "outbox"  # an alert waits: the command resumes its delivery
    outbox.mkdir(parents=True)
    (outbox / "20260101-000000-abcdef.json").write_text("{}")
    code = ("import sys, threading\n"
            "from flagdeck import notify\n"
            "def resume():\n"
            "    t = threading.Thread(target=lambda: 1 / 0, name='flagdeck-notify')\n"
            "    t.start(); t.join()\n"
            "notify.resume_pending = resume\n"
            "from flagdeck.cli.main import main\n"
            "sys.argv = ['flagdeck', *sys.argv[1:]]\n"
            "raise SystemExit(main())\n")
    proc = subprocess.run([sys.executable, "-c", code, "--user-data-dir", str(qtwe_profile), "status"],
                          capture_output=True, text=True, timeout=60, cwd=REPO)
    one_line(proc, 0, "internal error in background task flagdeck-notify (ZeroDivisionError: division by zero)")
    assert "ZeroDivisionError" in (user_dirs / "data" / "logs" / "flagdeck.log").read_text()


# --- exit codes ----------------------------------------------------------------------------------------


def test_app_exiting_while_starting_is_exit_1(qtwe_profile: Path, user_dirs: Path) -> None:
    """An app that exits while starting is a failed outcome (1), not unreadable storage (4): for
    ``launch`` and for the relaunch of ``rollback --restart``. The app here is a preset's command
    that exits at once."""
    presets = user_dirs / "config" / "presets"
    presets.mkdir(parents=True)
    (presets / "quitter.toml").write_text(f'name = "quitter"\n[user_data]\nall = ["{qtwe_profile}"]\n'
                                          '[launch]\nall = ["/bin/false"]\n')
    one_line(run_cli("--target", "quitter", "launch"), 1, "the app exited with code 1 while starting")
    proc = run_cli("--target", "quitter", "--json", "rollback", "--restart", "--yes")
    assert proc.returncode == 1, proc.stderr
    assert "the app exited with code 1 while starting" in proc.stderr and "Traceback" not in proc.stderr
    steps = {s["id"]: s["status"] for s in json.loads(proc.stdout)["steps"]}
    assert steps["relaunch"] == "failed"


def test_leveldb_without_current_is_unreadable_storage(qtwe_profile: Path) -> None:
    """A LevelDB folder whose CURRENT is gone: 4 "storage unreadable" (it was 2, bad usage), and a
    write refused on it changes nothing. 2 stays for a path that is not there or not a folder."""
    leveldb = qtwe_profile / "Local Storage" / "leveldb"
    (leveldb / "CURRENT").unlink()
    before = tree_hash(qtwe_profile)
    one_line(run_cli("--user-data-dir", str(qtwe_profile), "status"), 4, "no CURRENT")
    one_line(run_cli("--leveldb", str(leveldb), "flags", "set", f"{FLAG}=false"), 4, "no CURRENT")
    assert tree_hash(qtwe_profile) == before
    one_line(run_cli("--leveldb", str(leveldb / "MANIFEST-000001"), "status"), 2)
    one_line(run_cli("--leveldb", str(leveldb / "nope"), "status"), 2, "does not exist")
