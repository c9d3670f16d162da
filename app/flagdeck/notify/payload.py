"""What a team alert says: a short rollback summary as a Slack message or a generic JSON event.

Slack (incoming webhooks, and the many chat tools that accept the same body): ``{"text", "blocks"}``
where ``text`` is the one-line fallback. Generic: ``{"event": "rollback", ...}`` for a relay.
Free text (the outcome message) goes through the redactor's patterns first: an error message is
the one place a token could slip in.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from flagdeck import __version__
from flagdeck.history import ROLLBACK_TYPE


@dataclass(frozen=True)
class Step:
    name: str
    seconds: float | None = None
    ok: bool = True


@dataclass(frozen=True)
class RollbackSummary:
    """What a rollback tells the team. ``flag`` reads like ``USE_UNIFIED_DB_SERVICE: true → false``."""

    target: str
    flag: str
    outcome: str  # ok | failed | started (Level 3 tells stakeholders before it begins)
    target_slug: str = ""
    message: str | None = None
    steps: tuple[Step, ...] = ()
    bundle: str | None = None  # evidence bundle file name, when one was exported
    version: str | None = None
    rollback_type: str = ROLLBACK_TYPE
    user: str = ""
    host: str = field(default_factory=socket.gethostname)
    time: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def total_seconds(self) -> float | None:
        times = [s.seconds for s in self.steps if s.seconds is not None]
        return sum(times) if times else None

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "target_slug": self.target_slug, "flag": self.flag,
                "outcome": self.outcome, "message": self.message,
                "steps": [{"name": s.name, "seconds": s.seconds, "ok": s.ok} for s in self.steps],
                "bundle": self.bundle, "version": self.version, "rollback_type": self.rollback_type,
                "user": self.user, "host": self.host, "time": self.time}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RollbackSummary:
        steps = tuple(Step(str(s.get("name", "")), s.get("seconds"), bool(s.get("ok", True)))
                      for s in data.get("steps", []))
        known = {k: data[k] for k in ("target_slug", "message", "bundle", "version", "rollback_type", "user",
                                      "host", "time") if data.get(k) is not None}
        return cls(str(data.get("target", "")), str(data.get("flag", "")), str(data.get("outcome", "")),
                   steps=steps, **known)


def summary_from_rollback(result: Any, *, bundle: str | None = None, version: str | None = None) -> RollbackSummary:
    """A ``rollback.run.RollbackResult`` as the team alert tells it (duck-typed: no import of the
    rollback package here)."""
    from flagdeck.history import current_user

    plan = result.plan
    write = getattr(result, "write", None)
    change = next((c for c in (write.changes if write else []) if c.flag == plan.flag), None)
    if change is not None:
        before = json.dumps(change.before) if change.before_present else "(absent)"
        flag = f"{plan.flag}: {before} → {json.dumps(change.after)}"
    else:
        flag = f"{plan.flag} → {json.dumps(plan.value)}"
    error = getattr(result, "error", None)
    message = f"outcome: {result.outcome}" + (f"; {error}" if error is not None else "")
    steps = tuple(Step(s.title, round(float(s.seconds), 3) if s.status != "skipped" else None,
                       s.status not in ("failed",)) for s in result.steps if s.status != "pending")
    return RollbackSummary(
        target=plan.target.name, target_slug=plan.target.slug, flag=flag,
        outcome="failed" if result.outcome == "failed" else "ok", message=message, steps=steps,
        bundle=bundle, version=version, user=current_user())


def _scrub(text: str | None) -> str | None:
    if not text:
        return text
    from flagdeck.redact import Redactor

    return Redactor().scrub_text(text, "alert")


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def headline(s: RollbackSummary) -> str:
    took = f" in {s.total_seconds:.1f} s" if s.total_seconds is not None else ""
    word = {"ok": "done", "started": "starting"}.get(s.outcome, "FAILED")
    return f"Rollback {word} on {s.target}: {s.flag}{took}"


def slack(s: RollbackSummary) -> dict[str, Any]:
    """The Slack body of ``s``, whose message :func:`build` has scrubbed."""
    icon = {"ok": ":white_check_mark:", "started": ":warning:"}.get(s.outcome, ":rotating_light:")
    text = f"{icon} {_slack_escape(headline(s))}"
    fields = [f"*Type*\n{_slack_escape(s.rollback_type)}", f"*Outcome*\n{_slack_escape(s.outcome)}",
              f"*By*\n{_slack_escape(s.user or '-')}@{_slack_escape(s.host)}",
              f"*Version*\n{_slack_escape(s.version or '-')}"]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{text}*"}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
    ]
    if s.message:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _slack_escape(s.message)[:2900]}})
    if s.steps:
        lines = "\n".join(f"{'✓' if st.ok else '✗'} {st.name}"
                          + (f"  {st.seconds:.2f} s" if st.seconds is not None else "") for st in s.steps)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"```{_slack_escape(lines)[:2800]}```"}})
    context = f"flagdeck {__version__} · {s.time}" + (f" · evidence: {_slack_escape(s.bundle)}" if s.bundle else "")
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    return {"text": text, "blocks": blocks}


def generic(s: RollbackSummary, event: str = "rollback") -> dict[str, Any]:
    """The generic JSON body of ``s``, whose message :func:`build` has scrubbed."""
    return {"event": event, "headline": headline(s), "source": f"flagdeck {__version__}", **s.to_json()}


def build(kind: str, s: RollbackSummary, event: str = "rollback") -> dict[str, Any]:
    """The webhook body of ``kind`` for ``s``, its free-text message scrubbed first."""
    s = replace(s, message=_scrub(s.message))
    return slack(s) if kind == "slack" else generic(s, event)
