"""``timers`` (list), ``timers cancel ID``, the hidden ``timers wait ID`` (the detached timer
process), and the ``--for DURATION`` of ``flags set|unset``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the commands run is imported when they run (registering loads nothing)
    from flagdeck import timers
    from flagdeck.cli.context import Context


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    t = sub.add_parser("timers", help="timed toggles (flags set NAME=VALUE --for 30m): list, cancel",
                       description="Flags set with --for go back by themselves when time is up (a detached "
                       "flagdeck process per timer, or the tray, fires them; any flagdeck command fires "
                       "overdue ones first). Lists every target's timers unless a target is named.")
    t.set_defaults(func=cmd_list)
    tsub = t.add_subparsers(dest="timers_cmd", metavar="cancel")
    c = tsub.add_parser("cancel", help="end a timer without reverting (the flag keeps its value)")
    c.add_argument("id", metavar="ID", help="the timer's id (or its first characters)")
    c.set_defaults(func=cmd_cancel)
    w = tsub.add_parser("wait", help=argparse.SUPPRESS)  # the detached timer process itself
    w.add_argument("id")
    w.set_defaults(func=cmd_wait)


def _slug(ctx: Context) -> str | None:
    """The named target's slug, or None (every target's timers)."""
    a = ctx.args
    if a.target or a.user_data_dir or a.leveldb:
        return ctx.target().slug
    return None


def cmd_list(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck import timers

    found = timers.pending(_slug(ctx))
    ctx.emit(found, render_list)
    return found


def render_list(found: list[timers.Timer]) -> str:
    from flagdeck import timers
    from flagdeck.cli.output import table

    if not found:
        return "no timers"
    rows = []
    for t in found:
        due = t.due_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        rows.append([t.id, t.flag, timers.value_text(t.present, t.value), timers.value_text(t.back_present, t.back),
                     f"{due} ({timers.remaining_text(t)})", t.target_name, timers.state_text(t)])
    return table(rows, ["ID", "FLAG", "VALUE", "BACK TO", "WHEN", "TARGET", "STATE"])


def cmd_cancel(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck import timers

    timer = timers.cancel(args.id)
    ctx.emit({"cancelled": timer}, lambda r: f"timer {timer.id} cancelled: {timer.flag} keeps "
                                             f"{timers.value_text(timer.present, timer.value)} (it was to go back to "
                                             f"{timers.value_text(timer.back_present, timer.back)})")
    return timer


def cmd_wait(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck import history, timer_process

    history.set_default_how("timer")
    ctx.exit_code = timer_process.run(args.id)
    return None


def timed(args: argparse.Namespace, ctx: Context, *, reason: str, **change: Any) -> Any:
    """``flags set|unset ... --for DURATION``: the write and its timers."""
    from flagdeck import timers
    from flagdeck.cli import durability
    from flagdeck.history import parse_duration

    result = timers.timed_write(ctx.target(), parse_duration(args.for_), repair=args.repair, reload=args.reload,
                                note=args.note, reason=reason, durable_timeout=args.durable_timeout, **change)
    ctx.emit(result, render_timed)
    durability.check(ctx, result.write)
    return result


def render_timed(r: timers.TimedWrite) -> str:
    from flagdeck import timers
    from flagdeck.cli.flags_cmd import render_write

    lines = [render_write(r.write)]
    for t in r.timers:
        due = t.due_at.astimezone().strftime("%H:%M:%S")
        who = f"timer process pid {t.pid}" if t.pid else "the tray"
        lines.append(f"timer {t.id}: {t.flag} goes back to {timers.value_text(t.back_present, t.back)} at {due} "
                     f"({timers.remaining_text(t)}; {who}; flagdeck timers cancel {t.id} keeps it)")
    lines += [f"timer {old.id} replaced (its way back is kept)" for old in r.replaced]
    lines += [f"note: {n}" for n in r.notes]
    return "\n".join(lines)


def supersede(ctx: Context, result: Any, names: list[str]) -> None:
    """A plain write of a flag that had a timer: the newer decision wins, the timer ends."""
    from flagdeck import timers

    for t in timers.supersede(result.target, names, "replaced: the flag was set again without --for"):
        ctx.info(f"flagdeck: timer {t.id} ({t.flag}) cancelled: set without --for, this value stays")

