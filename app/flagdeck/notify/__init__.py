"""Team alerts after a rollback: a Slack-compatible or generic JSON webhook.

``rollback_done(summary)`` returns at once. How delivery avoids blocking the caller while never
losing a message:

1. The message is written to the outbox (``outbox.py``) first, synchronously (a few ms).
2. A daemon thread posts it, retrying with backoff (4 attempts over ~3.5 s, 5 s per request).
3. At interpreter exit, flagdeck waits for that thread at most ``FLAGDECK_NOTIFY_EXIT_WAIT``
   seconds (default 5), then leaves. A message not delivered by then stays in the outbox and is
   reported on stderr (and by ``notify status``); the next run retries it
   (:func:`resume_pending`, one attempt each, in a thread nobody waits for). A message whose
   failure no retry can fix (a revoked webhook answering 404/410, a webhook removed or missing from
   the keyring) is kept but left to ``notify retry``: every run re-posting it would be noise.

Why not a detached helper process: it would outlive flagdeck unseen, needs a Python to launch
(not a given in a frozen app) and is hard to test; the outbox gives the same "never lost"
guarantee with everything in-process, at the cost of a late delivery when the network is down
at exit.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flagdeck.errors import CheckFailed, FlagdeckError
from flagdeck.notify import config, outbox
from flagdeck.notify.config import Webhook
from flagdeck.notify.http import DeliveryError, post
from flagdeck.notify.outbox import DeliveryResult, Message
from flagdeck.notify.payload import RollbackSummary, Step, build, headline, summary_from_rollback

__all__ = ["Delivery", "DeliveryResult", "NotifyStatus", "RollbackSummary", "Step", "event_done", "remove",
           "resume_pending", "rollback_done", "send_test", "setup", "status", "summary_from_rollback"]

DEFAULT_EXIT_WAIT = 5.0


class Delivery:
    """A delivery running in the background; :meth:`wait` for its results (tests, the UI)."""

    def __init__(self, work: Callable[[], list[DeliveryResult]], *, wait_at_exit: bool) -> None:
        self.results: list[DeliveryResult] = []
        self.wait_at_exit = wait_at_exit
        self._done = threading.Event()

        def run() -> None:
            try:
                self.results = work()
            except Exception as exc:  # a thread must not die silently: keep what happened
                self.results = [DeliveryResult("?", "?", False, 0, f"{type(exc).__name__}: {exc}")]
            finally:
                self._done.set()

        self.thread = threading.Thread(target=run, name="flagdeck-notify", daemon=True)
        _track(self)
        self.thread.start()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> list[DeliveryResult]:
        self._done.wait(timeout)
        return list(self.results)


_running: list[Delivery] = []
_lock = threading.Lock()
_atexit_on = False


def _track(delivery: Delivery) -> None:
    """Keep ``delivery`` for the exit wait; finished ones are dropped (the tray lives for days),
    except failed ones the exit message still has to name."""
    global _atexit_on
    with _lock:
        _running[:] = [d for d in _running if not d.done or _failed(d)]
        _running.append(delivery)
        if not _atexit_on:
            atexit.register(_at_exit)
            _atexit_on = True


def _failed(delivery: Delivery) -> list[DeliveryResult]:
    """What :func:`_at_exit` reports of a finished delivery: alerts it could not deliver."""
    if not delivery.wait_at_exit:
        return []
    return [r for r in delivery.results if r.failed]


def exit_wait() -> float:
    try:
        return max(0.0, float(os.environ.get("FLAGDECK_NOTIFY_EXIT_WAIT", DEFAULT_EXIT_WAIT)))
    except ValueError:
        return DEFAULT_EXIT_WAIT


def _at_exit() -> None:
    """Wait (bounded) for alerts of this run; say on stderr which ones are left for the next run."""
    deadline = time.monotonic() + exit_wait()
    with _lock:
        mine = [d for d in _running if d.wait_at_exit]
    for d in mine:
        d.wait(max(0.0, deadline - time.monotonic()))
    left = [d for d in mine if not d.done]
    failed = [r for d in mine if d.done for r in _failed(d)]
    try:
        if left:
            print("flagdeck: a team alert is still being sent; it stays in the outbox and is retried on the "
                  "next run (flagdeck notify status)", file=sys.stderr)
        for r in failed:
            print(f"flagdeck: team alert to {r.webhook!r} not delivered ({r.error}); kept in the outbox, "
                  "retried on the next run (flagdeck notify status)", file=sys.stderr)
    except (OSError, ValueError):
        pass  # stderr closed at exit


# --- the API the rollback calls --------------------------------------------------------------------


def rollback_done(summary: RollbackSummary | dict[str, Any]) -> Delivery | None:
    """Queue the rollback alert for every webhook and post it in the background.

    Returns None when no webhook is set up (or the config is unreadable); never raises into
    the rollback.
    """
    done = RollbackSummary.from_json(summary) if isinstance(summary, dict) else summary
    return event_done("rollback", headline(done), lambda kind: build(kind, done))


def event_done(event: str, title: str, body: Callable[[str], dict[str, Any]]) -> Delivery | None:
    """Queue an alert of another kind than a rollback (the fleet agent's outcomes) for every
    webhook, as :func:`rollback_done` does: ``body(kind)`` builds the webhook body of a kind
    (``slack`` or ``json``), its free text already scrubbed. Never raises into the caller."""
    try:
        hooks = config.load()
    except FlagdeckError as exc:
        print(f"flagdeck: team alert not queued: {exc}", file=sys.stderr)
        return None
    if not hooks:
        return None
    bodies = {kind: body(kind) for kind in {h.kind for h in hooks}}
    queued = [outbox.enqueue(h.name, event, title, bodies[h.kind]) for h in hooks]
    return Delivery(lambda: [outbox.deliver(p) for p in queued], wait_at_exit=True)


def resume_pending() -> Delivery | None:
    """What each flagdeck run calls at start: one more attempt for every waiting alert a retry can
    deliver, in a thread nobody waits for at exit (a down network must not slow every command).

    Cheap when nothing waits (the usual case): one ``stat`` of the outbox folder, nothing created
    on disk, no keyring or network touched."""
    try:
        if not outbox.exists():
            return None
        waiting = [m for m in outbox.pending() if m.retryable]
    except OSError:
        return None
    if not waiting:
        return None
    return Delivery(lambda: [outbox.deliver(m.path, attempts=1, timeout=3.0) for m in waiting],
                    wait_at_exit=False)


def retry_now() -> list[DeliveryResult]:
    """Deliver every waiting alert now, in this thread (``notify retry``)."""
    return [outbox.deliver(path) for path in outbox.files()]


# --- setup and status ------------------------------------------------------------------------------


def setup(url: str, *, kind: str = "slack", name: str = "default") -> Webhook:
    return config.add(name, kind, url)  # type: ignore[arg-type]


def remove(name: str | None = None) -> tuple[Webhook, int]:
    """Forget a webhook (config and keyring); its undelivered alerts are dropped and counted."""
    hook = config.remove(name)
    return hook, outbox.drop_all(hook.name)


@dataclass(frozen=True)
class NotifyStatus:
    webhooks: list[Webhook]
    keyring: str
    pending: list[Message] = field(default_factory=list)  # every message in the outbox

    @property
    def waiting(self) -> list[Message]:
        """Outbox messages not tried yet (state ``pending``)."""
        return [m for m in self.pending if m.state == "pending"]

    @property
    def failed(self) -> list[Message]:
        """Outbox messages whose delivery failed (or whose file is unreadable)."""
        return [m for m in self.pending if m.state != "pending"]

    def to_json(self) -> dict[str, Any]:
        return {"webhooks": [w.to_json() for w in self.webhooks], "keyring": self.keyring,
                "pending": [m.to_json() for m in self.waiting],
                "failed": [m.to_json() for m in self.failed]}


def status() -> NotifyStatus:
    return NotifyStatus(config.load(), config.backend_name(), outbox.pending())


def send_test(name: str | None = None, *, timeout: float = 10.0) -> DeliveryResult:
    """Post a test message now (no outbox, one attempt); ``CheckFailed`` (exit 1) when it fails."""
    hook = config.find(name)
    url = config.load_secret(hook.keyring_user)
    if not url:
        raise CheckFailed(f"the keyring has no URL for webhook {hook.name!r}",
                          hint=f"set it up again: flagdeck notify setup --name {hook.name} --url URL")
    summary = RollbackSummary(target="(test)", flag="no flag changed", outcome="ok",
                              message="flagdeck notify test: team alerts reach this channel.",
                              steps=(Step("test", 0.0),), user=_user())
    body = build(hook.kind, summary, event="test")
    try:
        post(url, body, timeout=timeout)
    except DeliveryError as exc:
        raise CheckFailed(f"test alert to {hook.name!r} not delivered: {exc.message}") from None
    return DeliveryResult("test", hook.name, True, 1)


def _user() -> str:
    from flagdeck.history import current_user

    return current_user()
