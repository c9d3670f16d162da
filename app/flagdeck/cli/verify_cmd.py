"""``verify``, ``triggers`` and ``checklist``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from flagdeck.errors import ExitCode, UsageError

if TYPE_CHECKING:  # what the commands run is imported when they run (cli.main)
    from flagdeck.cli.context import Context
    from flagdeck.triggers import TriggerBoard
    from flagdeck.verify.result import CheckResult, VerifyReport

# verify.runner.CHECK_IDS, spelled out so that registering the commands does not load the
# verification (tests/test_cli_imports.py checks they agree).
CHECK_IDS = ("flag", "renderer", "message-load", "attachment", "edit-delete", "agent-session", "data-loss",
             "error-rate", "memory", "cpu")
STATUS_MARK = {"pass": "PASS", "fail": "FAIL", "manual": "MANUAL"}


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    v = sub.add_parser("verify", help="run the runbook's post-rollback checks (exit 1 if one fails)")
    v.add_argument("--full", action="store_true", help="watch memory for 10 minutes, bigger error-rate burst")
    v.add_argument("--window", type=float, default=3.0, metavar="S", help="memory/CPU watch window (default 3 s)")
    v.add_argument("--no-watch", action="store_true", help="skip the memory and CPU watch")
    v.add_argument("--only", metavar="IDS", help=f"comma-separated check ids: {', '.join(CHECK_IDS)}")
    v.add_argument("--expect", nargs="*", default=[], metavar="NAME=VALUE", help="flag values the app must run with")
    v.set_defaults(func=cmd_verify)

    t = sub.add_parser("triggers", help="classify current signals into the runbook's rollback triggers",
                       description="Verify the running app and measure its performance triggers: the flag's path "
                       "against the saved baseline of the original path when one exists (compare --baseline "
                       "save measures one; the demo saves one when it starts), else an early-stopping "
                       "comparison of the flag on vs off. The board says which it used. Exit 1 on a critical "
                       "or major trigger.")
    t.add_argument("--quick", action="store_true",
                   help="skip the performance measurement (it reloads the app for a few seconds to a minute)")
    t.set_defaults(func=cmd_triggers)

    c = sub.add_parser("checklist", help="the runbook's checklist items a person answers")
    csub = c.add_subparsers(dest="checklist_cmd", metavar="list|mark|reset")
    csub.add_parser("list", help="every item and its answer").set_defaults(func=cmd_checklist)
    m = csub.add_parser("mark", help="answer an item")
    m.add_argument("item")
    m.add_argument("answer", choices=["pass", "fail", "n/a", "open"])
    m.add_argument("--note")
    m.set_defaults(func=cmd_mark)
    csub.add_parser("reset", help="forget every answer").set_defaults(func=cmd_reset)
    c.set_defaults(func=cmd_checklist)


def _progress(ctx: Context) -> Any:
    def show(check_id: str, result: CheckResult | None) -> None:
        if result is not None:
            ctx.info(f"  {STATUS_MARK[result.status]:6} {check_id:14} {result.detail}")
    return show


def cmd_verify(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck.storage.flags import parse_assignment
    from flagdeck.verify.runner import verify

    only = tuple(x.strip() for x in args.only.split(",")) if args.only else None
    if only:
        unknown = [x for x in only if x not in CHECK_IDS]
        if unknown:
            raise UsageError(f"unknown check(s): {', '.join(unknown)}", hint=f"known: {', '.join(CHECK_IDS)}")
    expect = dict(parse_assignment(a) for a in args.expect)
    if not ctx.json:
        ctx.info(f"verifying {ctx.target().name}...")
    report = verify(ctx.target(), expect=expect, full=args.full, window=args.window, only=only,
                    watch=not args.no_watch, progress=None if ctx.json else _progress(ctx))
    ctx.emit(report, render_report)
    fail_if(ctx, report)
    return report


def fail_if(ctx: Context, report: VerifyReport) -> None:
    if report.failed:
        ctx.exit_code = ExitCode.CHECK_FAILED
        ctx.info(f"flagdeck: check failed: {', '.join(r.id for r in report.failed)}")


def render_report(r: VerifyReport) -> str:
    from flagdeck.cli.output import table

    rows = []
    for c in r.results:
        figure = f"{c.figure:g} {c.unit}".strip() if c.figure is not None else ""
        rows.append([STATUS_MARK[c.status], c.id, figure, c.limit, c.detail if c.status != "manual"
                     else f"{c.detail}; {c.instruction}"])
    lines = [f"{r.target} ({r.mode}), {r.seconds:.1f} s", table(rows, ["", "CHECK", "FIGURE", "LIMIT", "DETAIL"])]
    open_items = [i for i in r.manual_items if i["answer"] == "open"]
    if open_items:
        lines.append(f"{len(open_items)} checklist item(s) for a person: flagdeck checklist")
    verdict = "FAILED: " + ", ".join(c.id for c in r.failed) if r.failed else (
        f"OK ({len(r.manual)} check(s) need a person)" if r.manual else "OK")
    lines.append(verdict)
    return "\n".join(lines)


def cmd_triggers(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck.triggers import check

    target = ctx.target()
    if not args.quick:
        ctx.info(f"checking the triggers of {target.name}: verification, then performance (--quick skips it)...")
    board = check(target, quick=args.quick, progress=_perf_progress(ctx))
    ctx.emit(board, render_board)
    if board.worst in ("critical", "major"):
        ctx.exit_code = ExitCode.CHECK_FAILED
    return board


def _perf_progress(ctx: Context) -> Any:
    from flagdeck.perf import report

    def show(event: Any) -> None:
        if event.look is not None:
            ctx.info("  performance: " + report.look_line(event.look).strip())
    return show


def render_board(b: TriggerBoard) -> str:
    flags = ", ".join(f"{k}={'unknown' if v is None else 'on' if v else 'off'}" for k, v in b.flag_state.items())
    lines = [f"trigger board: {b.target} ({flags})"]
    if not b.triggers:
        lines.append("  no trigger fired")
    for t in b.triggers:
        lines.append(f"  {t.severity.upper():8} {t.runbook}: {t.observed}")
    if b.perf is not None:
        lines.append(f"  performance: {b.perf.detail}")
    if b.not_checked:
        lines.append(f"  not measurable here (check by hand): {', '.join(b.not_checked)}")
    lines.append(b.recommendation)
    return "\n".join(lines)


def cmd_checklist(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck.cli.output import table
    from flagdeck.verify import checklist

    rows = checklist.view(ctx.target().slug)
    ctx.emit(rows, lambda rs: table([[r["phase"], r["id"], r["answer"], r["text"], r["note"] or ""] for r in rs],
                                    ["PHASE", "ITEM", "ANSWER", "TEXT", "NOTE"]))
    return rows


def cmd_mark(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck.verify import checklist

    saved = checklist.mark(ctx.target().slug, args.item, args.answer, args.note)
    ctx.emit({"item": args.item, **saved}, lambda s: f"{s['item']}: {s['answer']}")
    return saved


def cmd_reset(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck.verify import checklist

    checklist.reset(ctx.target().slug)
    ctx.emit({"reset": True}, lambda _: "checklist answers cleared")
    return None
