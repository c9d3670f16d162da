"""``demo`` (the main job on the embedded demo target) and ``demo-target`` (run the target itself)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from flagdeck.errors import ExitCode

if TYPE_CHECKING:  # what the commands run is imported when they run (cli.main)
    from flagdeck.cli.context import Context


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    d = sub.add_parser("demo", help="the main job on the demo target: incident, trigger board, rollback, verify")
    d.add_argument("--fault", default="data-loss", metavar="SPEC",
                   help="fault of the bad release (unified path only): data-loss (default), slow=F, "
                        "error-rate=P, leak=MB_PER_MIN, crash-on-start")
    d.add_argument("--keep-running", action="store_true", help="leave the demo target running afterwards")
    d.add_argument("--seed-messages", type=int, metavar="N", help="messages to seed on a new profile")
    d.add_argument("--headless", action="store_true",
                   help="run straight through in the terminal even when a display exists")
    d.add_argument("--level", type=int, choices=(1, 2, 3), default=1, metavar="1|2|3",
                   help="1 (default): the flag rollback; 2: a bad release whose build ignores the flag: Level 1 "
                        "fails, Level 2 reverts it in the demo's own git repository, builds, deploys and verifies; "
                        "3: the full rollback on that repository and its remote")
    d.set_defaults(func=cmd_demo)

    # Everything after `demo-target` is the demo target's own (its parser checks it, -h included).
    # No option prefix here, so argparse hands every word on as it is: REMAINDER no longer does
    # when the first one looks like an option (Python 3.13).
    t = sub.add_parser("demo-target", help="run the embedded demo target (a QtWebEngine app), see its --help",
                       usage="flagdeck demo-target [--profile-dir DIR] [--debug-port N] [--fault SPEC] ...",
                       add_help=False, prefix_chars="+")
    t.add_argument("rest", nargs="*", metavar="OPTION")
    t.set_defaults(func=cmd_demo_target)


def cmd_demo(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck.cli.tray_cmd import display_available

    if args.level in (2, 3):
        return _demo_level(args, ctx)

    if not args.headless and not ctx.json and display_available():
        return _demo_in_console(args, ctx)
    from flagdeck.demo_scenario import run_demo

    say = ctx.info

    def step(s: Any) -> None:
        if s.status in ("done", "failed"):
            say(f"  {s.status:6} {s.seconds:5.2f} s  {s.title}" + (f": {s.detail}" if s.detail else ""))

    result = run_demo(fault=args.fault, keep_running=args.keep_running, seed_messages=args.seed_messages,
                      say=say, step=step)
    ctx.emit(result, render_demo)
    if not result.ok:
        ctx.exit_code = (result.rollback.error.exit_code if result.rollback and result.rollback.error
                         else ExitCode.CHECK_FAILED)
        ctx.info("flagdeck: the demo rollback was not verified")
    return result


def _demo_in_console(args: argparse.Namespace, ctx: Context) -> Any:
    """With a display the tray and console drive the demo: the incident starts in the console, the
    trigger board and the emergency rollback are a click away."""
    from flagdeck.targets.resolve import TargetOptions
    from flagdeck.ui.app import TrayOptions, main

    ctx.info("opening the console: the demo incident starts there; roll it back from the Rollback page "
             "or the tray's Emergency rollback (--headless runs it straight through here)")
    ctx.exit_code = main(TrayOptions(target=TargetOptions(target="demo"), page="rollback", demo_fault=args.fault))
    return None


def render_demo(r: Any) -> str:
    from flagdeck.cli.rollback_cmd import render_result
    from flagdeck.cli.verify_cmd import render_board

    lines = [f"demo target started in {r.started_seconds:.1f} s with the unified path on and fault {r.fault}"]
    if r.baseline:
        lines.append(r.baseline)
    lines.append("")
    if r.board:
        lines += [render_board(r.board), ""]
    if r.rollback:
        lines += [render_result(r.rollback), ""]
    lines.append("rollback VERIFIED: the original path is back" if r.ok else "rollback NOT verified")
    lines += [f"note: {n}" for n in r.notes]
    return "\n".join(lines)


def cmd_demo_target(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck.demo_target import main as demo_main

    ctx.exit_code = demo_main(list(args.rest))
    return None


def _demo_level(args: argparse.Namespace, ctx: Context) -> Any:
    """``demo --level 2|3``: runs straight through in the terminal (the console's guided view shows
    the same run from the Rollback page)."""
    from flagdeck.cli.levels_cmd import render_result as render_level
    from flagdeck.cli.rollback_cmd import render_result as render_level1
    from flagdeck.cli.verify_cmd import render_board as render_triggers
    from flagdeck.runbooks.demo_levels import run_demo_level

    say = ctx.info

    def step(s: Any) -> None:
        if s.status in ("done", "failed"):
            say(f"  {s.status:6} {s.seconds:5.2f} s  Level 1: {s.title}" + (f": {s.detail}" if s.detail else ""))

    def progress(s: Any) -> None:
        if s.status in ("done", "failed", "declined"):
            say(f"  {s.status:8} {s.seconds:6.2f} s  {s.title}" + (f": {s.detail}" if s.detail else ""))

    def output(s: Any, line: str) -> None:
        say(f"      | {line}")

    result = run_demo_level(args.level, fault=args.fault, keep_running=args.keep_running,
                            seed_messages=args.seed_messages, say=say, step=step, progress=progress, output=output)

    def render(r: Any) -> str:
        lines = [f"demo target started in {r.started_seconds:.1f} s on release 1.1.0 of {r.repo} (fault {r.fault})", ""]
        if r.board:
            lines += [render_triggers(r.board), ""]
        if r.level1:
            lines += ["Level 1 first:", render_level1(r.level1), ""]
        if r.result:
            lines += [render_level(r.result), ""]
        word = "VERIFIED" if r.ok else "NOT verified"
        lines.append(f"Level {r.level} rollback {word}" + (": the original path is back" if r.ok else ""))
        lines += [f"note: {n}" for n in r.notes]
        return "\n".join(lines)

    ctx.emit(result, render)
    if not result.ok:
        error = result.result.error if result.result else None
        ctx.exit_code = error.exit_code if error is not None else ExitCode.CHECK_FAILED
        ctx.info(f"flagdeck: the demo's Level {args.level} rollback was not verified")
    return result
