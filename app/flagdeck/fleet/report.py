"""The fleet's outcomes told to the team: a Slack-compatible or generic JSON webhook body, queued
through the notify outbox like a rollback alert (never lost, retried, never blocking the agent)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flagdeck import __version__, notify
from flagdeck.fleet.state import Outcome
from flagdeck.fleet.workstation import Workstation
from flagdeck.targets.resolve import Target

EVENT = "fleet"


def _value(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False)


def headline(target: Target, who: Workstation, outcomes: list[Outcome]) -> str:
    parts = [f"{o.name} {_value(o.before)} → {_value(o.fleet_value)}: {o.outcome}" for o in outcomes]
    return f"Fleet on {who.hostname} ({target.name}): " + "; ".join(parts)


def _scrub(text: str) -> str:
    from flagdeck.evidence.redact import Redactor

    return str(Redactor().scrub_text(text, "alert"))


def body(kind: str, target: Target, who: Workstation, outcomes: list[Outcome]) -> dict[str, Any]:
    title = _scrub(headline(target, who, outcomes))
    items = [{**o.to_json(), "detail": _scrub(o.detail)} for o in outcomes]
    if kind == "json":
        return {"event": EVENT, "headline": title, "source": f"flagdeck {__version__}", "target": target.name,
                "target_slug": target.slug, "workstation": who.to_json(), "outcomes": items,
                "time": datetime.now(UTC).isoformat(timespec="seconds")}
    esc = lambda t: t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # noqa: E731
    icon = ":rotating_light:" if any(o.outcome == "failed" for o in outcomes) else (
        ":hourglass:" if any(o.outcome == "pending" for o in outcomes) else ":white_check_mark:")
    lines = "\n".join(f"{o['name']}: {o['outcome']} ({o['action']}) — {o['detail']}" for o in items)
    return {"text": f"{icon} {esc(title)}",
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{icon} {esc(title)}*"}},
                       {"type": "section", "text": {"type": "mrkdwn", "text": f"```{esc(lines)[:2800]}```"}},
                       {"type": "context", "elements": [{"type": "mrkdwn", "text":
                        f"flagdeck {__version__} · {esc(who.user)}@{esc(who.hostname)} · "
                        f"machine {who.targeting_key[:12]}"}]}]}


def alert(target: Target, who: Workstation, outcomes: list[Outcome]) -> notify.Delivery | None:
    return notify.event_done(EVENT, _scrub(headline(target, who, outcomes)),
                             lambda kind: body(kind, target, who, outcomes))
