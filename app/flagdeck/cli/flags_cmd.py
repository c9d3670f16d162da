"""``status`` and ``flags get|set|unset``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from flagdeck.cli import durability

if TYPE_CHECKING:  # what the commands run is imported when they run (cli.main)
    from flagdeck import flag_ops
    from flagdeck.cli.context import Context
    from flagdeck.storage.flags import FlagReport


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("status", help="target, mode, origin, stored and effective flags, warnings")
    p.set_defaults(func=cmd_status)

    flags = sub.add_parser("flags", help="read or change flags")
    fsub = flags.add_subparsers(dest="flags_cmd", required=True, metavar="get|set|unset")
    g = fsub.add_parser("get", help="effective value of one flag, or all")
    g.add_argument("name", nargs="?")
    g.set_defaults(func=cmd_get)
    s = fsub.add_parser("set", help="set flags: NAME=VALUE ... (VALUE is JSON; true/false are booleans)")
    s.add_argument("assignments", nargs="+", metavar="NAME=VALUE")
    _write_options(s)
    s.set_defaults(func=cmd_set)
    u = fsub.add_parser("unset", help="remove flags from the stored document (back to the default)")
    u.add_argument("names", nargs="+", metavar="NAME")
    _write_options(u)
    u.set_defaults(func=cmd_unset)


def _write_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", action="store_true", help="write a name/value the catalogue does not know")
    p.add_argument("--repair", action="store_true",
                   help="the stored document is not a JSON object: back up its text and start a fresh one")
    p.add_argument("--reload", action="store_true", help="live: reload the page so it reads the new flags")
    p.add_argument("--note", help="note kept with the backup taken before the write")
    p.add_argument("--for", dest="for_", metavar="DURATION",
                   help="only for a while (90s, 30m, 2h): then each flag goes back to what it was, by itself "
                        "(flagdeck timers lists and cancels)")
    durability.add_options(p)


# --- commands ------------------------------------------------------------------------------------


def cmd_status(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck import flag_ops

    result = flag_ops.status(ctx.target())
    ctx.emit(result, render_status)
    return result


def cmd_get(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck import flag_ops
    from flagdeck.errors import UsageError
    from flagdeck.storage.flags import js_repr as js
    from flagdeck.storage.flags import name_text

    result = flag_ops.status(ctx.target())
    if args.name is None:
        ctx.emit(result, render_status)
        return result
    state = result.report.flag(args.name)
    doc_values = result.report.document.values or {}
    if state is None and args.name not in doc_values:
        raise UsageError(f"{name_text(args.name)} is neither a flag of this target nor stored",
                         hint="flagdeck flags get lists them")
    value = state.effective if state else doc_values[args.name]
    payload = {"name": args.name, "value": value, "stored": args.name in doc_values,
               "enabled": state.enabled if state else None, "source": state.source if state else "localStorage",
               "known": state is not None, "mode": result.mode, "origin": result.origin}
    ctx.emit(payload, lambda p: js(p["value"]))
    return payload


def cmd_set(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck import flag_ops
    from flagdeck.cli import timers_cmd
    from flagdeck.storage.flags import parse_assignment

    assignments = [parse_assignment(a) for a in args.assignments]
    if args.for_ is not None:
        return timers_cmd.timed(args, ctx, assignments=assignments, force=args.force, reason="flags set")
    result = flag_ops.write_flags(ctx.target(), assignments=assignments, force=args.force,
                                  repair=args.repair, reload=args.reload, note=args.note,
                                  reason="flags set", durable_timeout=args.durable_timeout)
    timers_cmd.supersede(ctx, result, [name for name, _ in assignments])
    ctx.emit(result, render_write)
    durability.check(ctx, result)
    return result


def cmd_unset(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck import flag_ops
    from flagdeck.cli import timers_cmd

    if args.for_ is not None:
        return timers_cmd.timed(args, ctx, removals=args.names, reason="flags unset")
    result = flag_ops.write_flags(ctx.target(), removals=args.names, repair=args.repair, reload=args.reload,
                                  note=args.note, reason="flags unset", durable_timeout=args.durable_timeout)
    timers_cmd.supersede(ctx, result, args.names)
    ctx.emit(result, render_write)
    durability.check(ctx, result)
    return result


# --- rendering -----------------------------------------------------------------------------------


def render_flags(report: FlagReport, page: dict[str, Any] | None = None) -> str:
    from flagdeck.cli.output import table
    from flagdeck.storage.flags import js_repr as js

    rows = []
    for f in report.flags:
        stored = js(f.stored_value) if f.stored else "-"
        acts = "ON" if f.enabled else "off"
        row = [f.name, stored, js(f.effective), acts, f.source, js(f.default)]
        if page is not None:
            row.append(js(page[f.name]) if f.name in page else "?")
        rows.append(row)
    headers = ["FLAG", "STORED", "EFFECTIVE", "ACTS", "SOURCE", "DEFAULT"] + (["PAGE RUNS"] if page is not None else [])
    lines = [table(rows, headers)]
    for w in report.warnings:
        lines.append(f"warning: {w.message}")
    return "\n".join(lines)


def render_status(r: flag_ops.StatusResult) -> str:
    from flagdeck.describe import short

    t = r.target
    doc = r.report.document
    stored = "absent" if not doc.present else (doc.raw if doc.valid else f"{short(repr(doc.raw), 200)} ({doc.error})")
    lines = [
        f"target:  {t.name}",
        f"storage: {t.leveldb_dir}",
        f"mode:    {r.mode}" + (f" (debug port {t.debug_port})" if r.mode == "live" else ""),
        f"origin:  {r.origin or '-'}",
        f"{t.storage_key}: {stored}",
        "",
        render_flags(r.report, r.page_flags),
    ]
    if r.page_flags is not None:
        page = f" of {r.page_origin}" if r.page_origin != r.origin else ""  # no override stored: its only page
        lines.append(f"page runs: from {r.page_flags_source}{page} (a flag its build env turned on shows here only)")
    lines += [f"note: {n}" for n in r.notes]
    return "\n".join(lines)


def render_write(r: flag_ops.WriteResult) -> str:
    from flagdeck.describe import change_text

    lines = []
    if not r.changes:
        lines.append("no change: the stored flags already were so")
    lines += [change_text(c) for c in r.changes]
    lines.append(f"mode {r.mode}, origin {r.origin}" + (f", backup {r.backup.id}" if r.backup else ""))
    if r.reloaded:
        lines.append(f"page reloaded in {r.reload_seconds:.2f} s")
    if (d := durability.line(r.durability)) is not None:
        lines.append(d)
    for w in r.report.warnings:
        lines.append(f"warning: {w.message}")
    lines += [f"note: {n}" for n in r.notes]
    return "\n".join(lines)
