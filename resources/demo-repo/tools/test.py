"""Demo Studio's test suite: the source check, the release manifest, and that the optional parts
(the unified data path, the flag configuration) are loaded only through ``import()``."""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from appcheck import STATIC_IMPORT, problems, sources  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OPTIONAL = ("paths/unified/", "featureFlags.js")
KNOWN_FAULTS = {"slow", "errorRate", "leakMbPerMin", "crashOnStart", "dataLoss", "flagIgnored"}


def test_source_resolves() -> list[str]:
    return problems(ROOT)


def test_release_manifest() -> list[str]:
    text = (ROOT / "js" / "release.js").read_text(encoding="utf-8")
    found = []
    if not re.search(r"version:\s*'\d+\.\d+\.\d+'", text):
        found.append("release.js: no version 'X.Y.Z'")
    for name in re.findall(r"(\w+):\s*(?:true|false|\d)", text.split("faults", 1)[-1]):
        if name not in KNOWN_FAULTS:
            found.append(f"release.js: unknown fault {name}")
    return found


def test_optional_parts_load_lazily() -> list[str]:
    found = []
    for path in sources(ROOT):
        rel = path.relative_to(ROOT / "js").as_posix()
        if rel.startswith(OPTIONAL[0]) or rel == OPTIONAL[1]:
            continue
        for match in STATIC_IMPORT.finditer(path.read_text(encoding="utf-8")):
            spec = (match.group(1) or match.group(2)).lstrip("./")
            if any(part in spec for part in OPTIONAL):
                found.append(f"js/{rel}: imports the optional {spec} statically")
    return found


def main() -> int:
    tests = [test_source_resolves, test_release_manifest, test_optional_parts_load_lazily]
    failed = 0
    for test in tests:
        found = test()
        print(f"{'FAIL' if found else 'ok  '} {test.__name__}")
        for line in found:
            print(f"     {line}")
        failed += bool(found)
    print(f"{len(tests) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
