"""What the build and the tests check of the app's source: every static ES import resolves, every
file ``index.html`` names exists. (Dynamic ``import()`` is how the app loads its optional parts:
not checked here, the build lists what it ships.)"""

from __future__ import annotations

import re
from pathlib import Path

STATIC_IMPORT = re.compile(r"^\s*(?:import|export)\s[^;]*?from\s+['\"](\.{1,2}/[^'\"]+)['\"]"
                           r"|^\s*import\s+['\"](\.{1,2}/[^'\"]+)['\"]", re.MULTILINE | re.DOTALL)
HTML_REF = re.compile(r"(?:src|href)=\"(\./[^\"]+)\"")
APP_PARTS = ("index.html", "css", "js")


def sources(root: Path) -> list[Path]:
    return sorted(p for p in (root / "js").rglob("*.js"))


def problems(root: Path) -> list[str]:
    found: list[str] = []
    index = root / "index.html"
    if not index.is_file():
        return ["index.html is missing"]
    for ref in HTML_REF.findall(index.read_text(encoding="utf-8")):
        if not (root / ref).resolve().is_file():
            found.append(f"index.html: {ref} does not exist")
    for path in sources(root):
        text = path.read_text(encoding="utf-8")
        for match in STATIC_IMPORT.finditer(text):
            spec = match.group(1) or match.group(2)
            if not (path.parent / spec).resolve().is_file():
                found.append(f"{path.relative_to(root)}: import {spec!r} does not resolve")
    return found
