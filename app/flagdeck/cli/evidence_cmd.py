"""``evidence export`` and ``evidence verify``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flagdeck.errors import UsageError

if TYPE_CHECKING:  # what the commands run is imported when they run (cli.main)
    from flagdeck.cli.context import Context


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    ev = sub.add_parser("evidence", help="evidence bundles: export one (BagIt zip), verify one")
    esub = ev.add_subparsers(dest="evidence_cmd", required=True, metavar="export|verify")
    x = esub.add_parser("export", help="screenshots, console, network (HAR), logs, flags, history... in one zip")
    x.add_argument("--out", metavar="FILE.zip", help="where to write it (default: ./flagdeck-evidence-...zip)")
    x.add_argument("--since", metavar="DURATION", default="24h",
                   help="app log lines newer than this (30m, 24h, 7d or a date; default 24h)")
    x.add_argument("--window", metavar="SECONDS", type=float, default=3.0,
                   help="live: seconds of console and network capture (default 3)")
    x.add_argument("--no-focus", action="store_true",
                   help="live: do not bring hidden pages (background tabs) to the front for their screenshots")
    x.add_argument("--no-redact", action="store_true",
                   help="keep secrets (keys, tokens, cookies) in the bundle; the report says so first")
    x.set_defaults(func=cmd_export)
    v = esub.add_parser("verify", help="check a bundle is complete and unchanged (exit 1 names every file)")
    v.add_argument("file", metavar="FILE.zip")
    v.set_defaults(func=cmd_verify)


def cmd_export(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck import history
    from flagdeck.evidence.export import export

    if not 0 <= args.window <= 600:
        raise UsageError(f"--window {args.window:g} is out of range", hint="0 to 600 seconds")
    since = history.parse_since(args.since)
    out = Path(args.out).expanduser() if args.out else None
    if out is not None and out.is_dir():
        raise UsageError(f"--out {out} is a folder", hint="give a file name ending in .zip")
    target = ctx.target()

    last = [""]

    def progress(step: str, fraction: float) -> None:
        if step != last[0]:
            last[0] = step
            ctx.info(f"[{fraction * 100:3.0f}%] {step}")

    result = export(target, out=out, since=since, window=args.window, redact=not args.no_redact,
                    bring_to_front=not args.no_focus, progress=progress, argv=["flagdeck", *sys.argv[1:]])
    ctx.emit(result, render_export)
    return result


def render_export(r: Any) -> str:
    return "\n".join(r.summary_lines(f"evidence bundle: {r.path}",
                                     "open data/report.html inside it first; check it with: flagdeck evidence "
                                     f"verify {r.path.name}", indent="  "))


def cmd_verify(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck.evidence.bagit import BagInvalid, verify_zip

    check = verify_zip(Path(args.file).expanduser())
    if not check.ok:
        if not ctx.json:
            for line in check.detail_lines():
                print(line)
        raise BagInvalid(check)
    ctx.emit(check, lambda c: c.summary())
    return check
