"""Level 2 and Level 3, planned: the repository checked, every step and exact command decided.

No side effects: git is only asked (``--no-optional-locks``, ``ls-remote``), no file is written,
no process started; the dry run prints this plan. A repository that is not ready (uncommitted
changes, a detached HEAD where Level 2 commits its revert, a missing remote or branch) is refused
here with exit 2 and what to do, before anything happens.

Level 2 ``--to COMMIT`` reverts every commit after COMMIT (``git revert --no-edit COMMIT..HEAD``):
new commits on the same branch, the history kept, the tree as it was at COMMIT. A checkout of
COMMIT would leave a detached HEAD (or a side branch) that neither the deploy nor the next
developer builds from, so flagdeck does not do that.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flagdeck.errors import FlagdeckError, RepoNotReady, UsageError
from flagdeck.runbooks import BUDGET_SECONDS, ROLLBACK_TYPES, budget_text
from flagdeck.runbooks.commands import display, planned
from flagdeck.runbooks.config import NO_RUNBOOK, LevelCommands, RunbookConfig
from flagdeck.runbooks.git import EMPTY_TREE, Repo
from flagdeck.runbooks.model import Command, LevelPlan, Step
from flagdeck.targets import presets, process
from flagdeck.targets.resolve import Target, default_flag

BACKUP_PREFIX = "refs/flagdeck/backup"


def runbook_of(target: Target) -> RunbookConfig:
    return target.preset.runbook if target.preset and target.preset.runbook else NO_RUNBOOK


def repo_path(target: Target, repo: str | Path | None) -> Path:
    if repo is not None:
        return Path(repo).expanduser()
    configured = runbook_of(target).repo
    if configured:
        return presets.expand(configured)
    raise UsageError(f"no repository for {target.name}: its preset names none",
                     hint="give the app's source checkout with --repo DIR")


def _short(sha: str | None) -> str:
    return (sha or "")[:10]


def _ready(repo: Repo) -> None:
    dirty = repo.dirty()
    if dirty:
        shown = ", ".join(line[3:] for line in dirty[:3]) + (f" and {len(dirty) - 3} more" if len(dirty) > 3 else "")
        raise RepoNotReady(f"{repo.path} has uncommitted changes ({shown}); nothing was done",
                           hint="commit or stash them, remove untracked files; then run the rollback again")
    if repo.head() is None:
        raise RepoNotReady(f"{repo.path} has no commit yet; nothing was done")


def _git(repo: Repo, *args: str, preview: bool = False) -> Command:
    return Command(("git", *args), str(repo.path), preview=preview)


def _restart_text(target: Target, level: LevelCommands) -> tuple[str, list[str]]:
    """What the deploy step does to the app after its commands, and what is left to a person."""
    if not level.restart_app:
        return "", ["restart the app yourself once the new build is installed"]
    from flagdeck.targets import launch

    running = process.lock_holder(target.lock_file)
    try:
        spec = launch.spec_for(target, None, running=running)
    except FlagdeckError as exc:
        return "", [f"start {target.name} yourself once the new build is installed ({exc})"]
    argv = display(spec.argv[:-2] if spec.style == "demo" else spec.argv) + " (debug port chosen when it starts)"
    if running is not None:
        return (f"then restart {target.name}: close pid {running.pid} gracefully, start it again as it ran: "
                f"{argv}"), []
    return f"then start {target.name}: {argv}", []


def _commands(specs: tuple, repo: Repo) -> list[Command]:  # type: ignore[type-arg]
    return [planned(s, repo.path) for s in specs]


def _missing(what: str, level: int) -> list[str]:
    return [f"no {what} command in the preset's [runbook.level{level}]: {what} the app by hand"]


def prepare(level: int, target: Target, *, repo: str | Path | None = None, to: str | None = None,
            branch: str | None = None, remote: str | None = None) -> LevelPlan:
    """The plan of a Level-2 or Level-3 rollback of ``target`` (``UsageError``/``RepoNotReady``:
    exit 2, nothing done)."""
    if level not in (2, 3):
        raise UsageError(f"no Level {level} runbook", hint="--level 1, 2 or 3")
    r = Repo.open(repo_path(target, repo))
    _ready(r)
    if level == 2:
        if branch or remote:
            raise UsageError("--branch and --remote belong to Level 3",
                             hint="Level 2 reverts on the branch checked out")
        return _level2(target, r, to)
    if to:
        raise UsageError("--to belongs to Level 2", hint="Level 3 goes back to the main branch")
    return _level3(target, r, branch, remote)


def _capture_step() -> Step:
    return Step("capture", "Capture current state (as Level 1)",
                action="back up the app's localStorage; live: screenshot, console, metrics, data counts; "
                       "its error logs")


def _verify_step(step_id: str, title: str, target: Target, expect: dict[str, object]) -> Step:
    wanted = ", ".join(f"{k} is {str(v).lower()}" for k, v in expect.items())
    return Step(step_id, title, action="the verification checks on the running app"
                + (f" ({wanted}; " if wanted else " (") + "message loading, attachments, edit/delete, agent sessions, "
                "no data loss, error rate)")


def _alert_text() -> tuple[str, list[str]]:
    from flagdeck.notify import config

    try:
        hooks = config.load()
    except FlagdeckError as exc:
        return "", [f"tell the team yourself: the team alert settings are unreadable ({exc})"]
    if not hooks:
        return "", ["tell the team yourself: no team alert is set up (flagdeck notify setup --url URL)"]
    return f"team alert to {', '.join(h.name for h in hooks)}", []


def _level2(target: Target, r: Repo, to: str | None) -> LevelPlan:
    cfg = runbook_of(target)
    commands = cfg.level2
    branch = r.branch()
    if branch is None:
        raise RepoNotReady(f"{r.path} has a detached HEAD: Level 2 commits its revert on a branch; nothing was done",
                           hint="check out the branch that was deployed (git checkout BRANCH), then run again")
    head = r.head()
    assert head is not None
    if to:
        good = r.commit(to)
        if good is None:
            raise UsageError(f"--to {to}: no such commit in {r.path}", hint="name a commit of this branch (git log)")
        if good == head:
            raise UsageError(f"--to {to} is HEAD itself: nothing to revert")
        if not r.is_ancestor(good, head):
            raise UsageError(f"--to {to} is not in the history of {branch}: a revert can only go back along it",
                             hint="name a commit of this branch's history (git log --oneline)")
        reverted = r.commits(f"{good}..{head}")
        merges = [sha for sha, parents, _ in reverted if parents > 1]
        if merges:
            raise RepoNotReady(f"the commits after {to} include merge {_short(merges[0])}: git cannot revert a range "
                               "with merges; nothing was done",
                               hint=f"revert it by hand (git revert -m 1 {_short(merges[0])}) or name a later --to")
        revert = _git(r, "revert", "--no-edit", f"{to}..HEAD")
        title = f"Revert the {len(reverted)} commit(s) after {to} (git revert, new commits)"
    else:
        parents = (r.value("log", "-1", "--format=%P", "HEAD") or "").split()
        if not parents:
            raise UsageError(f"HEAD of {branch} is its first commit: there is nothing before it to go back to")
        if len(parents) > 1:
            raise RepoNotReady(f"HEAD of {branch} is a merge commit: git revert needs to know which side to keep; "
                               "nothing was done",
                               hint="name the last known good commit with --to COMMIT, or revert by hand "
                                    "(git revert -m 1 HEAD)")
        reverted = r.commits(f"{head}~1..{head}")
        revert = _git(r, "revert", "--no-edit", "HEAD")
        title = f"Revert {_short(head)} ({r.subject(head)}) with a new commit"
    try:
        expect: dict[str, object] = {default_flag(target): False}
    except FlagdeckError:
        expect = {}
    restart, restart_manual = _restart_text(target, commands)
    alert, alert_manual = _alert_text()
    steps = [
        _capture_step(),
        Step("revert", title, [revert], action="history is kept: the revert is a new commit", confirm="yes"),
        Step("build", "Build", _commands(commands.build, r), manual=[] if commands.build else _missing("build", 2)),
        Step("deploy", "Deploy: install the build and restart the app", _commands(commands.deploy, r),
             action=restart, confirm="yes",
             manual=list(commands.manual) + restart_manual + ([] if commands.deploy else _missing("deploy", 2))),
        _verify_step("test", "Test core functionality", target, expect),
        Step("document", "Document the issue",
             action=f"issue text (issue.md), history row \"{ROLLBACK_TYPES[2]}\", evidence bundle"),
        Step("alert", "Alert the team", action=alert, manual=alert_manual),
    ]
    steps[4].commands = _commands(commands.test, r)
    notes = []
    if process.lock_holder(target.lock_file) is None:
        notes.append(f"{target.name} is not running: the capture keeps its logs only")
    return LevelPlan(2, str(r.path), steps, branch=branch, head=head, to=to,
                     reverted=[f"{_short(sha)} {subject}" for sha, _, subject in reverted],
                     expect=expect, notes=notes, budget_seconds=BUDGET_SECONDS[2])


def _level3(target: Target, r: Repo, branch: str | None, remote: str | None) -> LevelPlan:
    cfg = runbook_of(target)
    commands = cfg.level3
    main = cfg.main_branch
    feature = branch or cfg.feature_branch
    remote = remote or cfg.remote
    if not feature:
        raise UsageError(f"no feature branch named for {target.name}", hint="name it with --branch NAME")
    if feature == main:
        raise UsageError(f"--branch {feature} is the main branch: Level 3 deletes the feature branch, never main")
    if r.local_branch(main) is None:
        raise RepoNotReady(f"{r.path} has no branch {main} to go back to; nothing was done",
                           hint="fetch it (git fetch origin main:main) or fix main_branch in the preset's [runbook]")
    if r.remote_url(remote) is None:
        raise RepoNotReady(f"{r.path} has no remote {remote!r}: the feature branch could not be deleted there; "
                           "nothing was done", hint="add it (git remote add NAME URL) or name another with --remote")
    local = r.local_branch(feature)
    far = r.remote_branch(remote, feature)
    if local is None and far is None:
        raise UsageError(f"branch {feature} exists neither in {r.path} nor on {remote}: nothing to delete",
                         hint="name the feature branch with --branch NAME")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    backup = f"{BACKUP_PREFIX}/{feature}/{stamp}"
    if not r.ask("check-ref-format", backup).ok:
        raise UsageError(f"--branch {feature}: not a branch name git can keep a backup ref of")
    zero = "0" * 40
    cmds: list[Command] = []
    if local is not None:
        cmds.append(_git(r, "log", "--oneline", "--no-decorate", f"{main}..{feature}", preview=True))
    cmds.append(_git(r, "checkout", main))
    backups: list[str] = []
    restore: list[str] = []
    if local is not None:
        cmds.append(_git(r, "update-ref", backup, local, zero))
        backups.append(backup)
        restore.append(f"git branch {feature} {backup}")
    if far is not None:
        kept = backup
        if far != local:  # the remote's tip is another commit: kept too, fetched into its own ref
            kept = backup if local is None else f"{backup}-{remote}"
            cmds.append(_git(r, "fetch", "--no-tags", remote, f"refs/heads/{feature}:{kept}"))
            backups.append(kept)
            if local is None:
                restore.append(f"git branch {feature} {kept}")
        restore.append(f"git push {remote} {kept}:refs/heads/{feature}")
    if local is not None:
        cmds.append(_git(r, "branch", "-D", feature))
    if far is not None:
        cmds.append(_git(r, "push", f"--force-with-lease=refs/heads/{feature}:{far}", remote, "--delete", feature))
    present = r.tracked(main, cfg.artifacts)
    artifact_cmds: list[Command] = []
    artifact_manual: list[str] = []
    if present:
        paths = [p.rstrip("/") for p in cfg.artifacts if r.tracked(main, (p,))]
        artifact_cmds = [
            _git(r, "diff", "--stat", "HEAD", EMPTY_TREE, "--", *paths, preview=True),
            _git(r, "rm", "-r", "-q", "--", *paths),
            _git(r, "commit", "-q", "-m", "Level 3 rollback: remove the migration artifacts",
                 "-m", "Removed by flagdeck: " + ", ".join(paths)),
        ]
    elif cfg.artifacts:
        artifact_manual = [f"none of the artifacts ({', '.join(cfg.artifacts)}) is in {main}: nothing to remove"]
    else:
        artifact_manual = ["the preset's [runbook] lists no artifacts: remove the migration's files by hand"]
    restart, restart_manual = _restart_text(target, commands)
    alert, alert_manual = _alert_text()
    steps = [
        Step("notify", "Notify stakeholders", action=alert.replace("team alert", "alert") + " that Level 3 starts"
             if alert else "", manual=alert_manual),
        Step("export", "Export critical data",
             action="evidence bundle, and the app's data: its IndexedDB databases as JSON over DevTools when it "
                    "runs with a debug port, else copies of its IndexedDB and Local Storage folders"),
        Step("branch", f"Back to {main}; delete {feature} locally and on {remote} (its tip kept first)", cmds,
             action="nothing is lost: the tip is kept under " + " and ".join(backups or [backup]),
             confirm="branch"),
        Step("artifacts", "Remove the migration artifacts as one commit (its diff shown first)", artifact_cmds,
             confirm="yes" if artifact_cmds else "none", manual=artifact_manual),
        Step("suite", "Run the full test suite", _commands(commands.test, r),
             manual=[] if commands.test else _missing("test", 3)),
        Step("build", "Build the clean version", _commands(commands.build, r),
             manual=[] if commands.build else _missing("build", 3)),
        Step("deploy", "Deploy the clean version", _commands(commands.deploy, r), action=restart, confirm="yes",
             manual=list(commands.manual) + restart_manual + ([] if commands.deploy else _missing("deploy", 3))),
        _verify_step("verify", "Verify the app", target, {}),
        Step("record", "Record the rollback and alert the team",
             action=f"history row \"{ROLLBACK_TYPES[3]}\", issue text" + (f", {alert}" if alert else ""),
             manual=[*alert_manual, f"push {main} when the clean version is confirmed (git push {remote} {main})"]),
    ]
    notes = []
    if far is None:
        notes.append(f"{feature} is not on {remote}: only the local branch is deleted")
    if local is None:
        notes.append(f"{feature} exists on {remote} only: its tip is fetched into the backup ref first")
    return LevelPlan(3, str(r.path), steps, branch=r.branch(), head=r.head(), feature_branch=feature,
                     main_branch=main, remote=remote, backup_refs=backups, restore_commands=restore,
                     artifacts=present, notes=notes, budget_seconds=BUDGET_SECONDS[3])


def describe(plan: LevelPlan, target: Target) -> list[str]:
    """The plan for a person: every step with its exact commands (the dry run prints this)."""
    lines = [f"{ROLLBACK_TYPES[plan.level]} of {target.name} in {plan.repo} (budget {budget_text(plan.level)})"]
    if plan.level == 2:
        lines.append(f"  on branch {plan.branch} at {_short(plan.head)}; reverting: "
                     + "; ".join(plan.reverted))
    else:
        lines.append(f"  feature branch {plan.feature_branch} (remote {plan.remote}), back to {plan.main_branch}")
    for i, step in enumerate(plan.steps, 1):
        ask = {"yes": " [asks first]", "branch": " [asks for the branch name]"}.get(step.confirm, "")
        lines.append(f"  {i}. {step.title}{ask}")
        for cmd in step.commands:
            extra = " (shown before the question)" if cmd.preview else ""
            if cmd.when_script:
                extra += f" (only when package.json defines {cmd.when_script})"
            lines.append(f"       $ {display(cmd.argv)}{extra}")
        if step.action:
            lines.append(f"       - {step.action}")
        lines += [f"       manual: {m}" for m in step.manual]
    if plan.restore_commands:
        lines.append("  a deleted branch comes back with: " + "; ".join(plan.restore_commands))
    lines += [f"  note: {n}" for n in plan.notes]
    return lines


def plan_with_target(plan: LevelPlan, target: Target) -> dict[str, object]:
    """The plan as a JSON document (``--dry-run --json``)."""
    return {"dry_run": True, "rollback_type": ROLLBACK_TYPES[plan.level], "target": target.to_json(),
            **plan.to_json(), "outcome": "planned"}

