"""What flagdeck itself does in a Level-2/3 step, beside the preset's commands: capture, export,
restart, verify, document, alert. Each returns the step's detail line; a failure raises."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from flagdeck import flag_ops, history, notify, paths
from flagdeck.errors import CheckFailed, FlagdeckError
from flagdeck.private_files import write_bytes
from flagdeck.probe.page import PageProbe
from flagdeck.rollback.capture import Capture, capture
from flagdeck.runbooks import ROLLBACK_TYPES
from flagdeck.runbooks.model import LevelPlan, Step
from flagdeck.targets import launch, process
from flagdeck.targets.resolve import Target
from flagdeck.verify.context import Baseline
from flagdeck.verify.result import VerifyReport

log = logging.getLogger("flagdeck.runbooks")

CORE_CHECKS = ("message-load", "attachment", "edit-delete", "agent-session")


@dataclass
class Work:
    """What the steps of one run share: the target as it is now (a restart gives it a new debug
    port), the record folder and what earlier steps found."""

    plan: LevelPlan
    target: Target
    folder: Path
    rollback_id: str
    note: str | None = None
    baseline: Baseline | None = None
    capture: Capture | None = None
    verify: VerifyReport | None = None
    version: str | None = None
    bundle: str | None = None
    manual: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@contextlib.contextmanager
def _live_page(target: Target) -> Any:
    """A page of the app's origin over DevTools, or None (closed, no debug port, no page)."""
    from flagdeck.storage.live_store import connect_live

    if target.debug_port is None or process.lock_holder(target.lock_file) is None:
        yield None, None
        return
    try:
        live = connect_live(target.debug_port, leveldb_dir=target.leveldb_dir, process_names=target.process_names)
    except FlagdeckError as exc:
        log.info("no live page: %s", exc)
        yield None, None
        return
    try:
        origin = target.origin or next(iter(live.page_origins()), None)
        page = PageProbe(live.page_session(origin), origin) if origin else None
        yield live, page
    except FlagdeckError as exc:
        log.info("no live page: %s", exc)
        yield live, None
    finally:
        with contextlib.suppress(Exception):
            live.close()


def capture_state(w: Work) -> str:
    """Level 1's capture (screenshot, console, metrics, data counts, logs) and a backup of the
    app's localStorage."""
    parts = []
    try:
        backup = flag_ops.take_backup(w.target, note=w.note or f"before {ROLLBACK_TYPES[w.plan.level]} {w.rollback_id}")
        parts.append(f"backup {backup.id}")
    except FlagdeckError as exc:
        w.manual.append(f"localStorage backup: flagdeck could not take it ({exc}); back it up by hand")
    with _live_page(w.target) as (live, page):
        w.version = history.target_version(w.target, live)
        cap = capture(w.target, w.folder / "capture", page)
    w.capture, w.baseline = cap, cap.baseline
    w.manual += cap.manual
    parts.append(", ".join(sorted(cap.files)) or "nothing live")
    text = "; ".join(parts)
    return f"{text}; {len(cap.manual)} item(s) to capture by hand" if cap.manual else text


def restart_app(w: Work, step: Step) -> str:
    """After the deploy commands: restart the app (or start it) with a loopback debug port, so the
    new build runs and can be verified."""
    if not step.action:
        return "the app was not restarted (see the manual items)"
    running = process.lock_holder(w.target.lock_file)
    result = launch.launch_target(w.target, restart=running is not None)
    w.target = replace(w.target, debug_port=result.port, debug_port_explicit=True)
    how = f"restarted (closed in {result.closed_seconds:.1f} s)" if result.restarted else "started"
    return f"{w.target.name} {how}: pid {result.pid}, debug port {result.port}, ready in {result.ready_seconds:.1f} s"


def verify_app(w: Work) -> str:
    from flagdeck.verify.runner import verify

    report = verify(w.target, expect=w.plan.expect, baseline=w.baseline, fast=True, watch=False)
    w.verify = report
    counts = {s: sum(1 for r in report.results if r.status == s) for s in ("pass", "fail", "manual")}
    text = f"{counts['pass']} passed, {counts['fail']} failed, {counts['manual']} manual"
    if report.failed:
        raise CheckFailed(f"verification failed: {', '.join(r.id for r in report.failed)} ({text})")
    return text + ("" if verified(w) else " (the app could not be checked live: verify it by hand)")


def verified(w: Work) -> bool:
    """The checks passed on the running app: none failed, the core ones (and the flag, when one is
    expected) passed, not just left to a person."""
    report = w.verify
    if report is None or report.failed:
        return False
    wanted = CORE_CHECKS + (("flag",) if w.plan.expect else ())
    return all((r := report.result(c)) is not None and r.status == "pass" for c in wanted)


def export_data(w: Work) -> str:
    """Level 3: an evidence bundle plus the app's data."""
    from flagdeck.runbooks import export_data as data

    parts = [bundle(w)]
    dest = w.folder / "app-data"
    with _live_page(w.target) as (_live, page):
        if page is not None:
            dest.mkdir(mode=0o700, exist_ok=True)
            counts = data.dump_live(page, dest / "indexeddb.json")
            parts.append("IndexedDB as JSON over DevTools: "
                         + (", ".join(f"{k} ({v} records)" for k, v in counts.items()) or "no database"))
        else:
            copied, notes = data.copy_folders(w.target, dest)
            w.notes += notes
            parts.append(f"copied: {', '.join(copied) or 'nothing'}")
    return "; ".join(parts)


def bundle(w: Work) -> str:
    from flagdeck.evidence import export

    result = export.export(w.target, out=paths.sub_dir("evidence") / f"{w.rollback_id}-level{w.plan.level}.zip",
                           window=0.25, argv=["flagdeck", "rollback", "--level", str(w.plan.level)])
    w.bundle = str(result.path)
    return f"evidence bundle {result.path}"


def issue_text(w: Work, outcome: str, head: str | None) -> str:
    """The issue a person files for the investigation (``issue.md`` in the record folder)."""
    p = w.plan
    lines = [f"# {ROLLBACK_TYPES[p.level]} of {w.target.name}: {outcome}", "",
             f"- rollback: {w.rollback_id} (flagdeck history, record {w.folder / 'record.json'})",
             f"- repository: {p.repo}"]
    if p.level == 2:
        lines += [f"- branch: {p.branch}, HEAD before: {p.head}, HEAD after: {head}",
                  "- reverted:"] + [f"  - {c}" for c in p.reverted]
    else:
        lines += [f"- feature branch {p.feature_branch} deleted (kept as {', '.join(p.backup_refs)}; "
                  f"back with: {'; '.join(p.restore_commands)})",
                  f"- artifacts removed from {p.main_branch}: {', '.join(p.artifacts) or 'none'}"]
    if w.version:
        lines.append(f"- app version: {w.version}")
    if w.verify is not None:
        lines += ["", "## Verification", ""] + [f"- {r.status}: {r.title}: {r.detail}" for r in w.verify.results]
    if w.manual:
        lines += ["", "## Left to a person", ""] + [f"- [ ] {m}" for m in w.manual]
    lines += ["", "## Investigation", "", "- [ ] Analyze performance metrics", "- [ ] Review error logs",
              "- [ ] Identify root cause", "- [ ] Create bug report", ""]
    return "\n".join(lines)


def write_issue(w: Work, outcome: str, head: str | None) -> Path:
    return write_bytes(w.folder / "issue.md", issue_text(w, outcome, head).encode("utf-8"))


def history_row(w: Work, outcome: str, steps: list[Step], seconds: float, head: str | None,
                error: str | None = None) -> int | None:
    message = f"{outcome}: {ROLLBACK_TYPES[w.plan.level]} in {w.plan.repo}"
    if w.plan.level == 2:
        message += f" ({(w.plan.head or '')[:10]} -> {(head or '')[:10]})"
    if error:
        message += f": {error}"
    return history.try_record(
        "rollback", w.target, outcome="ok" if outcome in ("verified", "unverified") else "failed",
        message=message, version=w.version,
        artifacts=[a for a in (str(w.folder), w.bundle) if a],
        details={"level": w.plan.level, "rollback_type": ROLLBACK_TYPES[w.plan.level], "rollback_id": w.rollback_id,
                 "outcome": outcome, "seconds": round(seconds, 3), "repo": w.plan.repo, "head": head,
                 "steps": [{"id": s.id, "status": s.status, "seconds": round(s.seconds, 3)} for s in steps]})


def alert(w: Work, outcome: str, steps: list[Step], *, event: str = "done") -> str:
    """The team alert (``event`` ``started``: Level 3 tells stakeholders before it begins)."""
    from flagdeck.history import current_user
    from flagdeck.notify.payload import RollbackSummary
    from flagdeck.notify.payload import Step as AlertStep

    what = (f"code revert in {Path(w.plan.repo).name}: {'; '.join(w.plan.reverted)}" if w.plan.level == 2
            else f"full rollback: {w.plan.feature_branch} deleted, artifacts removed from {w.plan.main_branch}")
    summary = RollbackSummary(
        target=w.target.name, target_slug=w.target.slug, flag=what,
        outcome="started" if event == "started" else ("ok" if outcome in ("verified", "unverified") else "failed"),
        message=("Level 3 rollback starting: expect the app to restart" if event == "started"
                 else f"outcome: {outcome}; record {w.rollback_id}"),
        steps=tuple(AlertStep(s.title, round(s.seconds, 3) if s.status != "pending" else None,
                              s.status != "failed") for s in steps if s.status != "pending"),
        bundle=Path(w.bundle).name if w.bundle else None, version=w.version,
        rollback_type=ROLLBACK_TYPES[w.plan.level], user=current_user())
    delivery = notify.rollback_done(summary)
    if delivery is None:
        w.manual.append("tell the team yourself: no team alert is set up (flagdeck notify setup --url URL)")
        return "no team alert set up: tell the team yourself"
    return "team alert queued (flagdeck notify status)"
