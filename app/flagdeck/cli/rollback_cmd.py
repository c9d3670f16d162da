"""``rollback`` (Level 1; ``--level 2|3`` in ``levels_cmd``) and ``launch``."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from flagdeck.cli import durability, levels_cmd
from flagdeck.errors import ExitCode, NeedsConfirmation

if TYPE_CHECKING:  # what the commands run is imported when they run (cli.main)
    from flagdeck.cli.context import Context
    from flagdeck.rollback.run import RollbackResult, StepResult


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    r = sub.add_parser("rollback", help="Level 1: capture state, set the flag false, reload, verify, record "
                                        "(--level 2: code revert, --level 3: full rollback)")
    r.add_argument("--flag", metavar="NAME", help="the flag to turn off (default: the target's first boolean flag)")
    r.add_argument("--no-reload", action="store_true", help="live: write only; the page keeps the old value")
    r.add_argument("--restart", action="store_true",
                   help="close the app gracefully, write on disk, relaunch it with a debug port")
    r.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    r.add_argument("--dry-run", action="store_true", help="print the plan and change nothing")
    r.add_argument("--watch", action="store_true", help="add the memory/CPU watch to the verification")
    r.add_argument("--thorough", action="store_true", help="full verification instead of the fast pass")
    r.add_argument("--note", help="kept with the backup and the record (e.g. an incident link)")
    durability.add_options(r)
    levels_cmd.add_options(r)
    r.set_defaults(func=cmd_rollback)

    la = sub.add_parser("launch", help="start (or restart) the target app with a loopback debug port")
    la.add_argument("--port", type=int, metavar="N", help="debug port (default: the known one, else a free one)")
    la.add_argument("--restart", action="store_true", help="close a running app gracefully first")
    la.set_defaults(func=cmd_launch)


def cmd_rollback(args: argparse.Namespace, ctx: Context) -> Any:
    if levels_cmd.wants_levels(args):
        return levels_cmd.cmd_levels(args, ctx)
    from flagdeck.rollback import plan as rollback_plan
    from flagdeck.rollback.run import run

    target = ctx.target()
    plan = rollback_plan.prepare(target, flag=args.flag, reload=not args.no_reload, restart=args.restart,
                                 durable_timeout=args.durable_timeout)
    described = "\n".join(plan.describe())
    if args.dry_run:
        ctx.emit(plan, lambda _: described)
        return plan
    print(described, file=sys.stderr if ctx.json else sys.stdout)
    if not args.yes and not ctx.confirm("roll back now? [y/N] "):
        raise NeedsConfirmation("rollback not confirmed; nothing was written", hint="pass --yes to roll back")
    total = len(plan.steps)
    index = {s.id: i for i, s in enumerate(plan.steps, 1)}

    def progress(step: StepResult) -> None:
        if step.status in ("done", "failed"):
            ctx.info(f"[{index[step.id]}/{total}] {step.title}: {step.status} in {step.seconds:.2f} s"
                     + (f" ({step.detail})" if step.detail else ""))

    result = run(plan, progress=progress, watch=args.watch, thorough=args.thorough, note=args.note)
    ctx.emit(result, render_result)
    if result.error is not None:
        ctx.exit_code = result.error.exit_code
        print(f"flagdeck: rollback stopped: {result.error}", file=sys.stderr)
    elif result.outcome == "memory-only":
        ctx.exit_code = ExitCode.CHECK_FAILED
        print(f"flagdeck: rollback NOT DURABLE: {result.durability.detail if result.durability else ''}",
              file=sys.stderr)
    elif result.outcome == "failed":
        ctx.exit_code = ExitCode.CHECK_FAILED
        failed = ", ".join(r.id for r in result.verify.failed) if result.verify else ""
        print(f"flagdeck: rollback done but verification failed: {failed}", file=sys.stderr)
    return result


def render_result(r: RollbackResult) -> str:
    from flagdeck.cli.verify_cmd import render_report

    lines = [f"rollback {r.id}: {r.outcome.upper()} in {r.seconds:.2f} s ({r.plan.mode})"]
    for s in r.steps:
        lines.append(f"  {s.status:8} {s.seconds:6.2f} s  {s.title}" + (f": {s.detail}" if s.detail else ""))
    if r.verify:
        lines += ["", render_report(r.verify)]
    if r.capture and r.capture.manual:
        lines += ["", "capture by hand:"] + [f"  - {m}" for m in r.capture.manual]
    lines.append(f"record: {r.record_path}")
    return "\n".join(lines)


def cmd_launch(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck.targets import launch

    result = launch.launch_target(ctx.target(), port=args.port, restart=args.restart)
    ctx.emit(result, lambda r: f"started pid {r.pid} with debug port {r.port} "
                               f"(page loaded in {r.ready_seconds:.1f} s)")
    return result
