"""One JSON POST to a webhook, without following redirects (a redirect could carry the body to
another host, or from HTTPS to HTTP) and without a proxy for loopback addresses."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from flagdeck import __version__
from flagdeck.notify.config import check_url, display_url, is_loopback


class DeliveryError(Exception):
    """A failed post; ``message`` never holds the URL's secret part."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def post(url: str, body: dict[str, Any], *, timeout: float = 5.0) -> int:
    """POST ``body`` as JSON; returns the 2xx status, raises ``DeliveryError`` otherwise.

    5xx, 429, 408 and network errors are retryable; other answers are not (a revoked webhook
    answers 404 or 410 forever).
    """
    check_url(url)
    shown = display_url(url)
    handlers: list[Any] = [_NoRedirect()]
    if is_loopback(urlsplit(url).hostname or ""):
        handlers.append(urllib.request.ProxyHandler({}))
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(
        url, data=json.dumps(body, ensure_ascii=False).encode("utf-8"), method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": f"flagdeck/{__version__}"})
    try:
        with opener.open(request, timeout=timeout) as resp:
            resp.read(65536)
            status = int(resp.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
        retry = status >= 500 or status in (408, 429)
        raise DeliveryError(f"{shown} answered HTTP {status}", retryable=retry) from None
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"{shown} unreachable: {type(reason).__name__}: {reason}".replace(url, shown),
                            retryable=True) from None
    if not 200 <= status < 300:
        raise DeliveryError(f"{shown} answered HTTP {status}", retryable=status >= 500)
    return status
