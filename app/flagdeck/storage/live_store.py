"""Live localStorage: the app runs with a DevTools port; read and write it through its open pages.

Open with :func:`connect_live`, which is the security gate: a debug port gives whoever connects
full control of the app and any local user can reach a loopback port, so before a single DevTools
message is sent it checks the host is loopback, the listener is bound to loopback only, and the
listener is the app that owns the profile (it holds the LevelDB ``LOCK``) or, without a profile,
a process of the expected name run by this user.

How the store talks to the page (checked on Chromium 156 and QtWebEngine 6.12 / Chromium 140):
``DOMStorage.getDOMStorageItems`` / ``setDOMStorageItem`` / ``removeDOMStorageItem`` answer only on
a session of a page that has a frame of that origin (else "Frame not found for the given storage
id"), with either ``securityOrigin`` (``file://``) or ``storageKey`` (``file:///``); no
``DOMStorage.enable`` is needed (and it is avoided: it streams every storage change, secrets
included, to us). Right after start or during a navigation the frame may be missing for a moment,
so a failing call is retried with the other id, then through ``Runtime.evaluate`` of
``localStorage`` guarded by ``location.origin``, until a short deadline. Values are JS strings and
round-trip exactly (NUL, lone surrogates, astral characters) on both paths.

Limits a caller must know:

- Live mode only sees origins that have a page open (``origins()`` lists those with entries).
- A write is in the app's memory when ``put`` returns, and the page sees it at once; Chromium
  commits localStorage to disk seconds later (5 s, then 24-40 s and more under its rate limiter)
  and at a graceful exit. A crash or kill before then loses it. :meth:`LiveStore.make_durable`
  confirms it on disk (parking the page makes Chromium commit at once; see ``durable``).
- The page reads flags once at load: call :meth:`LiveStore.reload` after writing.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Self

from flagdeck.errors import FlagdeckError, LiveError, NoDebugPort, OriginError, UnsafeDebugPort, UsageError
from flagdeck.storage import cdp, durable
from flagdeck.storage.cdp import CDPSession, PageTarget
from flagdeck.storage.store import Entry, Mode
from flagdeck.targets import process
from flagdeck.targets.process import Listener, ProcInfo

_RETRY_WINDOW = 3.0  # seconds a page of the origin may lack its frame (startup, navigation)
_RETRY_PAUSE = 0.1



# --- finding the port ------------------------------------------------------------------------------


# --- the gate --------------------------------------------------------------------------------------


def connect_live(
    port: int,
    *,
    host: str = cdp.LOOPBACK,
    leveldb_dir: Path | None,
    process_names: Sequence[str] = (),
    timeout: float = 10.0,
) -> LiveStore:
    """Check that ``host:port`` is the app's own loopback DevTools port, then open a store on it.

    Raises ``UnsafeDebugPort`` (exit 2) when the port is not provably the app's, ``NoDebugPort``
    (a ``LiveError``) when nothing listens, so the caller can fall back to offline mode.
    """
    owner = check_debug_port(port, host=host, leveldb_dir=leveldb_dir, process_names=process_names)
    return LiveStore(port, host=host, owner=owner, leveldb_dir=leveldb_dir, timeout=timeout)


def check_debug_port(
    port: int, *, host: str = cdp.LOOPBACK, leveldb_dir: Path | None, process_names: Sequence[str] = ()
) -> ProcInfo:
    """The gate without connecting: returns the listening process when it may be talked to."""
    cdp.require_loopback(host)
    listener = _listener(port, host)
    if listener.exposed:
        raise UnsafeDebugPort(
            f"port {port} is bound to {', '.join(listener.exposed)}, reachable from other machines; "
            "flagdeck only uses a debug port bound to loopback",
            hint="restart the app with its debug port on 127.0.0.1",
        )
    owner = _owner(port, listener)
    if leveldb_dir is not None:
        _check_holds_profile(port, owner, Path(leveldb_dir))
    elif process_names:
        _check_names(port, owner, process_names)
    else:
        raise UnsafeDebugPort(
            f"cannot tell whether port {port} belongs to the app ({_who(owner)} listens)",
            hint="pass --user-data-dir or --target so flagdeck can check who owns the port",
        )
    return owner


def _listener(port: int, host: str) -> Listener:
    listener = process.port_listener(port)
    if listener is not None:
        return listener
    if process.port_accepts(port, host.strip("[]")):
        raise UnsafeDebugPort(
            f"something listens on port {port} but flagdeck cannot tell which process",
            hint="run flagdeck as the user who runs the app",
        )
    raise NoDebugPort(
        f"nothing listens on {host}:{port}: the app is closed or has no debug port",
        hint="offline mode works when the app is closed",
    )


def _owner(port: int, listener: Listener) -> ProcInfo:
    if len(listener.pids) > 1:
        pids = ", ".join(str(p) for p in listener.pids)
        raise UnsafeDebugPort(f"port {port} has several listening processes ({pids}); refusing to guess")
    info = ProcInfo.of(listener.pid) if listener.pid is not None else None
    if info is None:
        raise UnsafeDebugPort(
            f"cannot tell which process listens on port {port} (another user's?)",
            hint="run flagdeck as the user who runs the app",
        )
    return info


def _check_holds_profile(port: int, owner: ProcInfo, leveldb_dir: Path) -> None:
    lock = leveldb_dir / "LOCK"
    if not process.lock_probe(lock):
        raise UnsafeDebugPort(
            f"port {port} belongs to {_who(owner)}, not the app that owns {leveldb_dir} "
            "(nobody holds its LOCK: is the app running on that profile?)"
        )
    holder = process.lock_holder(lock)
    if holder is None:
        raise UnsafeDebugPort(f"cannot tell which process holds {lock}; refusing port {port}")
    if not process.same_app(owner.pid, holder.pid):
        raise UnsafeDebugPort(
            f"port {port} belongs to {_who(owner)}, not the app that owns {leveldb_dir} "
            f"({_who(holder)} holds it)"
        )


def _check_names(port: int, owner: ProcInfo, names: Sequence[str]) -> None:
    if not process.name_matches(owner, names):
        raise UnsafeDebugPort(f"port {port} belongs to {_who(owner)}, not to {' / '.join(names)}")
    uid = process.uid_of(owner.pid)
    getuid = getattr(os, "getuid", None)
    if uid is not None and getuid is not None and uid != getuid():
        raise UnsafeDebugPort(f"port {port} belongs to {_who(owner)}, run by another user (uid {uid})")


def _who(info: ProcInfo) -> str:
    return f"{info.name} (pid {info.pid})"


# --- the store -------------------------------------------------------------------------------------


def storage_ids(origin: str) -> list[dict[str, Any]]:
    """The two spellings of a localStorage ``StorageId`` (old ``securityOrigin``, new ``storageKey``)."""
    return [
        {"securityOrigin": origin, "isLocalStorage": True},
        {"storageKey": origin.rstrip("/") + "/", "isLocalStorage": True},
    ]


_GUARD = (
    "const o = {origin}; if (!(location.origin === o || (o === 'file://' && location.protocol === 'file:')))"
    " throw new Error('the page is no longer on ' + o);"
)
_ITEMS_JS = (
    "(() => {{ " + _GUARD + " const out = []; for (let i = 0; i < localStorage.length; i++)"
    " {{ const k = localStorage.key(i); out.push([k, localStorage.getItem(k)]); }} return out; }})()"
)
_SET_JS = "(() => {{ " + _GUARD + " localStorage.setItem({key}, {value}); return true; }})()"
_REMOVE_JS = "(() => {{ " + _GUARD + " localStorage.removeItem({key}); return true; }})()"


def _js(text: str) -> str:
    """A JS string literal (JSON is valid JS; lone surrogates are escaped, so they survive)."""
    return json.dumps(text)


class LiveStore:
    """localStorage of a running app through its DevTools port (use :func:`connect_live`).

    Holds one DevTools session per page it has used; :meth:`close` closes them. Use it from one
    thread at a time (the UI's worker).
    ``use_domstorage`` turns False (``Runtime.evaluate`` only) when the engine's DOMStorage domain
    is missing or broken; tests set it to exercise that path.
    """

    mode: Mode = "live"

    def __init__(
        self, port: int, *, host: str = cdp.LOOPBACK, owner: ProcInfo | None = None,
        leveldb_dir: Path | None = None, timeout: float = 10.0,
    ) -> None:
        cdp.require_loopback(host)
        self.port = port
        self.host = host
        self.owner = owner
        self.leveldb_dir = leveldb_dir
        self.timeout = timeout
        self.use_domstorage = True
        who = f" ({_who(owner)})" if owner else ""
        self.location = f"DevTools {host}:{port}{who}"
        self._pages: list[PageTarget] | None = None
        self._sessions: dict[str, CDPSession] = {}
        self._id_order = [0, 1]  # which storage_ids spelling to try first; the one that worked

    # --- pages and sessions -------------------------------------------------------------------

    def pages(self, *, refresh: bool = False) -> list[PageTarget]:
        """Open pages whose URL has a storage origin (``about:blank``, ``chrome://``... left out)."""
        if self._pages is None or refresh:
            self._pages = [p for p in cdp.list_targets(self.port, self.host) if _has_storage(p.origin)]
            self._drop_sessions_of_closed_pages({p.id for p in self._pages})
        return list(self._pages)

    def _drop_sessions_of_closed_pages(self, open_ids: set[str]) -> None:
        for page_id in [i for i in self._sessions if i not in open_ids]:
            self._sessions.pop(page_id).close()

    def page_origins(self) -> list[str]:
        """Origins of the open pages, with or without entries, sorted."""
        return sorted({p.origin for p in self.pages(refresh=True)})

    def _pages_of(self, origin: str, *, refresh: bool = False) -> list[PageTarget]:
        found = [p for p in self.pages(refresh=refresh) if p.origin == origin]
        if not found and not refresh:
            found = [p for p in self.pages(refresh=True) if p.origin == origin]
        if not found:
            raise OriginError(
                f"no open page of {origin} in the app (live mode only sees origins with a page open)",
                hint=f"open pages: {', '.join(self.page_origins()) or 'none'}",
            )
        return found

    def _session(self, page: PageTarget) -> CDPSession:
        session = self._sessions.get(page.id)
        if session is None or session.closed:
            session = CDPSession(page.ws_url, timeout=self.timeout)
            self._sessions[page.id] = session
        return session

    def page_session(self, origin: str) -> CDPSession:
        """The DevTools session of the first open page of ``origin`` (for probes, capture, perf).

        It is this store's own session, past the same gate; do not close it (``close`` does).
        """
        return self._session(self._pages_of(origin)[0])

    # --- one operation, with its fallbacks ----------------------------------------------------

    def _run[T](
        self, origin: str, dom: Callable[[CDPSession, dict[str, Any]], T], js: Callable[[CDPSession], T],
        *, js_only: bool = False,
    ) -> T:
        """Run ``dom`` with each StorageId spelling, then ``js``, on a page of ``origin``.

        Retries for a short while (re-listing pages) because a page that is starting or navigating
        has no frame of its origin yet; an OriginError (no page at all) is raised at once.
        """
        deadline = time.monotonic() + min(self.timeout, _RETRY_WINDOW)
        refresh = False
        while True:
            page = self._pages_of(origin, refresh=refresh)[0]
            try:
                return self._attempt(page, dom, js, js_only=js_only)
            except LiveError as exc:
                if time.monotonic() >= deadline:
                    raise LiveError(f"cannot reach localStorage of {origin}: {exc.message}") from None
            refresh = True
            time.sleep(_RETRY_PAUSE)

    def _attempt[T](
        self, page: PageTarget, dom: Callable[[CDPSession, dict[str, Any]], T], js: Callable[[CDPSession], T],
        *, js_only: bool = False,
    ) -> T:
        session = self._session(page)
        last: LiveError | None = None
        if self.use_domstorage and not js_only:
            ids = storage_ids(page.origin)
            for index in list(self._id_order):
                try:
                    result = dom(session, ids[index])
                except LiveError as exc:
                    last = exc
                    if "wasn't found" in exc.message:  # no DOMStorage domain in this engine
                        self.use_domstorage = False
                        break
                    continue
                if self._id_order[0] != index:
                    self._id_order = [index, 1 - index]
                return result
        try:
            return js(session)
        except LiveError as exc:
            if last is None:
                raise
            raise LiveError(f"{last.message}; through Runtime.evaluate: {exc.message}") from None

    # --- reading ------------------------------------------------------------------------------

    def _items(self, origin: str) -> list[tuple[str, str]]:
        def dom(session: CDPSession, storage_id: dict[str, Any]) -> list[tuple[str, str]]:
            entries = session.call("DOMStorage.getDOMStorageItems", storageId=storage_id).get("entries", [])
            return [(str(k), str(v)) for k, v in entries]

        def js(session: CDPSession) -> list[tuple[str, str]]:
            entries = session.evaluate(_ITEMS_JS.format(origin=_js(origin))) or []
            return [(str(k), str(v)) for k, v in entries]

        return self._run(origin, dom, js)

    def origins(self) -> list[str]:
        """Origins of the open pages that have at least one entry, sorted (only open pages are seen)."""
        return [o for o in self.page_origins() if self._items(o)]

    def origins_with_key(self, key: str) -> list[str]:
        return [o for o in self.page_origins() if any(k == key for k, _ in self._items(o))]

    def entries(self, origin: str) -> list[Entry]:
        """Every entry of ``origin`` (sorted by key); live entries have no raw bytes."""
        return [Entry(k, v) for k, v in sorted(self._items(origin))]

    def get(self, origin: str, key: str) -> str | None:
        return next((v for k, v in self._items(origin) if k == key), None)

    # --- writing ------------------------------------------------------------------------------

    def put(self, origin: str, key: str, value: str | None) -> None:
        """Set ``key`` (``None`` removes it) in the running app; other entries untouched.

        The page sees it at once; the disk has it a few seconds later or at a graceful exit
        (see :meth:`make_durable`).
        """
        if not isinstance(key, str) or (value is not None and not isinstance(value, str)):
            raise UsageError("localStorage keys and values are strings")

        def dom(session: CDPSession, storage_id: dict[str, Any]) -> None:
            if value is None:
                session.call("DOMStorage.removeDOMStorageItem", storageId=storage_id, key=key)
            else:
                session.call("DOMStorage.setDOMStorageItem", storageId=storage_id, key=key, value=value)

        def js(session: CDPSession) -> None:
            if value is None:
                session.evaluate(_REMOVE_JS.format(origin=_js(origin), key=_js(key)))
            else:
                session.evaluate(_SET_JS.format(origin=_js(origin), key=_js(key), value=_js(value)))

        self._run(origin, dom, js)

    def put_raw(self, origin: str, entry: Entry) -> None:
        """Put ``entry`` back by its strings: the browser picks the on-disk encoding itself."""
        self.put(origin, entry.key, entry.value)

    def put_many(self, origin: str, changes: Sequence[tuple[str, str | None]]) -> None:
        """Apply every ``(key, value-or-None)`` in one task of the page: no script of the app runs
        between them, so the app never sees half of the change."""
        if len(changes) == 1:
            self.put(origin, *changes[0])
            return
        ops = json.dumps([[k, v] for k, v in changes])
        script = ("(() => {{ " + _GUARD + " for (const [k, v] of {ops}) {{ if (v === null) localStorage.removeItem(k);"
                  " else localStorage.setItem(k, v); }} return true; }})()")

        def js(session: CDPSession) -> None:
            session.evaluate(script.format(origin=_js(origin), ops=ops))

        self._run(origin, lambda session, _id: js(session), js, js_only=True)

    # --- reload and durability ----------------------------------------------------------------

    def reload(self, origin: str | None = None, *, timeout: float = 30.0) -> float:
        """Reload every open page of ``origin`` (all pages when None); seconds until all have loaded."""
        pages = self._pages_of(origin, refresh=True) if origin else self.pages(refresh=True)
        if not pages:
            raise OriginError("no open page to reload")
        start = time.monotonic()
        started: list[tuple[CDPSession, int]] = []
        try:
            for page in pages:
                session = self._session(page)
                session.call("Page.enable")
                seen = session.event_count("Page.loadEventFired")
                session.call("Page.reload")
                started.append((session, seen))
            for session, seen in started:
                remaining = max(0.01, start + timeout - time.monotonic())
                session.wait_event("Page.loadEventFired", timeout=remaining, after=seen)
        finally:
            for session, _ in started:
                _quiet_page_events(session)
        self._pages = None
        return time.monotonic() - start

    def park(self, origin: str, *, timeout: float = 15.0) -> Parked:
        """Move every open page of ``origin`` to a blank page of another origin, so the app's
        storage area loses its last binding and Chromium commits it to disk at once.

        The pages' history is reset too (a page kept in the back/forward cache would still hold
        the storage). :meth:`Parked.restore` loads each page's own URL again: that is the reload.
        """
        pages = self._pages_of(origin, refresh=True)
        parked = Parked(self, [(p, p.url) for p in pages])
        try:
            for page in pages:
                session = self._session(page)
                session.call("Page.enable")
                seen = session.event_count("Page.loadEventFired")
                session.call("Page.navigate", url=_PARK_URL)
                session.wait_event("Page.loadEventFired", timeout=timeout, after=seen)
                session.call("Page.resetNavigationHistory")
                parked.moved.append(page)
        except BaseException:
            try:
                parked.restore()
            except FlagdeckError:
                pass
            raise
        self._pages = None
        return parked

    def make_durable(self, origin: str, expected: dict[str, str | None], *, reload: bool,
                     timeout: float = durable.DEFAULT_TIMEOUT) -> tuple[durable.Durability, float | None]:
        """Confirm that the app's disk holds ``expected`` for ``origin``; (durability, reload seconds).

        ``reload``: park the origin's pages so Chromium commits now, read the disk, then load them
        again (the page's reload). Otherwise wait for Chromium's own commit, up to ``timeout``.
        """
        if self.leveldb_dir is None:
            return durable.unconfirmed(), (self.reload(origin) if reload else None)
        if not reload:
            how = "Chromium's own delayed commit"
            waited = durable.wait_on_disk(self.leveldb_dir, origin, expected, timeout=timeout)
            return (durable.memory_only(timeout, how) if waited is None else durable.on_disk(waited, how)), None
        how = "committed at once: the page parked on a blank page"
        start = time.monotonic()
        parked = self.park(origin)
        try:
            waited = durable.wait_on_disk(self.leveldb_dir, origin, expected, timeout=timeout)
            seconds = time.monotonic() - start
        finally:
            reload_seconds = parked.restore()
        return (durable.memory_only(timeout, how) if waited is None else durable.on_disk(seconds, how)), reload_seconds

    # --- lifetime -----------------------------------------------------------------------------

    def close(self) -> None:
        sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_PARK_URL = "data:text/html,<!doctype html><title>flagdeck</title><p>flagdeck: saving the app's flags…</p>"


class Parked:
    """Pages :meth:`LiveStore.park` moved away, with the URLs to bring them back to."""

    def __init__(self, store: LiveStore, pages: list[tuple[PageTarget, str]]) -> None:
        self.store = store
        self.pages = pages
        self.moved: list[PageTarget] = []
        self.restored = False

    def restore(self, timeout: float = 30.0) -> float:
        """Load every parked page's own URL again; seconds until all have loaded. Idempotent."""
        if self.restored:
            return 0.0
        self.restored = True
        start = time.monotonic()
        started: list[tuple[CDPSession, int]] = []
        errors: list[str] = []
        try:
            for page, url in self.pages:
                if page not in self.moved:
                    continue
                try:
                    session = self.store._session(page)
                    session.call("Page.enable")
                    seen = session.event_count("Page.loadEventFired")
                    session.call("Page.navigate", url=url)
                    started.append((session, seen))
                except LiveError as exc:
                    errors.append(f"{url}: {exc.message}")
            for session, seen in started:
                remaining = max(0.01, start + timeout - time.monotonic())
                try:
                    session.wait_event("Page.loadEventFired", timeout=remaining, after=seen)
                except LiveError as exc:
                    errors.append(exc.message)
        finally:
            for session, _ in started:
                _quiet_page_events(session)
            self.store._pages = None
        if errors:
            raise LiveError(f"could not bring the app's page back: {'; '.join(errors)}",
                            hint="reload the app's window (or restart the app)")
        return time.monotonic() - start


def _has_storage(origin: str) -> bool:
    scheme, sep, _ = origin.partition("://")
    return bool(sep) and scheme not in {"about", "chrome", "chrome-error", "devtools", "data", "blob"}


def _quiet_page_events(session: CDPSession) -> None:
    """Stop the Page event stream a reload needed and drop its buffered Page events (best effort).

    Other domains' events stay: a caller that listens to the console keeps the new page's lines.
    """
    if session.closed:
        return
    try:
        session.call("Page.disable", timeout=2)
    except LiveError:
        pass
    session.clear_events(prefix="Page.")
