"""HAR 1.2 from Network events: required fields, redirects as hops, failures, open requests.

The events are shaped as Chromium sends them (recorded from Chromium 156); a real capture on a
running browser is in ``test_evidence_export.py``.
"""

from __future__ import annotations

from typing import Any

from flagdeck.evidence.har import HarPage, build_har

PAGE = HarPage("P1", "app", "https://app.example/", 1_757_500_000.0)


def ev(method: str, **params: Any) -> dict[str, Any]:
    return {"method": method, "params": params}


def request(rid: str, url: str, ts: float, **extra: Any) -> dict[str, Any]:
    return ev("Network.requestWillBeSent", requestId=rid, timestamp=ts, wallTime=1_757_500_000.0 + ts, type="Fetch",
              request={"url": url, "method": extra.pop("method", "GET"), "headers": {"Accept": "*/*"}, **extra})


def response(rid: str, ts: float, status: int = 200, **extra: Any) -> dict[str, Any]:
    return ev("Network.responseReceived", requestId=rid, timestamp=ts,
              response={"url": "", "status": status, "statusText": "OK" if status == 200 else "", "protocol": "h2",
                        "mimeType": "application/json", "headers": {"content-type": "application/json"}, **extra})


def test_required_har_fields() -> None:
    events = [request("1", "https://app.example/api/messages?page=2&q=", 10.0), response("1", 10.05),
              ev("Network.loadingFinished", requestId="1", timestamp=10.08, encodedDataLength=1234)]
    har = build_har({"P1": events}, [PAGE], creator_version="9.9", browser=("Chrome", "156"))
    log = har["log"]
    assert log["version"] == "1.2" and log["creator"] == {"name": "flagdeck", "version": "9.9"}
    assert log["browser"] == {"name": "Chrome", "version": "156"}
    assert log["pages"][0]["id"] == "P1" and log["pages"][0]["pageTimings"] == {"onContentLoad": -1, "onLoad": -1}
    (entry,) = log["entries"]
    for key in ("pageref", "startedDateTime", "time", "request", "response", "cache", "timings"):
        assert key in entry
    req, resp = entry["request"], entry["response"]
    for key in ("method", "url", "httpVersion", "cookies", "headers", "queryString", "headersSize", "bodySize"):
        assert key in req
    for key in ("status", "statusText", "httpVersion", "cookies", "headers", "content", "redirectURL",
                "headersSize", "bodySize"):
        assert key in resp
    assert req["queryString"] == [{"name": "page", "value": "2"}, {"name": "q", "value": ""}]
    assert resp["status"] == 200 and resp["httpVersion"] == "HTTP/2" and resp["content"]["size"] == 1234
    assert entry["timings"]["wait"] == 50.0 and entry["timings"]["receive"] == 30.0
    assert entry["time"] == 80.0
    assert entry["startedDateTime"].endswith("Z") and entry["startedDateTime"].startswith("2025-09-10T")


def test_redirects_become_hops_and_failures_are_kept() -> None:
    events = [
        request("2", "http://app.example/old", 1.0),
        ev("Network.requestWillBeSent", requestId="2", timestamp=1.1, wallTime=1_757_500_001.1,
           request={"url": "https://app.example/new", "method": "GET", "headers": {}},
           redirectResponse={"status": 301, "statusText": "Moved", "headers": {"location": "/new"},
                             "protocol": "http/1.1"}),
        response("2", 1.2), ev("Network.loadingFinished", requestId="2", timestamp=1.3, encodedDataLength=10),
        request("3", "https://api.example/v1", 2.0, method="POST", postData='{"a":1}',
                headers={"Content-Type": "application/json"}),
        ev("Network.loadingFailed", requestId="3", timestamp=2.5, errorText="net::ERR_CONNECTION_REFUSED"),
        request("4", "https://app.example/still-open", 3.0),
    ]
    entries = build_har({"P1": events}, [PAGE], creator_version="1")["log"]["entries"]
    assert [e["request"]["url"] for e in entries] == [
        "http://app.example/old", "https://app.example/new", "https://api.example/v1", "https://app.example/still-open"]
    hop, final, failed, open_ = entries
    assert hop["response"]["status"] == 301 and hop["response"]["redirectURL"] == "https://app.example/new"
    assert final["response"]["status"] == 200
    assert failed["response"]["status"] == 0 and failed["_error"] == "net::ERR_CONNECTION_REFUSED"
    assert failed["request"]["postData"] == {"mimeType": "application/json", "text": '{"a":1}'}
    assert failed["request"]["bodySize"] == 7 and failed["timings"]["wait"] == 500.0
    assert open_["response"]["status"] == 0 and open_["time"] == 0


def test_events_of_several_pages_keep_their_pageref() -> None:
    other = HarPage("P2", "", "https://other.example/", PAGE.started + 1)
    har = build_har({"P1": [request("1", "https://a/", 1.0)], "P2": [request("1", "https://b/", 0.5)]},
                    [PAGE, other], creator_version="1")
    assert sorted((e["pageref"], e["request"]["url"]) for e in har["log"]["entries"]) == [
        ("P1", "https://a/"), ("P2", "https://b/")]
    assert har["log"]["pages"][1]["title"] == "https://other.example/"
