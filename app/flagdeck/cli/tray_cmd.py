"""``flagdeck tray``: the tray icon and console window (PySide6, imported only when this runs).

``flagdeck tray --hidden`` is what the autostart entry runs. The lead's ``cli.main`` should run
this for a plain ``flagdeck`` (no command) when :func:`display_available` says a window can open,
and print the help otherwise.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the command runs is imported when it runs (cli.main)
    from flagdeck.cli.context import Context

PAGES = ("flags", "rollback", "verify", "backups", "log", "performance", "evidence", "history")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("tray", help="the tray icon and console window (one per user; a second launch raises it)",
                       description="Show flagdeck's tray icon: the rollback flag's state at a glance, quick toggles, "
                       "the emergency rollback, verification and backups; the console window has every page. "
                       "Target options given before the command are remembered for the next start.")
    p.add_argument("--hidden", action="store_true",
                   help="start in the tray without opening the console (what start-at-login runs)")
    p.add_argument("--page", choices=PAGES, help="open the console on this page")
    p.add_argument("--verbose", "-v", action="store_true", help="log what the tray does on stderr as well")
    p.set_defaults(func=cmd_tray)


def display_available() -> bool:
    """Whether a window could open here (a display; Qt's xcb libraries are checked when it starts)."""
    from flagdeck.ui.platform_check import display_problem

    return display_problem(missing=[]) is None


def cmd_tray(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck.targets.resolve import TargetOptions
    from flagdeck.ui.app import TrayOptions, main

    opts = ctx.options()
    given = opts if opts != TargetOptions() else None
    ctx.exit_code = main(TrayOptions(hidden=args.hidden, target=given, page=args.page, verbose=args.verbose))
    return None
