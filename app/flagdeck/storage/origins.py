"""Origins as Chromium spells them in localStorage keys (``file://``, ``https://host[:port]``).

Kept apart from ``cdp`` so resolving a target does not import the websocket stack.
"""

from __future__ import annotations

from urllib.parse import urlparse

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def url_origin(url: str) -> str:
    """The localStorage origin of a page URL as Chromium spells it (``file://``, ``https://h:p``).

    Credentials in the URL (``https://user:pw@host/``) are dropped, never carried into an origin
    that gets printed; the host is lower-cased and a scheme's default port left out, as Chromium does.
    """
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return "file://"
    if not parsed.scheme or not parsed.netloc:
        return url
    host = parsed.netloc.rpartition("@")[2]
    try:
        hostname, port = parsed.hostname or "", parsed.port
    except ValueError:  # a port that is not a number: keep what the URL says, minus credentials
        return f"{parsed.scheme}://{host}"
    if ":" in hostname:
        hostname = f"[{hostname}]"
    if port is None or port == _DEFAULT_PORTS.get(parsed.scheme):
        return f"{parsed.scheme}://{hostname}"
    return f"{parsed.scheme}://{hostname}:{port}"


def normalize_origin(text: str) -> str:
    """What a user typed as ``--origin`` (``file:///``, ``https://Example.com:443/``) as stored."""
    return url_origin(text.strip())
