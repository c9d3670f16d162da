"""Each command imports what it needs and no more: the real CLI in a subprocess, its modules read
from ``sys.modules`` when the process ends (every exit task and background thread included).

``flags set``, ``flags get``, ``status`` (offline) and ``--help`` used to load every command's
implementation (rollback, verification, perf, evidence, alerts, websockets: ~0.3 s a process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flagdeck.cli import history_cmd, main, perf_cmd, verify_cmd
from tests.conftest import REPO

FORBIDDEN_PACKAGES = ("flagdeck.rollback", "flagdeck.verify", "flagdeck.perf", "flagdeck.evidence",
                      "flagdeck.notify", "flagdeck.ui", "websockets", "PySide6")

# ``python -m flagdeck ARGS`` (runpy, as the interpreter runs it) that writes its modules at exit;
# registered before flagdeck's own exit tasks, so it runs after them.
RUN = """
import atexit, json, runpy, sys
out = sys.argv[1]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
sys.argv = ["flagdeck", *sys.argv[2:]]
runpy.run_module("flagdeck", run_name="__main__", alter_sys=True)
"""


def modules_of(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    out = tmp_path / "modules.json"
    proc = subprocess.run([sys.executable, "-c", RUN, str(out), *args], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ), cwd=REPO)
    return proc, set(json.loads(out.read_text()))


def loaded(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in FORBIDDEN_PACKAGES))


@pytest.mark.parametrize("args", [
    ("--help",),
    ("status",),
    ("flags", "get"),
    ("flags", "get", "USE_UNIFIED_DB_SERVICE"),
    ("flags", "set", "USE_UNIFIED_DB_SERVICE=false"),
], ids=lambda a: " ".join(a))
def test_command_loads_no_other_command(qtwe_profile: Path, tmp_path: Path, args: tuple[str, ...]) -> None:
    proc, modules = modules_of(tmp_path, "--user-data-dir", str(qtwe_profile), *args)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert loaded(modules) == [], f"flagdeck {' '.join(args)} loaded {loaded(modules)}"
    if args[0] == "flags" and args[1] == "set":
        assert "USE_UNIFIED_DB_SERVICE: true -> false" in proc.stdout  # it did write, history row included
        assert "flagdeck.history" in modules and "flagdeck.redact" in modules


def test_a_waiting_alert_still_loads_the_alerts(qtwe_profile: Path, tmp_path: Path, user_dirs: Path) -> None:
    """The outbox is looked at without the alert code; a message there brings it in (and its retry)."""
    outbox = user_dirs / "data" / "notify" / "outbox"
    outbox.mkdir(parents=True)
    (outbox / "20260101-000000-abcdef.json").write_text("{}")  # unreadable: kept, not retried
    proc, modules = modules_of(tmp_path, "--user-data-dir", str(qtwe_profile), "status")
    assert proc.returncode == 0, proc.stderr
    assert "flagdeck.notify" in modules


def test_registration_constants_agree_with_their_modules() -> None:
    """What the command modules spell out so that registering them loads nothing."""
    from flagdeck import history
    from flagdeck.perf import sequential, workload
    from flagdeck.verify.runner import CHECK_IDS

    assert history_cmd.KINDS == history.KINDS
    assert verify_cmd.CHECK_IDS == CHECK_IDS
    assert (perf_cmd.DEMO_REPEAT, perf_cmd.PROBE_REPEAT) == (workload.DEMO_REPEAT, workload.PROBE_REPEAT)
    assert (perf_cmd.MIN_PAIRS, perf_cmd.MAX_PAIRS) == (sequential.MIN_PAIRS, sequential.MAX_PAIRS)


@pytest.mark.parametrize(("words", "word"), [
    (["status"], "status"), (["--user-data-dir", "P", "--json", "flags", "set", "A=1"], "flags"),
    (["--user", "P", "status"], "status"), (["--target=demo", "compare"], "compare"), (["--json"], None),
    (["--help"], None), (["-h", "status"], None), (["--", "status"], "status"), (["--debug-port", "9", "-x"], None),
])
def test_the_command_word_is_read_as_argparse_reads_it(words: list[str], word: str | None) -> None:
    assert main.command_word(words) == word


def test_a_command_registers_only_the_modules_up_to_its_own() -> None:
    """``flags set`` builds the flags commands only; help, and a word no command has, build them all."""
    parser = main.build_parser(["flags", "set", "A=1"])
    assert not parser.complete and "tray" not in _commands(parser) and {"status", "flags"} <= _commands(parser)
    assert main.build_parser(["--help"]).complete and "tray" in _commands(main.build_parser(["nope"]))


def _commands(parser: object) -> set[str]:
    return {name for action in parser._subparsers._group_actions for name in action.choices}  # type: ignore[attr-defined]
