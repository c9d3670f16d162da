"""The wheel ships every subpackage (pyproject lists them by hand because resources/ lives outside
app/), and the CLI starts without importing Qt."""

from __future__ import annotations

import subprocess
import sys
import tomllib

from tests.conftest import REPO


def test_every_subpackage_is_listed_in_pyproject() -> None:
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    root = REPO / "app"
    found = {".".join(p.parent.relative_to(root).parts) for p in (root / "flagdeck").rglob("__init__.py")}
    missing = found - listed
    assert not missing, f"add to [tool.setuptools] packages: {sorted(missing)}"
    assert "flagdeck.resources" in listed


def test_cli_status_imports_no_qt() -> None:
    code = ("import sys; from flagdeck.cli.main import main; main(['--version']) if False else None; "
            "import flagdeck.flag_ops, flagdeck.rollback.run, flagdeck.verify.runner; "
            "print(sorted(m for m in sys.modules if m.startswith('PySide6')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
