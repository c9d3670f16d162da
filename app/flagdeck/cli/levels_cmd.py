"""``rollback --level 2|3`` (and ``--resume ID``): the plan, the questions, the streamed run.

Registering the options imports nothing but argparse and the level names; the runbooks package
loads when a Level-2/3 command runs."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from flagdeck.errors import ExitCode, NeedsConfirmation, UsageError
from flagdeck.runbooks import ROLLBACK_TYPES, budget_text

if TYPE_CHECKING:  # registering the options loads nothing more; running the command does
    from flagdeck.cli.context import Context
    from flagdeck.runbooks import run as levels_run
    from flagdeck.runbooks.model import LevelPlan, Step

LEVEL1_ONLY = ("flag", "no_reload", "restart", "watch", "thorough")
LEVELS_ONLY = ("repo", "to", "branch", "remote", "resume")


def add_options(r: argparse.ArgumentParser) -> None:
    g = r.add_argument_group("Level 2 (code revert) and Level 3 (full rollback)")
    g.add_argument("--level", type=int, choices=(1, 2, 3), metavar="1|2|3",
                   help="1 (default): the flag; 2: revert the release, build, deploy, verify (< 5 min); "
                        "3: back to main, delete the feature branch, remove the migration artifacts, test, deploy "
                        "(30 min). Each step is shown first; destructive ones ask (--yes: do not ask)")
    g.add_argument("--repo", metavar="DIR", help="the app's source checkout (default: the preset's [runbook] repo)")
    g.add_argument("--to", metavar="COMMIT",
                   help="Level 2: the last known good commit; every commit after it is reverted "
                        "(git revert --no-edit COMMIT..HEAD: new commits on the same branch, history kept, the tree "
                        "as at COMMIT). Not a checkout: that would leave a detached HEAD nobody deploys from. "
                        "Default: revert HEAD only (git revert --no-edit HEAD)")
    g.add_argument("--branch", metavar="NAME", help="Level 3: the feature branch to delete (default: the preset's)")
    g.add_argument("--remote", metavar="NAME", help="Level 3: the remote to delete it on (default: origin)")
    g.add_argument("--resume", metavar="ID", help="Level 2/3: carry on a run that stopped (after a fix)")


def wants_levels(args: argparse.Namespace) -> bool:
    """Whether this is a Level-2/3 command line (checks that its options are not mixed up)."""
    level = args.level or 1
    if args.resume:
        level = args.level or 0
    if level in (2, 3) or args.resume:
        mixed = [f"--{o.replace('_', '-')}" for o in LEVEL1_ONLY if getattr(args, o, None)]
        if mixed:
            raise UsageError(f"{', '.join(mixed)}: Level 1 options, not for --level {args.level or '2/3'}")
        if args.resume and args.dry_run:
            raise UsageError("--resume carries on a run; --dry-run plans a new one: not both")
        return True
    mixed = [f"--{o}" for o in LEVELS_ONLY if getattr(args, o, None)]
    if mixed:
        raise UsageError(f"{', '.join(mixed)}: Level 2/3 options", hint="add --level 2 or --level 3")
    return False


def _interactive() -> bool:
    stdin = sys.stdin
    try:
        return stdin is not None and not stdin.closed and stdin.isatty()
    except (OSError, ValueError):
        return False


def _ask(ctx: Context, question: str) -> str | None:
    """A line typed on the terminal (None when nobody can answer)."""
    if not _interactive():
        return None
    out = sys.stderr if ctx.json else sys.stdout
    try:
        out.write(question)
        out.flush()
        answer = sys.stdin.readline()
    except (OSError, ValueError):
        return None
    if not answer.endswith("\n"):
        ctx.info("")
        return None
    return answer.strip()


def confirmer(ctx: Context, yes: bool) -> levels_run.Confirmer:
    def confirm(step: Step, plan: LevelPlan) -> bool:
        if yes:
            return True
        number = f"[{plan.steps.index(step) + 1}/{len(plan.steps)}]"
        if step.confirm == "branch":
            name = plan.feature_branch or ""
            typed = _ask(ctx, f"{number} {step.title}\n  type the branch name ({name}) to delete it: ")
            if typed != name:
                ctx.info(f"  {'not the branch name' if typed else 'no answer'}: nothing deleted")
                return False
            return True
        return ctx.confirm(f"{number} {step.title}: go ahead? [y/N] ")
    return confirm


def _reporters(ctx: Context, plan: LevelPlan) -> tuple[levels_run.Progress, levels_run.Output]:
    ids = [s.id for s in plan.steps]
    budget = budget_text(plan.level)

    def progress(step: Step) -> None:
        number = f"[{ids.index(step.id) + 1}/{len(ids)}]" if step.id in ids else ""
        if step.status == "running":
            ctx.info(f"{number} {step.title}...")
        elif step.status in ("done", "failed", "declined"):
            ctx.info(f"{number} {step.title}: {step.status} in {step.seconds:.2f} s "
                     f"({step.elapsed:.1f} s of {budget})" + (f": {step.detail}" if step.detail else ""))

    def output(step: Step, line: str) -> None:
        ctx.info(f"    | {line}")

    return progress, output


def cmd_levels(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck.runbooks import plan as levels_plan
    from flagdeck.runbooks import run as levels_run
    from flagdeck.runbooks.model import LevelPlan

    target = ctx.target()
    confirm = confirmer(ctx, args.yes)
    if args.resume:
        data = levels_run.load(args.resume)
        if args.level and data.get("level") != args.level:
            raise UsageError(f"rollback {args.resume} is Level {data.get('level')}, not Level {args.level}")
        if data.get("level") not in (2, 3):
            raise UsageError(f"rollback {args.resume} is a Level-1 rollback: only Level 2 and 3 runs are resumed",
                             hint="run flagdeck rollback again")
        plan = LevelPlan.from_json({**data["plan"], "steps": data["steps"]})
        _need_answers(args, plan)
        ctx.info(f"resuming {ROLLBACK_TYPES[plan.level]} {args.resume} from "
                 f"{next((s.title for s in plan.steps if s.status not in ('done', 'skipped')), 'its end')}")
        progress, output = _reporters(ctx, plan)
        result = levels_run.resume(args.resume, target, confirm=confirm, progress=progress, output=output,
                                   note=args.note)
    else:
        plan = levels_plan.prepare(args.level, target, repo=args.repo, to=args.to, branch=args.branch,
                                   remote=args.remote)
        described = "\n".join(levels_plan.describe(plan, target))
        if args.dry_run:
            ctx.emit(levels_plan.plan_with_target(plan, target), lambda _: described + "\n(dry run: nothing done)")
            return plan
        print(described, file=sys.stderr if ctx.json else sys.stdout)
        _need_answers(args, plan)
        progress, output = _reporters(ctx, plan)
        result = levels_run.start(plan, target, confirm=confirm, progress=progress, output=output, note=args.note)
    ctx.emit(result, render_result)
    _exit(ctx, result)
    return result


def _need_answers(args: argparse.Namespace, plan: LevelPlan) -> None:
    asks = [s for s in plan.steps if s.destructive and s.status not in ("done", "skipped")]
    if asks and not args.yes and not _interactive():
        raise NeedsConfirmation(
            f"{ROLLBACK_TYPES[plan.level]} asks before {len(asks)} step(s) and nobody can answer (stdin is not a "
            "terminal); nothing was done", hint="pass --yes to run it unattended, or --dry-run to see the plan")


def _exit(ctx: Context, result: levels_run.LevelResult) -> None:
    name = ROLLBACK_TYPES[result.level]
    stopped = result.stopped_at
    if result.outcome in ("failed", "stopped"):
        error = result.error
        ctx.exit_code = error.exit_code if error is not None else ExitCode.CHECK_FAILED
        where = f" at {stopped.title}" if stopped else ""
        print(f"flagdeck: {name} stopped{where}: {error}; resume with: flagdeck rollback --resume {result.id}",
              file=sys.stderr)
    elif result.outcome == "unverified":
        ctx.info(f"flagdeck: {name} done, but the app could not be verified live: check it by hand")


def render_result(r: levels_run.LevelResult) -> str:
    from flagdeck.cli.verify_cmd import render_report
    from flagdeck.runbooks.commands import display

    plan = r.plan
    lines = [f"{ROLLBACK_TYPES[r.level]} {r.id}: {r.outcome.upper()} in {r.seconds:.1f} s "
             f"(budget {budget_text(r.level)}{', OVER' if r.over_budget else ''}), repository {plan.repo}"]
    for i, s in enumerate(plan.steps, 1):
        lines.append(f"  {i}. {s.status:8} {s.seconds:7.2f} s  {s.title}" + (f": {s.detail}" if s.detail else ""))
        for c in s.commands:
            code = "skipped" if c.status == "skipped" else (f"exit {c.exit_code}" if c.exit_code is not None
                                                              else "not run")
            lines.append(f"       $ {display(c.argv)}  ({code}, {c.seconds:.2f} s)")
    if r.level == 2:
        lines.append(f"HEAD: {(plan.head or '')[:10]} -> {(r.head or '')[:10]} on {plan.branch}")
    if plan.backup_refs and (step := plan.step("branch")) is not None and step.status == "done":
        lines.append(f"deleted branch {plan.feature_branch} kept as {', '.join(plan.backup_refs)}")
        lines.append("bring it back with: " + "; ".join(plan.restore_commands))
    if r.verify is not None:
        lines += ["", render_report(r.verify)]
    manual = list(dict.fromkeys(r.manual + [m for s in plan.steps for m in s.manual]))
    if manual:
        lines += ["", "left to a person:"] + [f"  - {m}" for m in manual]
    lines += [f"note: {n}" for n in r.notes]
    if r.bundle:
        lines.append(f"evidence: {r.bundle}")
    lines.append(f"record: {r.record_path}")
    if r.outcome in ("failed", "stopped"):
        lines.append(f"resume after a fix: flagdeck rollback --resume {r.id}")
    return "\n".join(lines)
