"""README's Level 2 and Level 3 forms, run as written (tests/test_readme_commands.py has the
runs and the helpers; this file of its own lets the whole suite run them beside the demo forms)."""

from __future__ import annotations

from pathlib import Path

from tests.test_readme_commands import level_forms


def test_level_forms(user_dirs: Path) -> None:
    level_forms(user_dirs)
