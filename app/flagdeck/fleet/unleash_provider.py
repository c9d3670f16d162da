"""An OpenFeature provider over Unleash's own Python SDK (``UnleashClient``).

Why not ``openfeature-provider-unleash`` (0.1.x): it answers ``false`` for a flag Unleash does
not have, so every flag of the app's catalogue that the team never created there would be turned
off on every workstation; and it takes no polling interval, cache folder or metrics switch. This
one says ``FLAG_NOT_FOUND`` for an unknown flag (the agent leaves such a flag alone), polls at the
connection's interval, keeps UnleashClient's cache in flagdeck's data dir, and knows when it last
heard from the server (:attr:`last_contact`), which UnleashClient itself never reports: a failed
poll is only logged, and the client goes on answering from its cache.

Imported only when a fleet source is opened (UnleashClient brings requests, APScheduler and a Rust
engine).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from openfeature.evaluation_context import EvaluationContext
from openfeature.event import ProviderEventDetails
from openfeature.exception import FlagNotFoundError, ParseError, ProviderNotReadyError, TypeMismatchError
from openfeature.flag_evaluation import FlagResolutionDetails, FlagValueType, Reason
from openfeature.provider import AbstractProvider, Metadata
from UnleashClient import UnleashClient
from UnleashClient.cache import FileCache
from UnleashClient.constants import ETAG, FEATURES_URL
from UnleashClient.events import BaseEvent, UnleashEventType
from UnleashClient.utils import InstanceAllowType


class _ContactCache(FileCache):
    """UnleashClient's file cache, noting when a poll got an answer: the client writes the ETag
    (200 and 304) or the features (200) only then."""

    def __init__(self, name: str, directory: str) -> None:
        super().__init__(name, directory=directory)
        self.last_contact: float | None = None

    def set(self, key: str, value: Any) -> None:
        super().set(key, value)
        if (key == ETAG and value) or key == FEATURES_URL:
            self.last_contact = time.time()

    def has_features(self) -> bool:
        return bool(self.get(FEATURES_URL))


class UnleashProvider(AbstractProvider):
    def __init__(self, url: str, token: str, *, app_name: str, instance_id: str, interval: float,
                 cache_dir: Path) -> None:
        cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.url = url
        self._token = token
        self.interval = interval
        self.cache = _ContactCache(app_name, str(cache_dir))
        self._lock = threading.Lock()
        self.client = UnleashClient(
            url=url, app_name=app_name, instance_id=instance_id, refresh_interval=max(1, round(interval)),
            custom_headers={"Authorization": token}, disable_metrics=True, cache=self.cache,
            request_timeout=10, request_retries=1, event_callback=self._on_unleash_event,
            multiple_instance_mode=InstanceAllowType.SILENTLY_ALLOW,
        )

    @property
    def last_contact(self) -> float | None:
        return self.cache.last_contact

    def get_metadata(self) -> Metadata:
        return Metadata(name="flagdeck Unleash provider")

    def initialize(self, evaluation_context: EvaluationContext) -> None:
        """Registers and fetches once, synchronously; then UnleashClient polls in the background.
        Without an answer it serves its cache from an earlier run, if any (the source is then
        stale); with neither it is not ready."""
        self.client.initialize_client()
        if self.last_contact is None and not self.cache.has_features():
            raise ProviderNotReadyError(f"no answer from Unleash at {self.url} ({probe(self.url, self._token)})")

    def shutdown(self) -> None:
        with self._lock:
            self.client.destroy()

    def _on_unleash_event(self, event: BaseEvent) -> None:
        if event.event_type == UnleashEventType.FETCHED:
            self.emit_provider_configuration_changed(ProviderEventDetails(message="Unleash sent new flags"))

    # --- resolution -------------------------------------------------------------------------------

    def _context(self, ctx: EvaluationContext | None) -> dict[str, Any]:
        """OpenFeature's context as Unleash's: the targeting key is ``userId`` (what a gradual
        rollout's default stickiness hashes), the attributes are ``properties``."""
        if ctx is None:
            return {}
        out: dict[str, Any] = {"properties": {k: str(v) for k, v in ctx.attributes.items()}}
        if ctx.targeting_key:
            out["userId"] = ctx.targeting_key
        return out

    def _known(self, flag_key: str) -> None:
        if flag_key not in self.client.feature_definitions():
            raise FlagNotFoundError(f"Unleash has no flag {flag_key!r}")

    def resolve_boolean_details(self, flag_key: str, default_value: bool,
                                evaluation_context: EvaluationContext | None = None) -> FlagResolutionDetails[bool]:
        self._known(flag_key)
        on = bool(self.client.is_enabled(flag_key, self._context(evaluation_context)))
        return FlagResolutionDetails(value=on, reason=Reason.TARGETING_MATCH if on else Reason.DISABLED)

    def _variant(self, flag_key: str, default_value: Any, convert: Any,
                 ctx: EvaluationContext | None) -> FlagResolutionDetails[Any]:
        """A non-boolean flag's value is the payload of its variant (Unleash's way to carry one)."""
        self._known(flag_key)
        variant = self.client.get_variant(flag_key, self._context(ctx))
        if not variant.get("enabled") or "payload" not in variant:
            return FlagResolutionDetails(value=default_value, reason=Reason.DEFAULT)
        try:
            value = convert(variant["payload"].get("value"))
        except (TypeError, ValueError) as exc:
            raise TypeMismatchError(f"{flag_key}: variant payload is not of the flag's type: {exc}") from None
        return FlagResolutionDetails(value=value, reason=Reason.TARGETING_MATCH, variant=variant.get("name"))

    def resolve_string_details(self, flag_key: str, default_value: str,
                               evaluation_context: EvaluationContext | None = None) -> FlagResolutionDetails[str]:
        return self._variant(flag_key, default_value, str, evaluation_context)

    def resolve_integer_details(self, flag_key: str, default_value: int,
                                evaluation_context: EvaluationContext | None = None) -> FlagResolutionDetails[int]:
        return self._variant(flag_key, default_value, int, evaluation_context)

    def resolve_float_details(self, flag_key: str, default_value: float,
                              evaluation_context: EvaluationContext | None = None) -> FlagResolutionDetails[float]:
        return self._variant(flag_key, default_value, float, evaluation_context)

    def resolve_object_details(
        self, flag_key: str, default_value: Sequence[FlagValueType] | Mapping[str, FlagValueType],
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[Sequence[FlagValueType] | Mapping[str, FlagValueType]]:
        def parse(text: Any) -> Any:
            try:
                return json.loads(text) if isinstance(text, str) else text
            except json.JSONDecodeError as exc:
                raise ParseError(f"{flag_key}: variant payload is not JSON: {exc}") from None

        return self._variant(flag_key, default_value, parse, evaluation_context)


def probe(url: str, token: str, timeout: float = 5.0) -> str:
    """Why Unleash does not answer, in a few words: the client API's status, or the connection's
    error (for a message; UnleashClient only logs it)."""
    import requests

    try:
        resp = requests.get(f"{url}/client/features", headers={"Authorization": token}, timeout=timeout)
    except requests.RequestException as exc:
        return f"{type(exc).__name__}: {str(exc)[:160]}"
    if resp.status_code in (401, 403):
        return f"HTTP {resp.status_code}: the API token was refused (a client token of the environment is needed)"
    if resp.status_code == 404:
        return "HTTP 404: no Unleash client API at this URL (it usually ends in /api)"
    return f"HTTP {resp.status_code}"
