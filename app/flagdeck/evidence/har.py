"""HAR 1.2 from DevTools ``Network.*`` events, as a browser's "Save all as HAR" would write it.

Built from what flagdeck saw on the wire during the capture window (``requestWillBeSent``,
``responseReceived``, ``loadingFinished``, ``loadingFailed``); no bodies are fetched (they may
hold user data). Redirects become one entry per hop. Credential headers and cookies are left to
``redact.Redactor.har`` so ``--no-redact`` can keep them.

HAR 1.2: http://www.softwareishard.com/blog/har-12-spec/ (required fields are all present; an
unknown size or timing is -1 as the spec says).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

NETWORK_EVENTS = ("Network.requestWillBeSent", "Network.responseReceived", "Network.loadingFinished",
                  "Network.loadingFailed")


@dataclass(frozen=True)
class HarPage:
    id: str
    title: str
    url: str
    started: float  # epoch seconds


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _headers(raw: dict[str, Any] | None) -> list[dict[str, str]]:
    out = []
    for name, value in (raw or {}).items():
        for line in str(value).split("\n"):  # DevTools joins repeated headers with newlines
            out.append({"name": str(name), "value": line})
    return out


def _http_version(protocol: str | None) -> str:
    p = (protocol or "").lower()
    return {"h2": "HTTP/2", "h3": "HTTP/3", "http/1.0": "HTTP/1.0", "http/1.1": "HTTP/1.1"}.get(p, p.upper() or "")


@dataclass
class _Req:
    page: str
    event: dict[str, Any]
    wall: float
    ts: float
    response: dict[str, Any] | None = None
    response_ts: float | None = None
    end_ts: float | None = None
    encoded: int = -1
    error: str | None = None
    redirect_to: str = ""


def _entry(req: _Req) -> dict[str, Any]:
    request = req.event["request"]
    url = str(request.get("url", ""))
    post = request.get("postData")
    har_request: dict[str, Any] = {
        "method": request.get("method", "GET"),
        "url": url,
        "httpVersion": _http_version((req.response or {}).get("protocol")) or "HTTP/1.1",
        "cookies": [],
        "headers": _headers(request.get("headers")),
        "queryString": [{"name": k, "value": v} for k, v in parse_qsl(urlsplit(url).query, keep_blank_values=True)],
        "headersSize": -1,
        "bodySize": len(post.encode()) if isinstance(post, str) else (0 if not request.get("hasPostData") else -1),
    }
    if isinstance(post, str):
        ctype = next((v for k, v in (request.get("headers") or {}).items() if k.lower() == "content-type"), "")
        har_request["postData"] = {"mimeType": str(ctype), "text": post}
    resp = req.response or {}
    headers = resp.get("headers")
    har_response: dict[str, Any] = {
        "status": int(resp.get("status", 0)),
        "statusText": str(resp.get("statusText", "")),
        "httpVersion": _http_version(resp.get("protocol")),
        "cookies": [],
        "headers": _headers(headers),
        "content": {"size": req.encoded if req.encoded >= 0 else -1,
                    "mimeType": str(resp.get("mimeType", "x-unknown"))},
        "redirectURL": req.redirect_to,
        "headersSize": -1,
        "bodySize": req.encoded if req.encoded >= 0 else -1,
    }
    wait = ((req.response_ts or req.end_ts or req.ts) - req.ts) * 1000
    receive = ((req.end_ts - req.response_ts) * 1000) if (req.end_ts and req.response_ts) else 0.0
    timings = {"blocked": -1, "dns": -1, "connect": -1, "ssl": -1, "send": 0.0,
               "wait": round(max(wait, 0.0), 3), "receive": round(max(receive, 0.0), 3)}
    entry: dict[str, Any] = {
        "pageref": req.page,
        "startedDateTime": _iso(req.wall),
        "time": round(timings["send"] + timings["wait"] + timings["receive"], 3),
        "request": har_request,
        "response": har_response,
        "cache": {},
        "timings": timings,
    }
    if resp.get("remoteIPAddress"):
        entry["serverIPAddress"] = str(resp["remoteIPAddress"])
    if req.error:
        entry["_error"] = req.error
    entry["_resourceType"] = str(req.event.get("type", ""))
    return entry


def build_har(
    events_by_page: dict[str, Iterable[dict[str, Any]]],
    pages: list[HarPage],
    *,
    creator_version: str,
    browser: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """One HAR log for several pages: ``events_by_page[page.id]`` are that page's Network events
    in arrival order. Requests still open when the window closed are included with what is known."""
    entries: list[_Req] = []
    for page in pages:
        open_reqs: dict[str, _Req] = {}
        for event in events_by_page.get(page.id, []):
            method, params = event.get("method"), event.get("params", {})
            rid = params.get("requestId")
            if method == "Network.requestWillBeSent":
                prev = open_reqs.get(rid)
                if prev is not None and params.get("redirectResponse"):
                    prev.response = params["redirectResponse"]
                    prev.response_ts = prev.end_ts = float(params.get("timestamp", prev.ts))
                    prev.redirect_to = str(params.get("request", {}).get("url", ""))
                req = _Req(page.id, params, float(params.get("wallTime", 0)) or page.started,
                           float(params.get("timestamp", 0)))
                open_reqs[rid] = req
                entries.append(req)
            elif rid in open_reqs:
                req = open_reqs[rid]
                if method == "Network.responseReceived":
                    req.response = params.get("response", {})
                    req.response_ts = float(params.get("timestamp", req.ts))
                    length = req.response.get("encodedDataLength")
                    if isinstance(length, int | float) and length >= 0:
                        req.encoded = int(length)
                elif method == "Network.loadingFinished":
                    req.end_ts = float(params.get("timestamp", req.ts))
                    req.encoded = int(params.get("encodedDataLength", req.encoded))
                elif method == "Network.loadingFailed":
                    req.end_ts = float(params.get("timestamp", req.ts))
                    canceled = " (canceled)" if params.get("canceled") else ""
                    req.error = str(params.get("errorText", "failed")) + canceled
    log: dict[str, Any] = {
        "version": "1.2",
        "creator": {"name": "flagdeck", "version": creator_version},
        "pages": [{"startedDateTime": _iso(p.started), "id": p.id, "title": p.title or p.url,
                   "pageTimings": {"onContentLoad": -1, "onLoad": -1}} for p in pages],
        "entries": [_entry(r) for r in sorted(entries, key=lambda r: r.wall)],
    }
    if browser:
        log["browser"] = {"name": browser[0], "version": browser[1]}
    return {"log": log}
