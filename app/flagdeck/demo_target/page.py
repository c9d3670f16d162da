"""The web page of the demo target: console forwarding, the host channel, the config script.

The page talks back to the host through its console: a line ``[DemoHost] <event> <json>`` is an
event for the host (``ready``, ``crash-requested``), every other line is forwarded to stdout so a
person sees the ``[FeatureFlags]`` lines. The console is the one channel that needs no extra
JavaScript library and works the same in a plain browser (where nobody listens).

The host's configuration (the ``--env`` layer, faults, seed size) reaches the page as
``window.__DEMO_CONFIG__``, set by a script injected at document creation: it survives reloads
(including ``Page.reload`` over DevTools) and, like Vite's ``import.meta.env``, is fixed for the
life of the process.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile, QWebEngineScript

HOST_PREFIX = "[DemoHost] "
CONSOLE_PREFIX = "[page"

_LEVELS = {
    QWebEnginePage.JavaScriptConsoleMessageLevel.InfoMessageLevel: "info",
    QWebEnginePage.JavaScriptConsoleMessageLevel.WarningMessageLevel: "warn",
    QWebEnginePage.JavaScriptConsoleMessageLevel.ErrorMessageLevel: "error",
}


def config_script(config: dict[str, Any]) -> QWebEngineScript:
    """A main-world script defining ``window.__DEMO_CONFIG__`` before any page script runs."""
    script = QWebEngineScript()
    script.setName("flagdeck-demo-config")
    script.setSourceCode(f"window.__DEMO_CONFIG__ = Object.freeze({json.dumps(config)});")
    script.setInjectionPoint(QWebEngineScript.InjectionPoint.DocumentCreation)
    script.setWorldId(QWebEngineScript.ScriptWorldId.MainWorld)
    script.setRunsOnSubFrames(False)
    return script


def parse_host_event(message: str) -> tuple[str, dict[str, Any]] | None:
    """``("ready", {...})`` for a host line, None for an ordinary console line."""
    if not message.startswith(HOST_PREFIX):
        return None
    event, _, payload = message[len(HOST_PREFIX) :].partition(" ")
    try:
        data = json.loads(payload) if payload.strip() else {}
    except ValueError:
        data = {"raw": payload}
    return event, data if isinstance(data, dict) else {"value": data}


class DemoPage(QWebEnginePage):
    """A page that forwards its console to stdout and turns host lines into ``hostEvent``."""

    hostEvent = Signal(str, dict)

    def __init__(
        self, profile: QWebEngineProfile, config: dict[str, Any], emit: Callable[[str, bool], None]
    ) -> None:
        super().__init__(profile)
        self._emit = emit  # (line, is_error)
        self.scripts().insert(config_script(config))

    def javaScriptConsoleMessage(
        self, level: QWebEnginePage.JavaScriptConsoleMessageLevel, message: str, line: int, source: str
    ) -> None:
        event = parse_host_event(message)
        if event is not None:
            self.hostEvent.emit(*event)
            return
        text = message.replace("\r", "").replace("\n", "\\n")
        name = _LEVELS.get(level, "log")
        self._emit(f"{CONSOLE_PREFIX}:{name}] {text}", name == "error")
