"""A fleet source behind OpenFeature: open it, ask it what this workstation should run, close it.

flagd's flag definitions are evaluated in-process by flagd's own provider
(``openfeature-provider-flagd`` in file mode: targeting rules, fractional rollouts; it re-reads the
file when it changes); Unleash through :mod:`flagdeck.fleet.unleash_provider`. Each open source
is bound to its own OpenFeature domain, so the tray can follow several targets at once.

This module imports OpenFeature, grpc and UnleashClient when a source is opened, never at import
time of the CLI.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from flagdeck import paths
from flagdeck.errors import CheckFailed
from flagdeck.fleet.connection import Connection, load_token
from flagdeck.fleet.workstation import Workstation
from flagdeck.storage.flags import FlagType

HealthState = Literal["connected", "stale", "error"]
STALE_POLLS = 3  # an Unleash source unheard of for this many intervals is stale
_domains = itertools.count(1)


class SourceError(CheckFailed):
    """The fleet source cannot be read (unreachable server, refused token, broken definitions):
    nothing was applied. Exit 1."""

    kind = "fleet-source"


@dataclass(frozen=True)
class Desired:
    """What the source says one flag should be on this workstation. ``managed`` False: the
    source has no such flag (or has it disabled), so the agent leaves it alone."""

    name: str
    value: Any
    managed: bool
    reason: str | None = None
    variant: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "managed": self.managed, "reason": self.reason,
                "variant": self.variant, "error": self.error}


@dataclass(frozen=True)
class Health:
    state: HealthState
    detail: str
    last_contact: float | None = None  # epoch seconds

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state, "detail": self.detail, "last_contact": self.last_contact}


def _quiet_libraries() -> None:
    """UnleashClient and flagd's file watcher log failures with tracebacks; flagdeck reports them
    as one line (:meth:`Source.health`), so their loggers print nothing."""
    for name in ("UnleashClient", "openfeature", "apscheduler"):
        logger = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())
        logger.propagate = False


class Source:
    """An open source. ``on_change`` is called (on a library thread) when the source says its flags
    changed or its health did (flagd: the file changed or broke; Unleash: a poll brought new flags)."""

    def __init__(self, conn: Connection, *, on_change: Callable[[], None] | None = None,
                 token: str | None = None) -> None:
        from openfeature import api
        from openfeature.event import ProviderEvent

        _quiet_libraries()
        self.conn = conn
        self.domain = f"flagdeck-fleet-{conn.target_slug}-{next(_domains)}"
        self._on_change = on_change
        self._error: str | None = None
        self._changed_at = time.time()
        self._lock = threading.Lock()
        self.provider = self._provider(token)
        self.client = api.get_client(self.domain)
        for event in (ProviderEvent.PROVIDER_CONFIGURATION_CHANGED, ProviderEvent.PROVIDER_ERROR,
                      ProviderEvent.PROVIDER_READY, ProviderEvent.PROVIDER_STALE):
            self.client.add_handler(event, self._handler(event))
        try:
            api.set_provider_and_wait(self.provider, self.domain)
        except Exception as exc:
            self.close()
            raise SourceError(f"{conn.source}: {_one_line(exc)}", hint=_hint(conn)) from None
        self._error = None

    def _provider(self, token: str | None) -> Any:
        """``token``: an Unleash token not in the keyring yet (``fleet connect`` tries it first)."""
        if self.conn.kind == "flagd":
            from openfeature.contrib.provider.flagd import FlagdProvider
            from openfeature.contrib.provider.flagd.config import ResolverType

            return FlagdProvider(resolver_type=ResolverType.FILE, offline_flag_source_path=self.conn.file)
        from flagdeck.fleet import machine
        from flagdeck.fleet.unleash_provider import UnleashProvider

        assert self.conn.url is not None
        cache = paths.sub_dir("fleet-cache", self.conn.target_slug)  # outside fleet/: no evidence of anything
        return UnleashProvider(self.conn.url, token or load_token(self.conn), app_name=self.conn.app_name,
                               instance_id=f"flagdeck-{machine.targeting_key()[:12]}",
                               interval=self.conn.interval, cache_dir=cache)

    def _handler(self, kind: Any) -> Callable[[Any], None]:
        return lambda details: self._event(kind, details)

    def _event(self, kind: Any, details: Any) -> None:
        from openfeature.event import ProviderEvent

        with self._lock:
            if kind in (ProviderEvent.PROVIDER_ERROR, ProviderEvent.PROVIDER_STALE):
                self._error = getattr(details, "message", None) or "the source reported an error"
            elif kind in (ProviderEvent.PROVIDER_READY, ProviderEvent.PROVIDER_CONFIGURATION_CHANGED):
                self._error = None
            self._changed_at = time.time()
        if self._on_change is not None:
            self._on_change()

    def health(self) -> Health:
        """connected; stale (it answers from what it last had: the file broke, the server is not
        heard from); error (nothing usable)."""
        last = getattr(self.provider, "last_contact", None)
        with self._lock:
            error = self._error
        if self.conn.kind == "flagd":
            if error:
                return Health("stale", f"{self.conn.file}: {error}; using the definitions read before", None)
            return Health("connected", f"flagd definitions {self.conn.file}", None)
        if last is None:
            return Health("stale", f"Unleash at {self.conn.url} not reached; answering from the cache of an "
                          "earlier run", None)
        age = time.time() - last
        if age > STALE_POLLS * self.conn.interval + 5:
            return Health("stale", f"Unleash at {self.conn.url} not heard from for {age:.0f} s "
                          f"(polls every {self.conn.interval:g} s); answering from its last flags", last)
        return Health("connected", f"Unleash at {self.conn.url}, polled every {self.conn.interval:g} s", last)

    def evaluate(self, flags: Iterable[tuple[str, FlagType]], who: Workstation) -> list[Desired]:
        """The source's value of each flag for this workstation (by the catalogue's type)."""
        from openfeature.evaluation_context import EvaluationContext
        from openfeature.exception import ErrorCode
        from openfeature.flag_evaluation import Reason

        ctx = EvaluationContext(targeting_key=who.targeting_key, attributes=who.attributes())
        out = []
        for name, ftype in flags:
            if ftype == "boolean":
                details: Any = self.client.get_boolean_details(name, False, ctx)
            elif ftype == "string":
                details = self.client.get_string_details(name, "", ctx)
            elif ftype == "number":
                details = self.client.get_float_details(name, 0.0, ctx)
            else:
                details = self.client.get_object_details(name, {}, ctx)
            code = details.error_code
            if code == ErrorCode.FLAG_NOT_FOUND or (details.reason == Reason.DISABLED and self.conn.kind == "flagd"):
                out.append(Desired(name, None, False, str(details.reason or "")))
            elif code is not None:
                out.append(Desired(name, None, False, str(details.reason or ""),
                                   error=f"{code}: {details.error_message or 'no message'}"))
            else:
                value = details.value
                if ftype == "number" and isinstance(value, float) and value.is_integer():
                    value = int(value)
                out.append(Desired(name, value, True, str(details.reason or ""), details.variant))
        return out

    def close(self) -> None:
        """Stop the provider now (its polling thread), not in OpenFeature's background."""
        from openfeature import api
        from openfeature.provider.no_op_provider import NoOpProvider

        try:
            self.provider.shutdown()
        except Exception:
            pass
        try:
            api.set_provider(NoOpProvider(), self.domain)
        except Exception:
            pass

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _one_line(exc: BaseException) -> str:
    text = getattr(exc, "error_message", None) or str(exc) or type(exc).__name__
    cause = exc.__cause__ or exc.__context__
    if text in ("", "None") and cause is not None:
        text = str(cause)
    return " ".join(str(text).split())[:300]


def _hint(conn: Connection) -> str:
    if conn.kind == "flagd":
        return "check the file: flagd's JSON (or YAML) flag definitions, e.g. {\"flags\": {...}}"
    return "check the URL and the client API token (flagdeck fleet connect unleash --url URL --token-stdin)"
