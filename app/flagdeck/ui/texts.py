"""One-line texts the tray, the console and the notifications share: a target's short name, a
write's summary, a rollback's outcome. Rendering only: they read result values, decide nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flagdeck import flag_ops
from flagdeck.describe import change_text
from flagdeck.targets.resolve import TargetOptions
from flagdeck.ui.gui_words import for_gui


def options_label(opts: TargetOptions) -> str:
    """A target's name before it resolved (for messages about a target that is not there)."""
    if opts.target:
        return opts.target
    if opts.user_data_dir or opts.leveldb:
        return short_name(str(opts.user_data_dir or opts.leveldb))
    return "demo"


def short_name(name: str) -> str:
    """A folder target is named by its path: show its last part (the full path goes in tooltips)."""
    if "/" in name or "\\" in name:
        parts = [p for p in name.replace("\\", "/").split("/") if p]
        if parts and parts[-1] in ("leveldb", "Default") and len(parts) > 1:
            return parts[-2]
        return parts[-1] if parts else name
    return name



def write_summary(result: flag_ops.WriteResult) -> str:
    if not result.changes:
        change = "no change: already so"
    else:
        change = "; ".join(change_text(c, arrow="→") for c in result.changes)
    if result.reloaded:
        tail = f"page reloaded in {result.reload_seconds:.1f} s"
    elif result.mode == "live":
        tail = "the page applies it at its next reload"
    else:
        tail = "written on disk: the app reads it at its next start"
    d = result.durability
    if d is not None and not d.ok:
        return f"{change} ({result.mode}); NOT SAVED: {for_gui(d.detail)}"
    if d is not None and result.mode == "live" and d.seconds is not None:
        tail += f"; on the app's disk in {d.seconds:.1f} s"
    return f"{change} ({result.mode}); {tail}"


def rollback_summary(result: Any) -> tuple[str, str, str]:
    """(title, message, level) of a finished rollback."""
    plan = result.plan
    if result.error is not None:
        failed_step = next((s for s in result.steps if s.status == "failed"), None)
        where = f" at “{failed_step.title}”" if failed_step else ""
        return "Rollback FAILED", f"{plan.target.name}: stopped{where}: {for_gui(str(result.error))}", "error"
    if result.outcome == "verified":
        return "Rollback verified", (f"{plan.target.name}: {plan.flag} is off and the original path is back "
                                     f"({result.seconds:.1f} s, {plan.mode})"), "info"
    if result.outcome == "failed":
        failed = ", ".join(r.id for r in result.verify.failed) if result.verify else ""
        return "Rollback done, verification FAILED", f"{plan.target.name}: {failed}", "error"
    if result.outcome == "memory-only":
        detail = for_gui(result.durability.detail) if result.durability else "not confirmed on the app's disk"
        return "Rollback NOT SAVED", f"{plan.target.name}: {plan.flag} is off in the running app, but {detail}", "error"
    if result.outcome == "written":
        return "Rollback written", f"{plan.target.name}: {plan.flag} off on disk; the app reads it at its next start", \
            "warning"
    return "Rollback unverified", f"{plan.target.name}: the flag could not be confirmed in the page", "warning"


def record_folder(result: Any) -> Path | None:
    return Path(result.record_path).parent if getattr(result, "record_path", "") else None


# The runbook's levels as the tray and the console say them (the core's recommendation names the CLI).
LEVEL_TEXT = {
    "level-1-now": ("Critical trigger: roll back now (Level 1)", "error"),
    "level-1-within-hour": ("Major trigger: roll back within the hour (Level 1)", "warning"),
    "consider": ("Minor trigger: consider a rollback; watch the signals", "warning"),
    "none": ("No rollback trigger fired", "ok"),
    "level-2": ("Triggers fire with the flag already off: the flag is not enough. Level 2: revert the code "
                "(git revert, rebuild, deploy)", "error"),
}
ROLLBACK_LEVELS = ("level-1-now", "level-1-within-hour", "consider")  # a rollback is what to do (or weigh)


def level_text(level: str) -> tuple[str, str]:
    """(words, banner level) of a trigger board's level."""
    return LEVEL_TEXT.get(level, (f"Runbook level {level}", "warning"))
