"""flagdeck's command line: global target options, subcommands, exit codes (the one place).

Exit codes: 0 ok, 1 a check failed, 2 bad usage/input, 3 target busy, 4 storage unreadable.
Errors print one line on stderr (and a JSON error document on stdout with ``--json``); never a
traceback. No Qt is imported unless a command needs it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from flagdeck import __version__
from flagdeck.cli import (
    backup_cmd,
    demo_cmd,
    evidence_cmd,
    flags_cmd,
    history_cmd,
    notify_cmd,
    perf_cmd,
    rollback_cmd,
    targets_cmd,
    tray_cmd,
    verify_cmd,
)
from flagdeck.cli.context import Context
from flagdeck.cli.output import print_json
from flagdeck.errors import ExitCode, FlagdeckError

COMMAND_MODULES = [flags_cmd, backup_cmd, targets_cmd, rollback_cmd, verify_cmd, demo_cmd, evidence_cmd,
                   history_cmd, notify_cmd, perf_cmd, tray_cmd]


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so usage errors share the error path."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageExit(f"{self.prog}: {message}")


class _UsageExit(Exception):
    pass


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(f"not a TCP port: {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="flagdeck",
        description="Feature flags, Level-1 rollback and verification for Electron/Chromium apps.",
        epilog="Without target options flagdeck works on its demo target. Exit codes: 0 ok, "
        "1 check failed, 2 bad usage/input, 3 target busy, 4 storage unreadable.",
    )
    p.add_argument("--version", action="version", version=f"flagdeck {__version__}")
    g = p.add_argument_group("target (before the command)")
    g.add_argument("--target", metavar="NAME", help="a preset (flagdeck targets lists them)")
    g.add_argument("--user-data-dir", metavar="DIR",
                   help="Chromium user-data dir (with or without Default/) or Electron userData dir")
    g.add_argument("--leveldb", metavar="DIR", help="the 'Local Storage/leveldb' folder itself")
    g.add_argument("--storage-key", metavar="KEY", help="localStorage key holding the flags (default featureFlags)")
    g.add_argument("--origin", metavar="ORIGIN",
                   help="origin such as file:// or https://app.example (default: the one holding the key)")
    g.add_argument("--debug-port", metavar="N", type=_port,
                   help="live mode over DevTools on 127.0.0.1:N (also read from DevToolsActivePort)")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    as_json = "--json" in argv
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            if tray_cmd.display_available():  # plain `flagdeck` on a desktop: the tray app
                args = parser.parse_args([*argv, "tray"])
            else:
                parser.print_help()
                return ExitCode.USAGE
        ctx = Context(args)
        if args.command != "notify":
            from flagdeck import notify  # already imported by the rollback commands; keyring only when sending

            notify.resume_pending()  # alerts an earlier run could not deliver: one more try, in the background
        args.func(args, ctx)
        return ctx.exit_code
    except _UsageExit as exc:
        return _fail(str(exc), ExitCode.USAGE, as_json, {"kind": "usage", "message": str(exc)})
    except FlagdeckError as exc:
        return _fail(f"flagdeck: {exc}", exc.exit_code, as_json, exc.as_dict())
    except OSError as exc:  # the disk said no where no flagdeck check did: still one line
        where = f": {exc.filename}" if exc.filename else ""
        return _fail(f"flagdeck: {exc.strerror or exc}{where}", ExitCode.UNREADABLE, as_json,
                     {"kind": "os-error", "message": f"{exc.strerror or exc}{where}"})
    except KeyboardInterrupt:
        return _fail("flagdeck: interrupted", ExitCode.USAGE, as_json, {"kind": "interrupted"})
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.OK


def _fail(message: str, code: int, as_json: bool, payload: dict[str, object]) -> int:
    print(message, file=sys.stderr)
    if as_json:
        print_json({"ok": False, "error": {**payload, "exit_code": int(code)}})
    return int(code)
