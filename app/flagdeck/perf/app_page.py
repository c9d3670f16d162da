"""The page a comparison measures: which origin it is on, and when the app in it is ready.

After a reload the load event is not enough: an app like the demo target (or Cherry Studio)
opens its database and mounts its UI afterwards, and a workload started earlier would time the
start-up. The preset's ``[app] ready`` expression says when it is done.
"""

from __future__ import annotations

import time

from flagdeck import access
from flagdeck.errors import LiveError, OriginError
from flagdeck.probe.page import PageProbe
from flagdeck.storage.live_store import LiveStore
from flagdeck.targets import launch, presets
from flagdeck.targets.resolve import DEFAULT_PRESET as DEMO_PRESET
from flagdeck.targets.resolve import Target


def wait_ready(page: PageProbe, ready_js: str | None, timeout: float) -> None:
    """Until the document is complete and the app says it is ready (the preset's expression)."""
    expression = f"document.readyState === 'complete' && !!({ready_js or 'true'})"
    deadline = time.monotonic() + timeout
    while True:
        try:
            if page.evaluate(expression) is True:
                return
        except LiveError:
            pass  # the new document is not there yet
        if time.monotonic() > deadline:
            raise LiveError(f"the page was not ready {timeout:g} s after the reload")
        time.sleep(0.01)


def ready_expression(target: Target) -> str | None:
    """The preset's "app finished starting" expression; a demo target's profile (it leaves
    ``demo-target.json``) gets the demo preset's even when named by ``--user-data-dir`` only."""
    if target.preset and target.preset.ready_js:
        return target.preset.ready_js
    if launch.demo_state(target) is not None:
        return presets.get(DEMO_PRESET).ready_js
    return None


def page_origin(target: Target, store: LiveStore) -> str:
    """The origin to compare on: the one holding the flags, else the app's only origin (a flag its
    build env turned on is stored nowhere yet)."""
    origin = access.resolve_origin(store, target) or access.sole_origin(store, target)
    if origin is not None:
        return origin
    origins = store.page_origins()
    raise OriginError(f"no origin holds {target.storage_key} and {len(origins)} origins have pages open",
                      hint=f"pick one with --origin ({', '.join(origins) or 'no page open'})")
