"""The team alert when a timed toggle ends (reverted, or dropped because a newer decision won).

Same outbox and delivery as a rollback's alert (queued first, posted in the background, retried by
later runs); a Slack-compatible or generic JSON body with ``event: timed-revert``.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from typing import Any

from flagdeck import __version__
from flagdeck.errors import FlagdeckError
from flagdeck.notify import Delivery, config, outbox
from flagdeck.notify.payload import _scrub, _slack_escape

EVENT = "timed-revert"


def headline(result: Any) -> str:
    t = result.timer
    word = {"reverted": "reverted", "already-back": "ended (already back)"}.get(result.outcome, "dropped")
    return f"Timed toggle {word} on {t.target_name}: {t.flag}"


def body(kind: str, result: Any) -> dict[str, Any]:
    t = result.timer
    message = _scrub(result.message) or ""
    data = {"target": t.target_name, "target_slug": t.target_slug, "flag": t.flag, "outcome": result.outcome,
            "message": message, "timer": t.id, "set_by": t.user, "set_at": t.created, "due": t.due,
            "host": socket.gethostname(), "time": datetime.now(UTC).isoformat(timespec="seconds")}
    title = headline(result)
    if kind != "slack":
        return {"event": EVENT, "headline": title, "source": f"flagdeck {__version__}", **data}
    icon = ":hourglass:" if result.outcome != "dropped" else ":warning:"
    text = f"{icon} {_slack_escape(title)}"
    return {"text": text, "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{text}*"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _slack_escape(message)[:2900]}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"flagdeck {__version__} · timer {t.id} "
                                          f"set by {_slack_escape(t.user or '-')} at {t.created}"}]},
    ]}


def ended(result: Any) -> Delivery | None:
    """Queue the alert for every webhook and post it in the background; None when none is set up."""
    try:
        hooks = config.load()
    except FlagdeckError:
        return None
    if not hooks:
        return None
    title = headline(result)
    queued = [outbox.enqueue(h.name, EVENT, title, body(h.kind, result)) for h in hooks]
    return Delivery(lambda: [outbox.deliver(p) for p in queued], wait_at_exit=True)
