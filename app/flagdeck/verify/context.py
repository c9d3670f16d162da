"""What checks read: the target, its store, its live page (when there is one), the expectations and
the baseline captured before a rollback."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from flagdeck.errors import FlagdeckError, LiveError
from flagdeck.probe.page import PageProbe
from flagdeck.storage.store import LocalStorageStore
from flagdeck.targets.resolve import Target

PROBES = "demoProbes"
BOOT = "__demoBoot"  # {state: 'booting' | 'ready' | ...}: set first thing, before the probes
BOOT_WAIT = 20.0  # seconds a booting page may take to expose its probes


@dataclass
class Baseline:
    """The app's data as captured before a change: IndexedDB entry counts (any app) and, where the
    app exposes probes, what its data path returned (``visibleCounts``/``digest``)."""

    indexeddb: dict[str, dict[str, int]] | None = None  # None: not captured ({}: no databases)
    visible: dict[str, Any] | None = None
    digest: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"indexeddb": self.indexeddb, "visible": self.visible, "digest": self.digest}


@dataclass
class VerifyContext:
    target: Target
    store: LocalStorageStore
    origin: str | None
    page: PageProbe | None = None
    page_error: str | None = None  # why there is no page, when live mode found none
    port_open: bool = False  # the app's debug port answers (so a missing page means a dead renderer)
    app_pid: int | None = None
    expect: dict[str, Any] = field(default_factory=dict)
    baseline: Baseline | None = None
    window: float = 3.0
    full: bool = False
    fast: bool = False  # the rollback's quick pass: shorter windows and bursts, cheap data checks
    watch_cache: Any = None  # one sampling window shared by the memory and CPU checks
    opened_at: float = 0.0  # monotonic time the page was attached (reload-loop watch starts here)
    navigations_at_open: int = 0
    _probes: bool | None = None

    @property
    def has_probes(self) -> bool:
        """Whether the page exposes ``window.demoProbes`` (the demo target, or an app that ships them)."""
        if self.page is None:
            return False
        if self._probes is None:
            try:
                self._probes = self.page.exposes(PROBES) or self._probes_after_boot()
            except FlagdeckError:
                self._probes = False
        return self._probes

    def _probes_after_boot(self, timeout: float = BOOT_WAIT) -> bool:
        """An app speaking the probes protocol says where its start is (``window.__demoBoot``): the
        probes come before it is ready, so a page still booting is waited for (a target without a
        preset has no ``ready`` expression to wait on). An app without the marker costs one call."""
        assert self.page is not None
        deadline = time.monotonic() + timeout
        while self.page.evaluate(f"!!window.{BOOT} && window.{BOOT}.state === 'booting'") is True:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return self.page.exposes(PROBES)

    def probe(self, name: str, *args: Any, timeout: float = 30.0) -> dict[str, Any]:
        """``await demoProbes.<name>(...args)`` → dict (probes never reject; they say ``ok``)."""
        assert self.page is not None
        arg_text = ", ".join(json.dumps(a) for a in args)
        value = self.page.evaluate(f"window.{PROBES}.{name}({arg_text})", await_promise=True, timeout=timeout)
        if not isinstance(value, dict):
            raise LiveError(f"{PROBES}.{name} returned {type(value).__name__}, not an object")
        return value
