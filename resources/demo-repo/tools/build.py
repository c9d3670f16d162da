"""Demo Studio's build: ``build.py --check`` checks the source; ``build.py`` checks, then writes
``dist/`` (what the demo target serves) with ``js/build.js`` naming the files it shipped and the
commit it was built from."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from appcheck import APP_PARTS, problems  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

BUILD_JS = """/** Written by tools/build.py: the files of this build (see the source's js/build.js). */

export const build = Object.freeze({manifest});

export function shipped(path) {{
  return build === null || build.files.includes(path);
}}
"""


def commit() -> str:
    proc = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else "unknown"


def main(argv: list[str]) -> int:
    found = problems(ROOT)
    for line in found:
        print(f"build check: {line}")
    if found:
        print(f"build check FAILED: {len(found)} problem(s)")
        return 1
    print(f"build check: {sum(1 for _ in (ROOT / 'js').rglob('*.js'))} modules, all imports resolve")
    if "--check" in argv:
        return 0
    dist = ROOT / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    dist.mkdir()
    for part in APP_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dist / part)
        else:
            shutil.copy2(src, dist / part)
    files = sorted(p.relative_to(dist).as_posix() for p in dist.rglob("*") if p.is_file())
    manifest = {"files": files, "commit": commit(), "builtAt": datetime.now(UTC).isoformat(timespec="seconds")}
    (dist / "js" / "build.js").write_text(BUILD_JS.format(manifest=json.dumps(manifest, indent=2)), encoding="utf-8")
    print(f"built dist/ from {manifest['commit'][:10]}: {len(files)} files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
