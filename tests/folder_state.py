"""The exact state of a folder tree: every file's bytes and mode, every folder's mode.

"Refused" means not one byte changed: tests compare this before and after a refused command.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path


def folder_state(root: Path) -> dict[str, tuple[int, str]]:
    """``relative path -> (mode, sha256 of the bytes or 'dir')`` for everything under ``root``."""
    out: dict[str, tuple[int, str]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            path = Path(dirpath, name)
            out[str(path.relative_to(root)) + "/"] = (stat.S_IMODE(path.lstat().st_mode), "dir")
        for name in filenames:
            path = Path(dirpath, name)
            st = path.lstat()
            digest = "link" if stat.S_ISLNK(st.st_mode) else hashlib.sha256(path.read_bytes()).hexdigest()
            out[str(path.relative_to(root))] = (stat.S_IMODE(st.st_mode), digest)
    return out


def changed(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> list[str]:
    """The paths added, removed or changed (bytes or mode) between two states."""
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
