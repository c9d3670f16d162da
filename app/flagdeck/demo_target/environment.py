"""Process environment QtWebEngine reads once, at start-up: set it before any QtWebEngine import.

QtWebEngine takes its DevTools address (``QTWEBENGINE_REMOTE_DEBUGGING``), its Chromium switches
(``QTWEBENGINE_CHROMIUM_FLAGS``) and the Qt platform plugin from the environment; changing them
after the engine started has no effect. Pure functions over a mapping, so they are testable.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import MutableMapping

from flagdeck.demo_target.options import DemoOptions, has_display

DEBUG_ENV = "QTWEBENGINE_REMOTE_DEBUGGING"
FLAGS_ENV = "QTWEBENGINE_CHROMIUM_FLAGS"

# Precise performance.memory numbers, so health().heapMB can show a leak within seconds
# (Chromium otherwise quantises them and refreshes them every 20 minutes).
_EXTRA_SWITCHES = ("--enable-precise-memory-info",)


def running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def chromium_flags(existing: str, *, as_root: bool, debug_port: int = 0) -> str:
    """The user's Chromium switches plus ours (a user's own switch of the same name wins).

    ``--no-sandbox`` as root (Chromium refuses to sandbox then). With a debug port, only the
    port's own origin may open DevTools websockets: QtWebEngine otherwise adds
    ``--remote-allow-origins=*``, which lets any web page in a local browser drive the app.
    Clients that send no Origin header (flagdeck's CDP client) are not affected.
    """
    flags = shlex.split(existing)
    wanted = list(_EXTRA_SWITCHES) + (["--no-sandbox"] if as_root else [])
    if debug_port:
        wanted.append(f"--remote-allow-origins=http://127.0.0.1:{debug_port}")
    present = {flag.split("=", 1)[0] for flag in flags}
    flags += [flag for flag in wanted if flag.split("=", 1)[0] not in present]
    return shlex.join(flags)


def prepare_environment(opts: DemoOptions, environ: MutableMapping[str, str] | None = None) -> None:
    """Set the platform plugin, the DevTools address (loopback only) and the Chromium switches."""
    env = os.environ if environ is None else environ
    offscreen = opts.show is False or (opts.show is None and not has_display())
    if offscreen:
        env["QT_QPA_PLATFORM"] = "offscreen"
    if opts.debug_port:
        env[DEBUG_ENV] = f"127.0.0.1:{opts.debug_port}"
    else:
        env.pop(DEBUG_ENV, None)
    env[FLAGS_ENV] = chromium_flags(env.get(FLAGS_ENV, ""), as_root=running_as_root(), debug_port=opts.debug_port)
