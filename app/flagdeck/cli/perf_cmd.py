"""``compare``: flag on vs off on the running app, with a confidence interval and the runbook's tier.

Exit code 1 when the headline metric is a critical or major degradation (as ``triggers``), so a
script can gate on it; the JSON and the saved comparison carry the details either way.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flagdeck.errors import ExitCode, StorageUnreadable

if TYPE_CHECKING:  # what the command runs is imported when it runs (cli.main)
    from flagdeck.cli.context import Context
    from flagdeck.perf.result import CompareResult
    from flagdeck.perf.runner import RunEvent

# perf.workload's DEMO_REPEAT and PROBE_REPEAT and perf.sequential's MIN_PAIRS and MAX_PAIRS, spelled out so
# that registering the command does not load perf/ (tests/test_cli_imports.py checks they agree).
DEMO_REPEAT, PROBE_REPEAT = 30, 1
MIN_PAIRS, MAX_PAIRS = 3, 20


def runs_option(text: str) -> int | str:
    """``--runs``: ``auto`` or a number of pairs."""
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not auto or a number of pairs: {text!r}") from None


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    c = sub.add_parser("compare", help="performance with a flag on vs off (live A/B runs, 95%% CI, runbook tier)",
                       description="Alternate flag on/off page loads on the running app (a warm-up pair, then "
                       "pairs in random order), measure a workload, and classify the headline metric's "
                       "degradation by its confidence interval: > 50% critical, > 20% major, > 0 minor. By "
                       "default it stops as soon as the interval decides the tier (each look's interval is "
                       "stricter, so stopping early raises no false alarms); --runs N measures N pairs. "
                       "The flag is put back (and the page reloaded) whatever happens.")
    c.add_argument("--runs", type=runs_option, default="auto", metavar="auto|N",
                   help=f"auto (default): stop once the tier is decided, {MIN_PAIRS} to {MAX_PAIRS} pairs; "
                   "N: exactly N measured pairs (95%% bootstrap interval)")
    c.add_argument("--flag", metavar="NAME", help="boolean flag to compare (default: the target's one boolean flag)")
    c.add_argument("--probe", metavar="FILE.js",
                   help="workload: a JS expression or async function body returning {name: ms, ...} "
                   "(default: the demo target's workload, else the page load only)")
    c.add_argument("--repeat", type=int, metavar="K",
                   help=f"workload calls per run, each metric's best kept (demo {DEMO_REPEAT}, probe {PROBE_REPEAT})")
    c.add_argument("--metric", metavar="NAME", help="headline metric (default workload.total, or nav.load)")
    c.add_argument("--baseline", metavar="save|save=NAME|NAME",
                   help="save the off side as a baseline (named by date by default), or compare the on side "
                   "against a saved one")
    c.add_argument("--csv", metavar="FILE", help="write every run's values as CSV")
    c.add_argument("--chart", metavar="FILE.png", help="where to draw the chart (default: beside the saved result)")
    c.add_argument("--no-chart", action="store_true", help="draw no chart")
    c.add_argument("--seed", type=int, metavar="N", help="seed for the run order and the bootstrap (reproducible)")
    c.set_defaults(func=cmd_compare)


def _progress(ctx: Context) -> Any:
    from flagdeck.perf import report

    def show(event: RunEvent) -> None:
        if event.sample is not None:
            ctx.info(report.progress_line(event.step, event.total, event.sample, event.headline, auto=event.auto))
        if event.look is not None:
            ctx.info(report.look_line(event.look))
    return show


def cmd_compare(args: argparse.Namespace, ctx: Context) -> CompareResult:
    from flagdeck.perf import report
    from flagdeck.perf.runner import compare
    from flagdeck.perf.workload import read_probe

    target = ctx.target()
    probe = read_probe(Path(args.probe)) if args.probe else None
    against = args.baseline is not None and not args.baseline.startswith("save")
    how = ("until the tier is decided" if args.runs == "auto" else f"{args.runs} pairs") if not against else (
        "against the saved baseline")
    ctx.info(f"comparing on {target.name}, {how} (Ctrl-C stops and puts the flag back)...")
    result = compare(target, runs=args.runs, flag=args.flag, probe_js=probe,
                     probe_name=Path(args.probe).name if args.probe else "probe", repeat=args.repeat,
                     metric=args.metric, baseline=args.baseline, seed=args.seed,
                     progress=_progress(ctx))
    extra: dict[str, str | None] = {"chart": None, "csv": None}
    if args.csv:
        extra["csv"] = str(report.write_csv(result, Path(args.csv)))
    if not args.no_chart and result.metrics:
        extra["chart"] = _chart(ctx, result, args.chart)
    ctx.emit({**result.to_json(), **extra}, lambda _: _render(result, extra))
    if result.severity in ("critical", "major") and result.head is not None:
        ctx.exit_code = ExitCode.CHECK_FAILED
        ctx.info(f"flagdeck: {result.headline}: {result.head.verdict.summary}")
    return result


def _chart(ctx: Context, result: CompareResult, where: str | None) -> str | None:
    """Draw the chart (Qt is imported here only). A default chart that cannot be drawn is a
    note; one asked for with ``--chart`` is an error."""
    if where is None and result.saved_path is None:
        return None
    path = Path(where) if where else Path(result.saved_path or "").with_suffix(".png")
    try:
        from flagdeck.perf import charts

        return str(charts.write_png(result.to_json(), path))
    except (ImportError, OSError, RuntimeError) as exc:
        if where is not None:
            raise StorageUnreadable(f"cannot draw the chart {path}: {exc}") from None
        ctx.info(f"note: no chart drawn ({exc})")
        return None


def _render(result: CompareResult, extra: dict[str, str | None]) -> str:
    from flagdeck.perf import report

    text = report.render(result)
    for name, path in extra.items():
        if path:
            text += f"\n{name}: {path}"
    return text
