"""``history`` (list, ``--markdown`` for the runbook's table) and ``history annotate ID``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the commands run is imported when they run (cli.main)
    from flagdeck import history
    from flagdeck.cli.context import Context

# history.KINDS, spelled out so that registering the command does not load the history module
# (tests/test_cli_imports.py checks they agree).
KINDS = ("flag-write", "restore", "rollback", "compare", "verify", "evidence-export", "timed-revert")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    h = sub.add_parser("history", help="rollback history and audit log (all targets unless one is named)")
    h.add_argument("--kind", choices=KINDS, help="only this kind of entry")
    h.add_argument("--since", metavar="DURATION", help="only newer than this (30m, 24h, 7d or a date)")
    h.add_argument("--limit", type=int, metavar="N", help="at most N entries (newest)")
    h.add_argument("--markdown", action="store_true",
                   help="the runbook's Rollback History table (Date, Version, Issue, Rollback Type, Resolution)")
    h.set_defaults(func=cmd_history)
    hsub = h.add_subparsers(dest="history_cmd", metavar="annotate")
    a = hsub.add_parser("annotate", help="add the issue link, resolution or version to an entry")
    a.add_argument("id", type=int)
    a.add_argument("--issue", metavar="URL")
    a.add_argument("--resolution", metavar="TEXT")
    a.add_argument("--version", metavar="VERSION", help="the app version, when it was not known at the time")
    a.set_defaults(func=cmd_annotate)


def _target_slug(ctx: Context) -> str | None:
    a = ctx.args
    if a.target or a.user_data_dir or a.leveldb:
        return ctx.target().slug
    return None


def cmd_history(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck import history

    since = history.parse_since(args.since) if args.since else None
    kind = "rollback" if args.markdown and not args.kind else args.kind
    entries = history.query(target_slug=_target_slug(ctx), kind=kind, since=since, limit=args.limit)
    if args.markdown:
        text = history.markdown_table(entries)
        ctx.emit({"markdown": text, "entries": entries}, lambda p: p["markdown"])
        return entries
    ctx.emit(entries, render_entries)
    return entries


def render_entries(entries: list[history.HistoryEntry]) -> str:
    from flagdeck.cli.output import table
    from flagdeck.describe import short

    if not entries:
        return "no history yet"
    rows = []
    for e in entries:
        change = ""
        if e.before is not None or e.after is not None:
            change = f"{short(e.before, 36)} -> {short(e.after, 36)}"
        rows.append([str(e.id), e.time[:19].replace("T", " "), e.kind, e.target_name or "-", e.user, e.how,
                     e.outcome, e.message or change or ""])
    return table(rows, ["ID", "WHEN (UTC)", "KIND", "TARGET", "WHO", "HOW", "OUTCOME", "WHAT"])


def cmd_annotate(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck import history

    entry = history.annotate(args.id, issue=args.issue, resolution=args.resolution, version=args.version)
    ctx.emit(entry, lambda e: f"history entry {e.id} annotated: issue {e.issue or '-'}, "
                              f"resolution {e.resolution or '-'}, version {e.version or '-'}")
    return entry

