"""The DevTools client against Debian's real Chromium: errors become LiveError, never a hang."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flagdeck.errors import ExitCode, LiveError, UnsafeDebugPort
from flagdeck.storage import cdp
from tests.conftest import needs_chromium
from tests.engines.chromium import Chromium, free_port, port_of
from tests.live_support import listening_socket


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    from flagdeck.targets import launch

    started = Chromium(tmp_path_factory.mktemp("cdp"))
    try:
        # its page loaded: a test that starts while the first navigation commits sees its context destroyed
        launch.wait_ready(port_of(started), "file://", timeout=60)
        yield started
    finally:
        started.close()


@pytest.fixture
def session(browser: Chromium) -> Iterator[cdp.CDPSession]:
    with browser.session() as s:
        yield s


# --- pure helpers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("file:///tmp/page.html", "file://"),
        ("file://host/share/page.html", "file://"),
        ("https://example.com/a/b?c=d#e", "https://example.com"),
        ("https://example.com:443/", "https://example.com"),
        ("http://localhost:5173/index.html", "http://localhost:5173"),
        ("http://EXAMPLE.com:80/", "http://example.com"),
        ("https://user:secret@example.com:8443/x", "https://example.com:8443"),
        ("http://[::1]:8080/", "http://[::1]:8080"),
        ("app://./index.html", "app://."),
        ("about:blank", "about:blank"),
    ],
)
def test_url_origin(url: str, origin: str) -> None:
    assert cdp.url_origin(url) == origin


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_require_loopback_accepts(host: str) -> None:
    cdp.require_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.2", "10.0.0.1", "example.com", "", "localhost.evil"])
def test_require_loopback_refuses(host: str) -> None:
    with pytest.raises(UnsafeDebugPort) as err:
        cdp.require_loopback(host)
    assert err.value.exit_code == ExitCode.USAGE


def test_session_refuses_non_loopback_websocket() -> None:
    with pytest.raises(UnsafeDebugPort):
        cdp.CDPSession("ws://192.168.1.2:9222/devtools/page/X")


def test_nothing_listening_is_a_live_error() -> None:
    port = free_port()
    with pytest.raises(LiveError, match="no DevTools endpoint"):
        cdp.list_targets(port)
    with pytest.raises(LiveError, match="cannot open DevTools session"):
        cdp.CDPSession(f"ws://127.0.0.1:{port}/devtools/page/X", timeout=2)


def test_a_silent_peer_is_a_live_error_not_a_hang() -> None:
    # Something accepts the connection but never answers HTTP or the websocket handshake.
    with listening_socket() as port:
        start = time.monotonic()
        with pytest.raises(LiveError):
            cdp.http_json(port, "/json/list", timeout=0.5)
        with pytest.raises(LiveError):
            cdp.CDPSession(f"ws://127.0.0.1:{port}/devtools/page/X", timeout=0.5)
        assert time.monotonic() - start < 5


# --- against the browser -------------------------------------------------------------------------


@needs_chromium
def test_list_targets_and_version(browser: Chromium) -> None:
    pages = cdp.list_targets(port_of(browser))
    assert any(p.type == "page" and p.origin == "file://" for p in pages)
    assert all(p.ws_url.startswith(f"ws://127.0.0.1:{port_of(browser)}/") for p in pages)
    assert "Chrome/" in cdp.browser_version(port_of(browser))["User-Agent"]


@needs_chromium
def test_call_error_is_a_live_error(session: cdp.CDPSession) -> None:
    with pytest.raises(LiveError, match=r"No.Such.method|wasn't found"):
        session.call("No.Such.method")
    with pytest.raises(LiveError, match=r"Runtime.evaluate"):
        session.call("Runtime.evaluate", expression=42)
    assert session.evaluate("1 + 1") == 2  # the session survives protocol errors


@needs_chromium
def test_evaluate_values_and_exceptions(session: cdp.CDPSession) -> None:
    assert session.evaluate("({a: [1, 'x', null]})") == {"a": [1, "x", None]}
    assert session.evaluate("Promise.resolve('later')", await_promise=True) == "later"
    with pytest.raises(LiveError, match="page raised: Error: boom"):
        session.evaluate("throw new Error('boom')")
    with pytest.raises(LiveError, match="page raised"):
        session.evaluate("throw 'a string'")
    with pytest.raises(LiveError, match="page raised: SyntaxError"):
        session.evaluate("this is not javascript")
    with pytest.raises(LiveError, match="page raised"):
        session.evaluate("Promise.reject(new Error('async boom'))", await_promise=True)


@needs_chromium
def test_call_timeout_is_a_live_error(session: cdp.CDPSession) -> None:
    start = time.monotonic()
    with pytest.raises(LiveError, match=r"no answer from the page within 0.3 s"):
        session.call("Runtime.evaluate", timeout=0.3, expression="new Promise(() => {})", awaitPromise=True)
    assert time.monotonic() - start < 2


@needs_chromium
def test_wait_event_timeout_and_delivery(session: cdp.CDPSession) -> None:
    start = time.monotonic()
    with pytest.raises(LiveError, match=r"did not send Page.loadEventFired within 0.2 s"):
        session.wait_event("Page.loadEventFired", timeout=0.2)
    assert time.monotonic() - start < 1.5
    session.call("Page.enable")
    seen = session.event_count("Page.loadEventFired")
    session.call("Page.reload")
    event = session.wait_event("Page.loadEventFired", timeout=15, after=seen)
    assert "timestamp" in event["params"]


@needs_chromium
def test_faulty_listener_does_not_end_the_session(session: cdp.CDPSession) -> None:
    def broken(event: cdp.Event) -> None:
        raise RuntimeError("listener bug")

    session.add_listener(broken)
    session.call("Runtime.enable")  # replays console messages: events reach the broken listener
    session.evaluate("console.log('to the listener')")
    session.wait_event("Runtime.consoleAPICalled", timeout=5)
    assert session.evaluate("2 + 2") == 4
    assert not session.closed


@needs_chromium
def test_call_after_close_is_a_live_error(browser: Chromium) -> None:
    s = browser.session()
    s.close()
    assert s.closed
    with pytest.raises(LiveError, match="closed"):
        s.call("Runtime.evaluate", expression="1")


@needs_chromium
def test_killed_browser_is_a_live_error_not_a_hang(tmp_path: Path) -> None:
    with Chromium(tmp_path / "p") as doomed:
        s = doomed.session()
        s.call("Page.enable")
        import os
        import signal

        deadline = time.monotonic() + 15
        while s.evaluate("document.readyState") != "complete" and time.monotonic() < deadline:
            time.sleep(0.05)  # let the first page finish loading: its load event must not count
        seen = s.event_count("Page.loadEventFired")
        start = time.monotonic()
        os.killpg(doomed.proc.pid, signal.SIGKILL)
        with pytest.raises(LiveError, match=r"closed|lost"):
            s.wait_event("Page.loadEventFired", timeout=30, after=seen)
        with pytest.raises(LiveError, match=r"closed|lost"):
            s.call("Runtime.evaluate", expression="1")
        assert time.monotonic() - start < 10
        with pytest.raises(LiveError):
            cdp.list_targets(port_of(doomed))
        s.close()
