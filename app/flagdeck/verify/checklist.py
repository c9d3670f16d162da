"""The runbook's checklist items a person answers: pass / fail / n/a with notes, saved per target.

Items flagdeck does itself (capture, backup, functional checks) point at the automated check or
step that covers them, so the saved checklist reads as the runbook's complete list.
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from flagdeck import paths
from flagdeck.errors import UsageError
from flagdeck.private_files import read_json, write_json
from flagdeck.target_lock import target_lock
from flagdeck.verify.result import now_iso

Phase = Literal["pre", "post", "validation"]
Answer = Literal["pass", "fail", "n/a", "open"]


@dataclass(frozen=True)
class Item:
    id: str
    phase: Phase
    section: str
    text: str
    automated_by: str | None = None  # a check id or rollback step that covers it


ITEMS: tuple[Item, ...] = (
    Item("export-perf-metrics", "pre", "Capture Current State", "Export performance metrics", "capture"),
    Item("save-error-logs", "pre", "Capture Current State", "Save error logs", "capture"),
    Item("document-failures", "pre", "Capture Current State", "Document specific failure scenarios"),
    Item("affected-users", "pre", "Capture Current State", "Note affected user percentage"),
    Item("screenshots", "pre", "Preserve Evidence", "Take screenshots of errors", "capture"),
    Item("console-logs", "pre", "Preserve Evidence", "Export browser console logs", "capture"),
    Item("network-traces", "pre", "Preserve Evidence", "Save network traces if relevant"),
    Item("backup-localstorage", "pre", "Preserve Evidence", "Backup current localStorage", "capture"),
    Item("notify-dev-team", "pre", "Communication", "Notify development team"),
    Item("status-page", "pre", "Communication", "Update status page if applicable"),
    Item("user-communication", "pre", "Communication", "Prepare user communication if needed"),
    Item("message-loading", "post", "Verification", "Test message loading (regular chat)", "message-load"),
    Item("agent-sessions", "post", "Verification", "Test agent sessions", "agent-session"),
    Item("attachments", "post", "Verification", "Verify file attachments work", "attachment"),
    Item("edit-delete", "post", "Verification", "Check message editing/deletion", "edit-delete"),
    Item("no-data-loss", "post", "Verification", "Confirm no data loss", "data-loss"),
    Item("alert-team", "post", "Level 1", "Alert team about rollback"),
    Item("analyze-perf", "post", "Investigation", "Analyze performance metrics"),
    Item("review-errors", "post", "Investigation", "Review error logs"),
    Item("root-cause", "post", "Investigation", "Identify root cause"),
    Item("bug-report", "post", "Investigation", "Create bug report"),
    Item("lessons", "post", "Planning", "Document lessons learned"),
    Item("update-procedures", "post", "Planning", "Update rollback procedures if needed"),
    Item("plan-fixes", "post", "Planning", "Plan fixes for identified issues"),
    Item("schedule-retry", "post", "Planning", "Schedule retry with fixes"),
    Item("new-chat", "validation", "Manual Validation", "Create new chat conversation"),
    Item("send-attachments", "validation", "Manual Validation", "Send messages with attachments", "attachment"),
    Item("edit-messages", "validation", "Manual Validation", "Edit existing messages", "edit-delete"),
    Item("delete-messages", "validation", "Manual Validation", "Delete messages", "edit-delete"),
    Item("start-agent", "validation", "Manual Validation", "Start agent session", "agent-session"),
    Item("historical-messages", "validation", "Manual Validation", "Load historical messages", "data-loss"),
)
BY_ID = {item.id: item for item in ITEMS}


def _path(slug: str) -> Path:
    return paths.sub_dir("checklists") / f"{slug}.json"


def load(slug: str) -> dict[str, dict[str, Any]]:
    data = read_json(_path(slug))
    return data if isinstance(data, dict) else {}


def mark(slug: str, item_id: str, answer: Answer, note: str | None = None) -> dict[str, Any]:
    if item_id not in BY_ID:
        raise UsageError(f"no checklist item {item_id!r}", hint="flagdeck checklist lists them")
    if answer not in get_args(Answer):
        raise UsageError(f"answer must be pass, fail, n/a or open, not {answer!r}")
    with target_lock(f"{slug}-checklist", purpose="checklist"):  # console pages and CLI answer at once
        state = load(slug)
        state[item_id] = {"answer": answer, "note": note, "time": now_iso(), "by": getpass.getuser()}
        write_json(_path(slug), state)
    return state[item_id]


def reset(slug: str) -> None:
    _path(slug).unlink(missing_ok=True)


def view(slug: str, automated: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Every item with its answer: a person's answer, else the automated result that covers it."""
    state, automated = load(slug), automated or {}
    rows = []
    for item in ITEMS:
        saved = state.get(item.id, {})
        answer, source = saved.get("answer", "open"), "person" if saved else ""
        if not saved and item.automated_by and item.automated_by in automated:
            answer, source = automated[item.automated_by], f"flagdeck ({item.automated_by})"
        rows.append({"id": item.id, "phase": item.phase, "section": item.section, "text": item.text,
                     "answer": answer, "source": source, "note": saved.get("note"),
                     "automated_by": item.automated_by})
    return rows
