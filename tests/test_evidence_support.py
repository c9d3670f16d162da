"""Shared helpers for the evidence, history and notify tests (no tests of its own).

``run_flagdeck`` runs the CLI in a subprocess like ``conftest.run_cli``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from tests.conftest import REPO


def run_flagdeck(*args: str, timeout: float = 120, env: dict[str, str] | None = None,
                 input: str | None = None) -> subprocess.CompletedProcess[str]:
    """``flagdeck ARGS`` in a subprocess with the test's environment (private user dirs)."""
    return subprocess.run([sys.executable, "-m", "flagdeck", *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, cwd=REPO, input=input)


def flagdeck_json(*args: str, expect: int = 0, env: dict[str, str] | None = None) -> Any:
    proc = run_flagdeck("--json", *args, env=env)
    assert proc.returncode == expect, f"exit {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)
