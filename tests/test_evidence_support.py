"""Shared helpers for the evidence, history and notify tests (no tests of its own).

``run_flagdeck`` runs the CLI in a subprocess like ``conftest.run_cli``, with the evidence,
history and notify commands registered even before ``cli.main.COMMAND_MODULES`` lists them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from tests.conftest import REPO

_LAUNCH = (
    "import sys\n"
    "from flagdeck.cli import main as m, evidence_cmd, history_cmd, notify_cmd\n"
    "names = {mod.__name__ for mod in m.COMMAND_MODULES}\n"
    "m.COMMAND_MODULES += [x for x in (evidence_cmd, history_cmd, notify_cmd) if x.__name__ not in names]\n"
    "sys.exit(m.main(sys.argv[1:]))\n"
)


def run_flagdeck(*args: str, timeout: float = 120, env: dict[str, str] | None = None,
                 input: str | None = None) -> subprocess.CompletedProcess[str]:
    """``flagdeck ARGS`` in a subprocess with the test's environment (private user dirs)."""
    return subprocess.run([sys.executable, "-c", _LAUNCH, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, cwd=REPO, input=input)


def flagdeck_json(*args: str, expect: int = 0, env: dict[str, str] | None = None) -> Any:
    proc = run_flagdeck("--json", *args, env=env)
    assert proc.returncode == expect, f"exit {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)
