"""The embedded demo target: a QtWebEngine chat app ("Demo Studio") that behaves like Cherry
Studio's renderer for flagdeck's runbook (the ``featureFlags`` localStorage key, IndexedDB
``CherryStudio``, an original and a unified data path, fault injection in the unified one).

The web app is ``resources/demo/``; its probes are documented in ``resources/demo/PROBES.md``.
Importing this package loads no Qt: ``main`` imports the host only after checking its options.
"""

from __future__ import annotations


def main(argv: list[str]) -> int:
    """Entry point for ``flagdeck demo-target ARGS`` and ``python -m flagdeck.demo_target ARGS``."""
    from flagdeck.demo_target.cli import main as cli_main

    return cli_main(argv)


__all__ = ["main"]
