"""flagdeck's command line: global target options, subcommands, exit codes (the one place).

Exit codes: 0 ok, 1 a check failed, 2 bad usage/input, 3 target busy, 4 storage unreadable,
70 a bug in flagdeck (its traceback in flagdeck's log file), 130 interrupted (Ctrl-C), 141 the
reader of the output went away (a closed pipe: nothing more is printed). Errors print one line on
stderr (and a JSON error document on stdout with ``--json``); never a traceback. No Qt is imported
unless a command needs it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from flagdeck import __version__
from flagdeck.cli import crash_log, interrupts, streams
from flagdeck.errors import ExitCode, FlagdeckError

# The command groups, one ``flagdeck.cli.<name>`` module each, in the order ``--help`` lists them.
# Adding a group is one line here. A module's ``register(sub)`` adds its commands (names, options,
# help) and imports nothing it runs: its command functions import their implementation when they
# run, so ``flags set`` never loads rollback, verification, perf, evidence, alerts or Qt
# (tests/test_cli_imports.py pins it). A module object in the list counts as its name.
COMMAND_MODULES: list[str | ModuleType] = [
    "flags_cmd",
    "backup_cmd",
    "targets_cmd",
    "rollback_cmd",
    "verify_cmd",
    "demo_cmd",
    "evidence_cmd",
    "history_cmd",
    "notify_cmd",
    "perf_cmd",
    "tray_cmd",
    "fleet_cmd",
    "timers_cmd",
    "desktop_cmd",
]


def command_modules() -> list[ModuleType]:
    """The modules of :data:`COMMAND_MODULES`, imported (each once, in order)."""
    found: dict[str, ModuleType] = {}
    for entry in COMMAND_MODULES:
        # __import__, not importlib.import_module: the interpreter's own import, which -X importtime sees
        module = __import__(f"flagdeck.cli.{entry}", fromlist=["register"]) if isinstance(entry, str) else entry
        found.setdefault(module.__name__, module)
    return list(found.values())


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


# Global options that take a value: the command word is the first word that is neither one of
# these nor an option.
_VALUE_OPTIONS = ("--target", "--user-data-dir", "--leveldb", "--storage-key", "--origin", "--debug-port")


def command_word(words: Sequence[str]) -> str | None:
    """The word naming the command (as argparse will read it), None for help, version or none."""
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            return words[i + 1] if i + 1 < len(words) else None
        if not word.startswith("-") or word == "-":
            return word
        name = word.split("=", 1)[0]
        if name in ("-h", "--help", "--version"):
            return None
        takes_value = "=" not in word and name.startswith("--") and len(name) > 2 and any(
            option.startswith(name) for option in _VALUE_OPTIONS)  # argparse accepts a unique prefix
        i += 2 if takes_value else 1
    return None


def build_parser(words: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; given the command line ``words``, only the command modules up to the one that
    registers its command (what a whole parser costs is ~10 ms a process). ``parser.complete``
    says whether every command is registered (help and unknown commands need them all)."""
    p = _Parser(
        prog="flagdeck",
        description="Feature flags, Level-1 rollback and verification for Electron/Chromium apps.",
        epilog="Without target options flagdeck works on its demo target. Exit codes: 0 ok, "
        "1 check failed, 2 bad usage/input, 3 target busy, 4 storage unreadable, 70 a bug in flagdeck "
        "(traceback in its log file), 130 interrupted, 141 output pipe closed.",
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
    wanted = command_word(words) if words is not None else None
    p.complete = True  # type: ignore[attr-defined]
    modules = command_modules()
    for i, module in enumerate(modules):
        module.register(sub)
        if wanted is not None and wanted in sub.choices:
            p.complete = i == len(modules) - 1  # type: ignore[attr-defined]
            break
    return p


def _parse(words: list[str]) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    """Parse with the parser of the command named; a usage error is the whole parser's own."""
    parser = build_parser(words)
    try:
        return parser, parser.parse_args(words)
    except _UsageExit:
        if getattr(parser, "complete", True):
            raise
    parser = build_parser()
    return parser, parser.parse_args(words)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns its exit code and never raises, Ctrl-C and bugs included.

    ``argv`` None means this is the process's own command line (``python -m flagdeck``, the
    ``flagdeck`` script): then a Ctrl-C after the command ends the process at once, and a bug in a
    background thread is logged. With ``argv`` given (a caller in the same process) the previous
    Ctrl-C handler is put back afterwards.
    """
    program = argv is None
    words = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in words
    previous = interrupts.while_running()
    if program:
        _log_background_failures()
    try:
        code = _run(words, as_json)
        sys.stdout.flush()  # here, not at exit, so a closed pipe is answered like the rest
        return code
    except KeyboardInterrupt:
        return _fail("flagdeck: interrupted", ExitCode.INTERRUPTED, as_json,
                     {"kind": "interrupted", "message": "interrupted"})
    except BrokenPipeError:
        streams.silence(sys.stdout)
        return ExitCode.BROKEN_PIPE
    finally:
        interrupts.install(interrupts.exit_now if program else previous)


def _run(words: list[str], as_json: bool) -> int:
    command: str | None = None
    try:
        parser, args = _parse(words)
        if not getattr(args, "func", None):
            from flagdeck.cli.tray_cmd import display_available

            if display_available():  # plain `flagdeck` on a desktop: the tray app
                args = parser.parse_args([*words, "tray"])
            else:
                parser.print_help()
                return ExitCode.USAGE
        command = " ".join(str(c) for c in (args.command, getattr(args, "flags_cmd", None)) if c)
        from flagdeck.cli.context import Context

        ctx = Context(args)
        if args.command != "notify":
            _resume_alerts()
        from flagdeck import timers_due  # os and sys only: one listing of the timers folder

        timers_due.before_command(args, streams.say)  # overdue timed toggles fire first, and say so
        args.func(args, ctx)
        return ctx.exit_code
    except SystemExit as exc:  # --help and --version printed and "exited"
        return exc.code if isinstance(exc.code, int) else (ExitCode.OK if exc.code is None else ExitCode.USAGE)
    except _UsageExit as exc:
        return _fail(str(exc), ExitCode.USAGE, as_json, {"kind": "usage", "message": str(exc)})
    except FlagdeckError as exc:
        return _fail(f"flagdeck: {exc}", exc.exit_code, as_json, exc.as_dict())
    except BrokenPipeError:
        raise  # an OSError, but the reader went away: nothing to say (main)
    except OSError as exc:  # the disk said no where no flagdeck check did: still one line
        where = f": {exc.filename}" if exc.filename else ""
        return _fail(f"flagdeck: {exc.strerror or exc}{where}", ExitCode.UNREADABLE, as_json,
                     {"kind": "os-error", "message": f"{exc.strerror or exc}{where}"})
    except Exception as exc:  # a bug: its traceback goes to the log file, one line here
        return _internal_error(exc, command, as_json)


def _resume_alerts() -> None:
    """Alerts an earlier run could not deliver: one more try, in the background. The alert code
    loads only when the outbox holds a message (one ``scandir`` otherwise)."""
    from flagdeck import paths

    try:
        with os.scandir(paths.notify_outbox_dir()) as entries:
            if not any(e.name.endswith(".json") for e in entries):
                return
    except OSError:  # no outbox yet (the usual case), or unreadable: notify status tells
        return
    from flagdeck import notify

    notify.resume_pending()


def _internal_error(exc: BaseException, command: str | None, as_json: bool) -> int:
    what = crash_log.one_line(exc)
    try:
        where = f"the traceback is in {crash_log.record(exc, command=command)}"
        log: str | None = str(crash_log.log_path())
    except OSError as err:
        where, log = f"its traceback could not be written to flagdeck's log ({err.strerror or err})", None
    return _fail(f"flagdeck: internal error ({what}), a bug in flagdeck; {where}", ExitCode.INTERNAL, as_json,
                 {"kind": "internal", "message": what, "log": log})


def _log_background_failures() -> None:
    """A bug in a background thread (alert delivery) or in a finaliser: to the log file, not a
    traceback on the terminal."""
    import threading

    def thread_failed(hook: threading.ExceptHookArgs) -> None:
        if hook.exc_value is None or isinstance(hook.exc_value, SystemExit):
            return
        name = hook.thread.name if hook.thread else "thread"
        try:
            where = f"the traceback is in {crash_log.record(hook.exc_value, command=name, where='thread')}"
        except OSError:
            where = "its traceback could not be written to flagdeck's log"
        streams.say(f"flagdeck: internal error in background task {name} ({crash_log.one_line(hook.exc_value)}); "
                   f"{where}")

    def unraisable(hook: Any) -> None:
        if hook.exc_value is not None:
            try:
                crash_log.record(hook.exc_value, command=repr(hook.object), where="finaliser")
            except OSError:
                pass

    threading.excepthook = thread_failed
    sys.unraisablehook = unraisable


def _fail(message: str, code: int, as_json: bool, payload: dict[str, object]) -> int:
    streams.say(message)
    if as_json:
        try:
            from flagdeck.cli.output import print_json

            print_json({"ok": False, "error": {**payload, "exit_code": int(code)}})
            sys.stdout.flush()
        except OSError:
            streams.silence(sys.stdout)
    return int(code)
