"""Team-alert webhooks: which ones, where their secret lives, how they are shown.

The webhook URL *is* the credential (whoever has a Slack incoming-webhook URL can post), so the
whole URL goes to the OS keyring (service ``flagdeck``, user ``webhook:<name>``); the config file
``<config dir>/notify.json`` (0600) keeps only the name, the kind, that keyring reference and a
redacted URL for display (``https://hooks.slack.com/services/…``).

Only HTTPS is accepted, except loopback addresses (a local relay, and the tests' own server).
A keyring backend flagdeck would have to store the URL in plain text is refused unless the user
chose it (``PYTHON_KEYRING_BACKEND`` or keyring's own config file).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from flagdeck import paths
from flagdeck.errors import StorageUnreadable, UsageError
from flagdeck.private_files import write_json

SERVICE = "flagdeck"
CONFIG_NAME = "notify.json"
Kind = Literal["slack", "json"]
KINDS = ("slack", "json")
_KEYRING_HINT = ("install and unlock an OS keyring (GNOME Keyring/KWallet via Secret Service, macOS Keychain, "
                 "Windows Credential Locker), or choose a backend with PYTHON_KEYRING_BACKEND")


@dataclass(frozen=True)
class Webhook:
    name: str
    kind: Kind
    display_url: str  # redacted: scheme, host and the first path segment
    keyring_user: str
    created: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "url": self.display_url,
                "keyring": {"service": SERVICE, "user": self.keyring_user}, "created": self.created}


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> str:
    """The URL if flagdeck may post to it: HTTPS, or HTTP to a loopback address."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UsageError("the webhook URL must be an https:// URL")
    if parts.username or parts.password:
        raise UsageError("the webhook URL must not hold a user name or password")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise UsageError("the webhook URL must use https:// (plain http only to a loopback address)")
    return url


def display_url(url: str) -> str:
    """The URL without its secret part: ``https://hooks.slack.com/services/T0/B0/xyz`` →
    ``https://hooks.slack.com/services/…``. The first path segment is shown only when more follow
    it: alone, it is often the credential itself (``https://ntfy.sh/<topic>``,
    ``https://webhook.site/<uuid>``), so ``https://ntfy.sh/…``."""
    parts = urlsplit(url)
    segments = [seg for seg in parts.path.split("/") if seg]
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"  # an IPv6 literal
    if parts.port:
        netloc += f":{parts.port}"
    shown = f"{parts.scheme}://{netloc}/"
    if len(segments) > 1:
        return shown + segments[0] + "/…"
    return shown + "…" if segments or parts.query or parts.fragment else shown


# --- keyring ---------------------------------------------------------------------------------------


def _backend(what: str = "the webhook URL") -> Any:
    """The keyring backend flagdeck may store a secret in (``what``: the secret, for the message);
    UsageError (exit 2) when there is none. The fleet's Unleash token uses it too."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        raise UsageError("no keyring support installed", hint=_KEYRING_HINT) from None
    backend = keyring.get_keyring()
    members = getattr(backend, "backends", None)
    inner = list(members) if members is not None else [backend]
    try:
        priority = float(backend.priority)
    except Exception:
        priority = 0.0
    if isinstance(backend, fail.Keyring) or not inner or priority <= 0:
        raise UsageError(f"no usable OS keyring to keep {what} in", hint=_KEYRING_HINT)
    chosen = bool(os.environ.get("PYTHON_KEYRING_BACKEND"))
    if not chosen:
        try:
            from keyring.core import load_config

            chosen = load_config() is not None
        except Exception:
            chosen = False
    if not chosen and all(type(b).__module__.startswith("keyrings.alt") for b in inner):
        raise UsageError(f"the only keyring is a file one ({type(inner[0]).__name__}), not an OS keyring",
                         hint=_KEYRING_HINT)
    return backend


def backend_name() -> str:
    try:
        backend = _backend()
    except UsageError as exc:
        return f"none ({exc.message})"
    return f"{type(backend).__module__}.{type(backend).__name__}"


def store_secret(user: str, url: str) -> None:
    backend = _backend()
    try:
        backend.set_password(SERVICE, user, url)
    except Exception as exc:  # keyring's errors (locked, denied, D-Bus gone) vary by backend
        raise UsageError(f"the keyring refused to store the webhook URL: {type(exc).__name__}",
                         hint=_KEYRING_HINT) from None


def load_secret(user: str) -> str | None:
    try:
        return _backend().get_password(SERVICE, user)  # type: ignore[no-any-return]
    except UsageError:
        raise
    except Exception as exc:
        raise UsageError(f"the keyring did not give the webhook URL: {type(exc).__name__}",
                         hint=_KEYRING_HINT) from None


def delete_secret(user: str) -> None:
    try:
        _backend().delete_password(SERVICE, user)
    except UsageError:
        raise
    except Exception:
        pass  # already gone: removing is what was asked


# --- config file -----------------------------------------------------------------------------------


def config_path() -> Path:
    return paths.config_dir() / CONFIG_NAME


CONFIG_VERSION = 2  # 1 showed a lone first path segment (a credential for ntfy.sh, webhook.site)


def _legacy_display(shown: str) -> str:
    """A display URL written by config version 1, which showed the first path segment even when it
    was the only one: from ``https://host/seg/…`` alone there is no telling, so ``https://host/…``."""
    parts = urlsplit(shown)
    if parts.path.strip("/") in ("", "…"):
        return shown
    return f"{parts.scheme}://{parts.netloc}/…"


def load() -> list[Webhook]:
    path = config_path()
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        hooks = [Webhook(w["name"], w["kind"], w["url"], w["keyring"]["user"], w.get("created", ""))
                 for w in data.get("webhooks", [])]
        legacy = int(data.get("version", 1)) < CONFIG_VERSION
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StorageUnreadable(f"{path} is unreadable: {exc}") from None
    if legacy:
        hooks = [replace(h, display_url=_legacy_display(h.display_url)) for h in hooks]
        with contextlib.suppress(OSError):
            save(hooks)  # the segment it may have shown goes from the file too
    return hooks


def save(hooks: list[Webhook]) -> None:
    write_json(config_path(), {"version": CONFIG_VERSION, "webhooks": [h.to_json() for h in hooks]})


def add(name: str, kind: Kind, url: str) -> Webhook:
    if kind not in KINDS:
        raise UsageError(f"unknown webhook kind {kind!r}", hint="slack or json")
    if not name or any(c in name for c in "/\\\n") or len(name) > 64:
        raise UsageError(f"bad webhook name {name!r}")
    url = check_url(url)
    hook = Webhook(name, kind, display_url(url), f"webhook:{name}", datetime.now(UTC).isoformat(timespec="seconds"))
    store_secret(hook.keyring_user, url)
    save([h for h in load() if h.name != name] + [hook])
    return hook


def find(name: str | None) -> Webhook:
    hooks = load()
    if not hooks:
        raise UsageError("no team alert webhook is set up", hint="flagdeck notify setup --url URL")
    if name is None:
        if len(hooks) > 1:
            raise UsageError(f"{len(hooks)} webhooks are set up", hint="pick one with --name: "
                             + ", ".join(h.name for h in hooks))
        return hooks[0]
    for h in hooks:
        if h.name == name:
            return h
    raise UsageError(f"no webhook named {name!r}", hint="known: " + ", ".join(h.name for h in hooks))


def remove(name: str | None) -> Webhook:
    hook = find(name)
    delete_secret(hook.keyring_user)
    save([h for h in load() if h.name != hook.name])
    return hook
