"""Install a build: ``deploy.py DIST DEST`` copies ``DIST`` beside ``DEST`` and swaps it in, so
``DEST`` is the old build or the new one, never half of each. (flagdeck restarts the app after.)"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: deploy.py DIST DEST", file=sys.stderr)
        return 2
    dist, dest = Path(argv[0]).resolve(), Path(argv[1]).resolve()
    if not (dist / "index.html").is_file() or not (dist / "js" / "build.js").is_file():
        print(f"deploy: {dist} is not a build (run tools/build.py first)", file=sys.stderr)
        return 1
    new, old = dest.with_name(f"{dest.name}.new-{os.getpid()}"), dest.with_name(f"{dest.name}.old-{os.getpid()}")
    shutil.copytree(dist, new)
    if dest.exists():
        dest.rename(old)
    new.rename(dest)
    shutil.rmtree(old, ignore_errors=True)
    print(f"deployed {dist} to {dest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
