"""Command-line options of the demo target, validated before any Qt module is imported.

``parse_options`` turns argv into a frozen ``DemoOptions`` or raises ``UsageError`` with a one-line
reason; ``cli.main`` prints it. The original argv is kept (recorded in ``<profile>/demo-target.json``)
so flagdeck can relaunch the target in its own demo folder with the same options:
:func:`relaunch_command`.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from flagdeck import paths
from flagdeck.demo_target.faults import FaultSet, parse_faults
from flagdeck.errors import UsageError
from flagdeck.executable import demo_target_command

DEFAULT_SEED_MESSAGES = 3000
MAX_SEED_MESSAGES = 200_000
_ENV_NAME = re.compile(r"VITE_[A-Z0-9_]+")


@dataclass(frozen=True)
class DemoOptions:
    profile_dir: Path
    debug_port: int = 0
    faults: FaultSet = field(default_factory=FaultSet)
    seed_messages: int = DEFAULT_SEED_MESSAGES
    env: dict[str, str] = field(default_factory=dict)
    show: bool | None = None  # None: visible when a display exists
    quit_after: float | None = None
    argv: tuple[str, ...] = ()
    app_dir: Path | None = None  # a build of the web app to serve (None: the shipped resources/demo)


def default_profile_dir() -> Path:
    """``<flagdeck data dir>/demo-target``: where the demo preset looks (``$FLAGDECK_DATA/demo-target``)."""
    return paths.data_dir() / "demo-target"


def has_display() -> bool:
    """Whether a windowing system is reachable (only X11/Wayland need checking)."""
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def build_parser(prog: str = "flagdeck demo-target") -> argparse.ArgumentParser:
    parser = _Parser(
        prog=prog,
        description="Run the embedded demo target: a QtWebEngine chat app that reads the "
        "featureFlags localStorage key like Cherry Studio's renderer.",
    )
    parser.add_argument("--profile-dir", type=Path, metavar="DIR",
                        help="userData-like folder (default: <flagdeck data dir>/demo-target)")
    parser.add_argument("--debug-port", type=int, default=0, metavar="N", help="DevTools port on 127.0.0.1 (0: none)")
    parser.add_argument("--fault", action="append", default=[], metavar="SPEC",
                        help="slow=F | error-rate=P | leak=MB_PER_MIN | crash-on-start[=N] | data-loss | flag-ignored")
    parser.add_argument("--seed-messages", type=int, default=DEFAULT_SEED_MESSAGES, metavar="N",
                        help="messages seeded into IndexedDB on first start (default: %(default)s)")
    parser.add_argument("--env", action="append", default=[], metavar="VITE_NAME=VALUE",
                        help="build-time env layer, e.g. VITE_USE_UNIFIED_DB_SERVICE=true")
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--show", dest="show", action="store_const", const=True, help="show the window")
    shown.add_argument("--offscreen", dest="show", action="store_const", const=False,
                       help="render offscreen (default when there is no display)")
    parser.add_argument("--quit-after", type=float, metavar="SECONDS", help="exit cleanly after SECONDS")
    parser.add_argument("--app-dir", type=Path, metavar="DIR",
                        help="serve the web app from DIR (a build holding index.html; default: the shipped one)")
    return parser


def _parse_env(items: list[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not _ENV_NAME.fullmatch(name):
            raise UsageError(f"--env {item!r}: expected VITE_NAME=VALUE (only VITE_ variables reach the page)")
        env[name] = value
    return env


def relaunch_argv(argv: tuple[str, ...] | list[str], profile_dir: Path) -> list[str]:
    """``argv`` with the profile as an absolute ``--profile-dir`` (added when it was the default),
    so the recorded command starts the same target from any working directory or environment."""
    out: list[str] = []
    items = iter(argv)
    for item in items:
        if item == "--profile-dir":
            next(items, None)
        elif not item.startswith("--profile-dir="):
            out.append(item)
    return ["--profile-dir", str(profile_dir), *out]


def parse_options(argv: list[str]) -> DemoOptions:
    """Validate argv; raise ``UsageError`` for anything wrong (``--help`` raises ``SystemExit(0)``)."""
    ns = build_parser().parse_args(argv)
    if not 0 <= ns.debug_port <= 65535:
        raise UsageError(f"--debug-port {ns.debug_port}: must be 0..65535")
    if not 0 <= ns.seed_messages <= MAX_SEED_MESSAGES:
        raise UsageError(f"--seed-messages {ns.seed_messages}: must be 0..{MAX_SEED_MESSAGES}")
    if ns.quit_after is not None and not ns.quit_after > 0:
        raise UsageError("--quit-after must be a positive number of seconds")
    if ns.show and not has_display():
        raise UsageError("--show needs a display (DISPLAY/WAYLAND_DISPLAY unset); use --offscreen or xvfb-run")
    profile = (ns.profile_dir or default_profile_dir()).expanduser().absolute()
    if profile.exists() and not profile.is_dir():
        raise UsageError(f"--profile-dir {profile}: not a folder")
    app_dir = ns.app_dir.expanduser().absolute() if ns.app_dir else None
    if app_dir is not None and not (app_dir / "index.html").is_file():
        raise UsageError(f"--app-dir {app_dir}: no index.html there (build and deploy the app first)")
    return DemoOptions(
        profile_dir=profile,
        debug_port=ns.debug_port,
        faults=parse_faults(ns.fault),
        seed_messages=ns.seed_messages,
        env=_parse_env(ns.env),
        show=ns.show,
        quit_after=ns.quit_after,
        argv=tuple(argv),
        app_dir=app_dir,
    )


def relaunch_command(profile_dir: Path) -> list[str]:
    """How flagdeck starts the demo target on ``profile_dir``: its own interpreter and module, never
    a command read from a file (a profile is data; anyone can copy one, ``demo-target.json`` included).

    In flagdeck's own demo folder (``default_profile_dir``, private to the user) the options the last
    run recorded there (faults, env layer, seed size...) are kept, once this parser accepts them;
    for any other profile the command is ``--profile-dir`` and nothing more."""
    from flagdeck.demo_target.state_file import read_state

    profile = profile_dir.expanduser().absolute()
    options = ["--profile-dir", str(profile)]
    if profile.resolve() == default_profile_dir().resolve():
        state = read_state(profile)
        argv = state.get("argv") if state else None
        if isinstance(argv, list) and all(isinstance(a, str) for a in argv):
            try:
                parse_options(list(argv))
            except (UsageError, SystemExit):  # not the demo target's options (or --help): not used
                pass
            else:
                options = relaunch_argv(argv, profile)
    return demo_target_command(*options)
