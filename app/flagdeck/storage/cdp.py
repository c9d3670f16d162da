"""A minimal Chrome DevTools Protocol client over ``websockets`` (sync API, one reader thread).

Only loopback addresses are accepted here; whether the listener is the target's own process is
checked one level up (``live_store.connect_live``), before anything is sent.

Usage::

    targets = list_targets(9222)
    with CDPSession(targets[0].ws_url) as cdp:
        cdp.call("Runtime.enable")
        cdp.call("Page.reload")
        cdp.wait_event("Page.loadEventFired", timeout=10)
"""

from __future__ import annotations

import http.client
import ipaddress
import itertools
import json
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import urlparse

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from flagdeck.errors import LiveError, UnsafeDebugPort
from flagdeck.storage.origins import url_origin

LOOPBACK = "127.0.0.1"
Event = dict[str, Any]


def require_loopback(host: str) -> None:
    """Refuse anything but a loopback address: a debug port gives full control of the app."""
    name = host.strip("[]")
    if name == "localhost":
        return
    try:
        ok = ipaddress.ip_address(name).is_loopback
    except ValueError:
        ok = False
    if not ok:
        raise UnsafeDebugPort(
            f"refusing DevTools at {host}: flagdeck only talks to a debug port on loopback",
            hint="start the app with its debug port bound to 127.0.0.1",
        )


@dataclass(frozen=True)
class PageTarget:
    id: str
    type: str
    url: str
    title: str
    ws_url: str

    @property
    def origin(self) -> str:
        return url_origin(self.url)




def http_json(port: int, path: str, host: str = LOOPBACK, timeout: float = 3.0) -> Any:
    require_loopback(host)
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise LiveError(f"DevTools at {host}:{port}{path} answered HTTP {resp.status}")
        return json.loads(body)
    except (OSError, http.client.HTTPException, json.JSONDecodeError) as exc:
        raise LiveError(f"no DevTools endpoint at {host}:{port} ({exc})") from exc
    finally:
        conn.close()


def list_targets(port: int, host: str = LOOPBACK) -> list[PageTarget]:
    """Pages (type ``page``/``app``/``webview``) the browser on ``port`` shows."""
    raw = http_json(port, "/json/list", host)
    out = []
    for item in raw:
        if item.get("type") in ("page", "app", "webview") and item.get("webSocketDebuggerUrl"):
            ws_url = item["webSocketDebuggerUrl"]
            require_loopback(urlparse(ws_url).hostname or "")
            out.append(PageTarget(item["id"], item["type"], item.get("url", ""), item.get("title", ""), ws_url))
    return out


def browser_version(port: int, host: str = LOOPBACK) -> dict[str, Any]:
    return dict(http_json(port, "/json/version", host))


class CDPSession:
    """One DevTools websocket. ``call`` is thread-safe; events are buffered per method."""

    def __init__(self, ws_url: str, *, timeout: float = 10.0, buffer_events: bool = True) -> None:
        """``buffer_events=False``: events only reach listeners (a long-lived watch, e.g. the tray,
        must not keep every event it ever saw)."""
        require_loopback(urlparse(ws_url).hostname or "")
        self.ws_url = ws_url
        self.timeout = timeout
        self.buffer_events = buffer_events
        try:
            self._ws = connect(ws_url, max_size=None, open_timeout=timeout, close_timeout=2).__enter__()
        except Exception as exc:  # OSError, timeouts, InvalidHandshake & co. (a non-DevTools peer)
            raise LiveError(f"cannot open DevTools session {ws_url}: {exc}") from exc
        self._ids = itertools.count(1)
        self._pending: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._events: dict[str, list[Event]] = {}
        self._event_cond = threading.Condition()
        self._listeners: list[Callable[[Event], None]] = []
        self._closed = threading.Event()
        self._reader = threading.Thread(target=self._read_loop, name="cdp-reader", daemon=True)
        self._reader.start()

    # --- plumbing -----------------------------------------------------------------------------

    def _read_loop(self) -> None:
        try:
            for raw in self._ws:
                msg = json.loads(raw)
                if "id" in msg:
                    with self._lock:
                        waiter = self._pending.pop(msg["id"], None)
                    if waiter is not None:
                        waiter.put(msg)
                elif "method" in msg:
                    if self.buffer_events:
                        with self._event_cond:
                            self._events.setdefault(msg["method"], []).append(msg)
                            self._event_cond.notify_all()
                    for listener in list(self._listeners):
                        try:
                            listener(msg)
                        except Exception:  # a faulty listener must not end the session
                            continue
        except (ConnectionClosed, OSError, ValueError):
            pass
        finally:
            self._closed.set()
            with self._lock:
                waiters = list(self._pending.values())
                self._pending.clear()
            for waiter in waiters:
                waiter.put({"error": {"message": "DevTools connection closed"}})
            with self._event_cond:
                self._event_cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def call(self, method: str, timeout: float | None = None, **params: Any) -> dict[str, Any]:
        """Send a command and wait for its result; a protocol error raises ``LiveError``."""
        if self.closed:
            raise LiveError(f"DevTools connection closed (calling {method})")
        msg_id = next(self._ids)
        waiter: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=1)
        with self._lock:
            self._pending[msg_id] = waiter
        if self.closed:  # closed after the first check: the reader will never answer this one
            with self._lock:
                self._pending.pop(msg_id, None)
            raise LiveError(f"DevTools connection closed (calling {method})")
        try:
            self._ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        except (ConnectionClosed, OSError) as exc:
            with self._lock:
                self._pending.pop(msg_id, None)
            raise LiveError(f"DevTools connection lost calling {method}: {exc}") from exc
        try:
            reply = waiter.get(timeout=timeout or self.timeout)
        except queue.Empty:
            with self._lock:
                self._pending.pop(msg_id, None)
            raise LiveError(f"{method}: no answer from the page within {timeout or self.timeout:g} s") from None
        if "error" in reply:
            err = reply["error"]
            raise LiveError(f"{method}: {err.get('message', err)}")
        return dict(reply.get("result", {}))

    def evaluate(self, expression: str, *, await_promise: bool = False, timeout: float | None = None) -> Any:
        """``Runtime.evaluate`` returning the value by JSON; a thrown exception raises ``LiveError``."""
        res = self.call(
            "Runtime.evaluate",
            timeout=timeout,
            expression=expression,
            returnByValue=True,
            awaitPromise=await_promise,
        )
        if "exceptionDetails" in res:
            details = res["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text", "exception")
            raise LiveError(f"page raised: {text.splitlines()[0]}")
        return res.get("result", {}).get("value")

    # --- events -------------------------------------------------------------------------------

    def add_listener(self, listener: Callable[[Event], None]) -> None:
        """Call ``listener(event)`` on the reader thread for every event (keep it short)."""
        self._listeners.append(listener)

    def events(self, method: str) -> list[Event]:
        with self._event_cond:
            return list(self._events.get(method, []))

    def clear_events(self, *, prefix: str) -> None:
        """Drop the buffered events of every method starting with ``prefix``."""
        with self._event_cond:
            for name in [m for m in self._events if m.startswith(prefix)]:
                del self._events[name]

    def wait_event(
        self, method: str, *, timeout: float = 10.0, predicate: Callable[[Event], bool] | None = None,
        after: int = 0,
    ) -> Event:
        """The first buffered ``method`` event at index >= ``after`` that matches, waiting for it."""
        deadline = time.monotonic() + timeout
        with self._event_cond:
            while True:
                for event in self._events.get(method, [])[after:]:
                    if predicate is None or predicate(event):
                        return event
                if self.closed:
                    raise LiveError(f"DevTools connection closed while waiting for {method}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise LiveError(f"page did not send {method} within {timeout:g} s")
                self._event_cond.wait(remaining)

    def event_count(self, method: str) -> int:
        with self._event_cond:
            return len(self._events.get(method, []))

    # --- lifetime -----------------------------------------------------------------------------

    def close(self) -> None:
        try:
            self._ws.close()
        except Exception:  # closing a broken socket: nothing left to save
            pass
        self._reader.join(timeout=3)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
