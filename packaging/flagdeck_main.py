"""The bundle's entry point: the ``flagdeck`` executable is the CLI and the tray (same commands).

A bundle built without ``--with-demo`` has no QtWebEngine: the commands that start the demo
target say so in one line (exit 2) instead of failing on the missing module.
"""

from __future__ import annotations

import importlib.util
import sys

_VALUED = {"--target", "--user-data-dir", "--leveldb", "--storage-key", "--origin", "--debug-port"}


def _command(argv: list[str]) -> str | None:
    """The first word after flagdeck's global options."""
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word in _VALUED:
            skip = True
        elif not word.startswith("-"):
            return word
    return None


def main() -> int:
    demo = _command(sys.argv[1:]) in ("demo", "demo-target")
    if demo and importlib.util.find_spec("PySide6.QtWebEngineCore") is None:
        print("flagdeck: this bundle was built without QtWebEngine, so it has no demo target "
              "(build it with ./flagdeck.sh package --with-demo)", file=sys.stderr)
        return 2
    from flagdeck.__main__ import run

    return run()


if __name__ == "__main__":
    sys.exit(main())
