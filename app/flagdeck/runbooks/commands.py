"""Running one planned command: argv list, no shell, output streamed line by line and kept.

Placeholders in a preset's words (``{python}``, ``{repo}``, ``{data}``) are filled when the plan is
made, so the plan shows the exact command that runs. Output (stdout and stderr merged, in order)
goes to the caller line by line, to a log file in the rollback's record folder, and its last lines
into the record. Ctrl-C stops the command (its process group) and is raised again.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from flagdeck import paths
from flagdeck.runbooks import git
from flagdeck.runbooks.config import CommandSpec
from flagdeck.runbooks.model import Command

TAIL_LINES = 40
Output = Callable[[str], None]


def fill(word: str, repo: Path) -> str:
    """A preset word with its placeholders filled (unknown ``{...}`` stay as written)."""
    values = {"python": sys.executable, "repo": str(repo), "data": str(paths.data_dir())}
    for name, value in values.items():
        word = word.replace("{" + name + "}", value)
    return word


def planned(spec: CommandSpec, repo: Path) -> Command:
    return Command(tuple(fill(w, repo) for w in spec.argv), str(repo), when_script=spec.when_script)


def display(argv: tuple[str, ...] | list[str]) -> str:
    """One command as a person would type it (quoted for a POSIX shell; it is never run by one)."""
    return shlex.join(argv)


def script_defined(repo: Path, name: str) -> bool:
    """Whether ``package.json`` in ``repo`` defines the script ``name``."""
    try:
        data = json.loads((repo / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    scripts = data.get("scripts") if isinstance(data, dict) else None
    return isinstance(scripts, dict) and name in scripts


def run(cmd: Command, output: Output, log_file: Path | None = None) -> int:
    """Run ``cmd`` to its end; its exit code (127: the program does not exist)."""
    start = time.monotonic()
    cmd.status = "running"
    tail: list[str] = []

    def say(line: str) -> None:
        tail.append(line)
        del tail[:-TAIL_LINES]
        output(line)

    with contextlib.ExitStack() as stack:
        log = stack.enter_context(open(log_file, "a", encoding="utf-8")) if log_file else None
        if log is not None:
            cmd.log = str(log_file)
            log.write(f"$ {display(cmd.argv)}   (in {cmd.cwd})\n")
        try:
            proc = subprocess.Popen(list(cmd.argv), cwd=cmd.cwd, env=git.env(), stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as exc:
            say(f"cannot run {cmd.argv[0]}: {exc.strerror or exc}")
            cmd.exit_code, cmd.status = 127, "failed"
            cmd.seconds, cmd.output_tail = round(time.monotonic() - start, 3), tail
            return 127
        try:
            assert proc.stdout is not None
            for raw in iter(proc.stdout.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if log is not None:
                    log.write(line + "\n")
                    log.flush()
                say(line)
            code = proc.wait()
        except BaseException:  # Ctrl-C (or the UI stopping the run): the command's whole group goes
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            cmd.exit_code, cmd.status = proc.returncode, "failed"
            cmd.seconds, cmd.output_tail = round(time.monotonic() - start, 3), tail
            raise
        finally:
            if proc.stdout is not None:
                proc.stdout.close()
    cmd.exit_code = code
    cmd.status = "done" if code == 0 else "failed"
    cmd.seconds, cmd.output_tail = round(time.monotonic() - start, 3), tail
    return code
