"""``backup``, ``backups``, ``diff ID``, ``restore ID``."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from flagdeck.cli import durability

if TYPE_CHECKING:  # what the commands run is imported when they run (cli.main)
    from flagdeck import flag_ops
    from flagdeck.backups import Backup
    from flagdeck.cli.context import Context


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    b = sub.add_parser("backup", help="back up the origin's localStorage (and the LevelDB folder offline)")
    b.add_argument("--note", help="a note to keep with it")
    b.set_defaults(func=cmd_backup)

    ls = sub.add_parser("backups", help="list backups of the target")
    ls.add_argument("--all", action="store_true", help="backups of every target")
    ls.set_defaults(func=cmd_backups)

    d = sub.add_parser("diff", help="what changed since a backup (flags, and names of other entries)")
    d.add_argument("id", help="backup id, a unique prefix of it, or 'latest'")
    d.set_defaults(func=cmd_diff)

    r = sub.add_parser("restore", help="put a backup back (shows the diff first)")
    r.add_argument("id", help="backup id, a unique prefix of it, or 'latest'")
    r.add_argument("--scope", choices=["flags", "entries", "folder"], default="flags",
                   help="flags: the flag key (default); entries: every entry of the origin; "
                        "folder: the whole LevelDB as copied (offline)")
    r.add_argument("--yes", "-y", action="store_true", help="do not ask")
    r.add_argument("--reload", action="store_true", help="live: reload the page so it reads the restored flags")
    durability.add_options(r)
    r.set_defaults(func=cmd_restore)


def cmd_backup(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck import flag_ops

    backup = flag_ops.take_backup(ctx.target(), note=args.note)
    ctx.emit(backup, lambda b: f"backup {b.id} ({b.mode}, origin {b.origin}, {b.entry_count} entries"
                               f"{', folder copy' if b.folder_copy else ''}) in {b.path}")
    return backup


def cmd_backups(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck.backups import BackupStore

    store = BackupStore()
    backups = store.listing(None if args.all else ctx.target().slug)  # damaged ones too, marked
    ctx.emit(backups, render_backups)
    return backups


def _cell(text: str | None, width: int) -> str:
    """A table cell on one line: line breaks and tabs shown as escapes."""
    from flagdeck.describe import short

    return short(text, width).replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")


def render_backups(backups: list[Backup]) -> str:
    from flagdeck.backups import DAMAGED_RETENTION
    from flagdeck.cli.output import table

    if not backups:
        return "no backups yet"
    usable = [b for b in backups if not b.damaged]
    damaged = [b for b in backups if b.damaged]
    lines = []
    if usable:
        rows = [[b.id, b.created[:19].replace("T", " "), b.mode, b.reason, b.origin,
                 _cell(b.flag_value, 40), "yes" if b.folder_copy else "no", _cell(b.note or "", 40)]
                for b in usable]
        lines.append(table(rows, ["ID", "CREATED", "MODE", "REASON", "ORIGIN", "FLAGS", "FOLDER", "NOTE"]))
    if damaged:
        lines += ["" if usable else "no usable backups", f"DAMAGED ({len(damaged)}): {DAMAGED_RETENTION}"]
        lines += [f"  {b.id}  {b.path}: {b.damaged}" for b in damaged]
    return "\n".join(lines)


def cmd_diff(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck import flag_ops

    result = flag_ops.diff_backup(ctx.target(), args.id)
    ctx.emit(result, render_diff)
    return result


def render_diff(d: flag_ops.DiffResult) -> str:
    from flagdeck.describe import diff_text

    return diff_text(d)


def cmd_restore(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck import flag_ops

    def confirm(diff: flag_ops.DiffResult) -> bool:
        print(render_diff(diff), file=sys.stderr if ctx.json else sys.stdout)
        return bool(args.yes) or ctx.confirm(f"restore {args.scope} from backup {diff.backup.id}? [y/N] ")

    result = flag_ops.restore_backup(ctx.target(), args.id, scope=args.scope, confirm=confirm,
                                     reload=args.reload, durable_timeout=args.durable_timeout)
    ctx.emit(result, lambda r: "\n".join(
        [f"restored {r.scope} from backup {r.restored_from.id} ({r.mode}); the state before is in backup "
         f"{r.safety_backup.id if r.safety_backup else '-'}",
         *([line] if (line := durability.line(r.durability)) else []), *[f"note: {n}" for n in r.notes]]))
    durability.check(ctx, result)
    return result
