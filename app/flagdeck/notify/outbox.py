"""Alerts waiting to be delivered: one JSON file per message in ``<data dir>/notify/outbox``.

A message is written here *before* the first attempt, so a crash, a kill or a network that is
down loses nothing: the next flagdeck run tries again, and ``notify status`` lists what waits.
Delivery of one message holds its lock file (``flock``/``msvcrt``, released by the OS if the
process dies), so two flagdeck processes never post the same message at once; a message is
removed only after the server said 2xx (at-least-once: a process killed between the 2xx and the
removal posts it again next time). A failed message records whether a later attempt can help
(``retryable``): not after a 4xx such as 404/410 (a revoked webhook), nor when its webhook is gone
from the config or the keyring; such a message waits for ``notify retry`` or ``notify remove``.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flagdeck import paths
from flagdeck.errors import FlagdeckError
from flagdeck.notify import config
from flagdeck.notify.http import DeliveryError, post
from flagdeck.private_files import write_json
from flagdeck.target_lock import try_lock

BACKOFF = (0.5, 1.0, 2.0)  # seconds between attempts within one run: 4 attempts, ~3.5 s of waiting


@dataclass(frozen=True)
class Message:
    id: str
    created: str
    webhook: str
    event: str
    headline: str
    attempts: int
    state: str  # pending | failed | unreadable
    last_error: str | None
    last_attempt: str | None
    path: Path
    retryable: bool = True  # False: only ``notify retry`` sends it again (see the module doc)

    def to_json(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class DeliveryResult:
    id: str
    webhook: str
    delivered: bool
    attempts: int
    error: str | None = None
    skipped: bool = False  # another process is delivering it, or it was already delivered

    @property
    def failed(self) -> bool:
        """Not delivered, and not skipped either: the message stays in the outbox."""
        return not self.delivered and not self.skipped


def outbox_dir() -> Path:
    return paths.sub_dir("notify", "outbox")


def exists() -> bool:
    """Whether an outbox was ever created (without creating it)."""
    return paths.notify_outbox_dir().is_dir()


def _write(path: Path, data: dict[str, Any]) -> None:
    write_json(path, data, sync=True, indent=None)


def enqueue(webhook: str, event: str, headline: str, payload: dict[str, Any]) -> Path:
    ident = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)
    path = outbox_dir() / f"{ident}.json"
    _write(path, {"id": ident, "created": datetime.now(UTC).isoformat(timespec="seconds"), "webhook": webhook,
                  "event": event, "headline": headline, "payload": payload, "attempts": 0, "state": "pending",
                  "last_error": None, "last_attempt": None})
    return path


def _message(path: Path) -> Message:
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
        return Message(d["id"], d["created"], d["webhook"], d["event"], d.get("headline", ""),
                       int(d.get("attempts", 0)), d.get("state", "pending"), d.get("last_error"),
                       d.get("last_attempt"), path, bool(d.get("retryable", True)))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return Message(path.stem, "", "?", "?", "", 0, "unreadable", str(exc), None, path, False)


def files() -> list[Path]:
    """The file of every message not delivered yet, oldest first (none read)."""
    return sorted(outbox_dir().glob("*.json"))


def pending() -> list[Message]:
    """Every message not delivered yet, oldest first."""
    return [_message(p) for p in files()]


@contextlib.contextmanager
def _claimed(path: Path) -> Iterator[bool]:
    """Hold the delivery lock of one message; yields False when another process holds it."""
    lock = path.with_suffix(".lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        got = try_lock(fd)
        yield got
        if got and not path.exists():
            with contextlib.suppress(OSError):
                lock.unlink()
    finally:
        os.close(fd)


def deliver(path: Path, *, attempts: int = 1 + len(BACKOFF), backoff: Sequence[float] = BACKOFF,
            timeout: float = 5.0) -> DeliveryResult:
    """Post one outbox message, retrying with backoff; it leaves the outbox only when delivered."""
    with _claimed(path) as mine:
        if not mine or not path.exists():
            return DeliveryResult(path.stem, "?", False, 0, skipped=True)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            return DeliveryResult(path.stem, "?", False, 0, f"unreadable outbox file: {exc}")
        name = str(data.get("webhook"))
        error: str | None = None
        tried = 0
        later = True  # whether a later run's attempt can help
        for n in range(max(1, attempts)):
            if n:
                time.sleep(backoff[min(n - 1, len(backoff) - 1)] if backoff else 0)
            tried += 1
            try:
                hook = config.find(name)
            except FlagdeckError as exc:  # the webhook was removed: keep the message, say why
                error, later = str(exc), False
                break
            try:
                url = config.load_secret(hook.keyring_user)
            except FlagdeckError as exc:  # no usable keyring now (locked, no session bus): later maybe
                error = str(exc)
                break
            if not url:
                error, later = f"the keyring has no URL for webhook {name!r}", False
                break
            try:
                post(url, data["payload"], timeout=timeout)
            except DeliveryError as exc:
                error, later = exc.message, exc.retryable
                if not exc.retryable:
                    break
                continue
            except FlagdeckError as exc:  # a stored URL flagdeck may not post to
                error, later = str(exc), False
                break
            path.unlink(missing_ok=True)
            return DeliveryResult(data["id"], name, True, int(data.get("attempts", 0)) + tried)
        data["attempts"] = int(data.get("attempts", 0)) + tried
        data["state"] = "failed"
        data["retryable"] = later
        data["last_error"] = error
        data["last_attempt"] = datetime.now(UTC).isoformat(timespec="seconds")
        _write(path, data)
        return DeliveryResult(data["id"], name, False, data["attempts"], error)


def drop_all(webhook: str | None = None) -> int:
    """Remove waiting messages (of one webhook, or all); returns how many. Only on explicit request."""
    n = 0
    for msg in pending():
        if webhook is None or msg.webhook == webhook:
            with _claimed(msg.path) as mine:
                if mine:
                    msg.path.unlink(missing_ok=True)
                    n += 1
    return n
