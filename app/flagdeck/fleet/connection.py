"""Which fleet source a target follows, kept per target in ``<config dir>/fleet/<slug>.json`` (0600).

The file holds the source (a flagd definitions file, or an Unleash URL), the polling interval and
the target options that name the target (so the tray finds it again); an Unleash API token goes to
the OS keyring (service ``flagdeck``, user ``fleet:<slug>``), never into a file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from flagdeck import paths
from flagdeck.errors import StorageUnreadable, UsageError
from flagdeck.notify import config as keyring_config
from flagdeck.private_files import write_json
from flagdeck.targets.resolve import Target, TargetOptions

Kind = Literal["flagd", "unleash"]
VERSION = 1
DEFAULT_INTERVAL = 15.0  # seconds between polls of an Unleash server (UnleashClient's own default)
FLAGD_INTERVAL = 0.5  # seconds between checks of a flagd file for changes (flagd's own default)
APP_NAME = "flagdeck"


@dataclass(frozen=True)
class Connection:
    kind: Kind
    target_slug: str
    target_name: str
    options: dict[str, Any]  # TargetOptions as given (paths absolute)
    file: str | None = None
    url: str | None = None
    interval: float = DEFAULT_INTERVAL
    app_name: str = APP_NAME
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def keyring_user(self) -> str:
        return f"fleet:{self.target_slug}"

    @property
    def source(self) -> str:
        """The source as a person reads it (no secret: a URL's user/password are refused)."""
        return f"flagd file {self.file}" if self.kind == "flagd" else f"Unleash {self.url}"

    def target_options(self) -> TargetOptions:
        o = self.options
        return TargetOptions(target=o.get("target"),
                             user_data_dir=Path(o["user_data_dir"]) if o.get("user_data_dir") else None,
                             leveldb=Path(o["leveldb"]) if o.get("leveldb") else None,
                             storage_key=o.get("storage_key"), origin=o.get("origin"), debug_port=o.get("debug_port"))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"version": VERSION, "kind": self.kind, "target_slug": self.target_slug,
                                "target_name": self.target_name, "target": self.options, "interval": self.interval,
                                "app_name": self.app_name, "created": self.created}
        if self.kind == "flagd":
            data["file"] = self.file
        else:
            data["url"] = self.url
            data["keyring"] = {"service": keyring_config.SERVICE, "user": self.keyring_user}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Connection:
        kind = data["kind"]
        if kind not in ("flagd", "unleash"):
            raise ValueError(f"unknown source kind {kind!r}")
        return cls(kind, str(data["target_slug"]), str(data.get("target_name", "")), dict(data.get("target") or {}),
                   file=data.get("file"), url=data.get("url"), interval=float(data.get("interval", DEFAULT_INTERVAL)),
                   app_name=str(data.get("app_name", APP_NAME)), created=str(data.get("created", "")))


def options_json(opts: TargetOptions) -> dict[str, Any]:
    """Target options as kept: folders made absolute, unset ones left out."""
    data: dict[str, Any] = {}
    for key in ("target", "storage_key", "origin", "debug_port"):
        if getattr(opts, key) is not None:
            data[key] = getattr(opts, key)
    for key in ("user_data_dir", "leveldb"):
        value = getattr(opts, key)
        if value is not None:
            data[key] = str(Path(value).expanduser().resolve())
    return data


# --- checks ----------------------------------------------------------------------------------------


def check_url(url: str) -> str:
    """An Unleash API URL flagdeck may send a token to: HTTPS, or HTTP to a loopback address.
    ``http://host:4242`` and ``.../api`` both work: the client API lives under ``/api``."""
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UsageError(f"not an http(s) URL: {url!r}", hint="e.g. https://unleash.example.com/api")
    if parts.username or parts.password:
        raise UsageError("the Unleash URL must not hold a user name or password",
                         hint="give the API token with --token-stdin")
    if parts.query or parts.fragment:
        raise UsageError("the Unleash URL must not hold a query or fragment")
    if parts.scheme == "http" and not keyring_config.is_loopback(parts.hostname):
        raise UsageError("the Unleash URL must use https:// (plain http only to a loopback address): "
                         "the API token travels with every request")
    return url if parts.path.endswith("/api") else url + "/api"


def check_file(path: str) -> str:
    """A flagd definitions file (JSON or YAML), as an absolute path."""
    p = Path(path).expanduser()
    if p.is_dir():
        raise UsageError(f"{p} is a folder", hint="give the flag definitions file in it (e.g. flags.flagd.json)")
    if not p.is_file():
        raise UsageError(f"{p} does not exist", hint="give flagd's flag definitions file (JSON or YAML)")
    return str(p.resolve())


def check_interval(seconds: float) -> float:
    if not 1 <= seconds <= 3600:
        raise UsageError(f"polling interval out of range (1 to 3600 s): {seconds:g}")
    return float(seconds)


# --- the files -------------------------------------------------------------------------------------


def folder() -> Path:
    return paths.config_dir() / "fleet"


def path_of(slug: str) -> Path:
    return folder() / f"{slug}.json"


def load(slug: str) -> Connection | None:
    path = path_of(slug)
    if not path.exists():
        return None
    try:
        return Connection.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StorageUnreadable(f"{path} is unreadable: {exc}",
                                hint="connect again (flagdeck fleet connect ...) or remove the file") from None


def require(target: Target) -> Connection:
    conn = load(target.slug)
    if conn is None:
        raise UsageError(f"{target.name} is not connected to a fleet source",
                         hint="flagdeck [TARGET OPTIONS] fleet connect flagd --file PATH (or unleash --url URL)")
    return conn


def all_connections() -> list[Connection]:
    """Every target's connection (the tray watches them all); unreadable files are skipped."""
    base = paths.config_dir() / "fleet"
    if not base.is_dir():
        return []
    found = []
    for path in sorted(base.glob("*.json")):
        try:
            found.append(Connection.from_json(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return found


def save(conn: Connection, token: str | None = None) -> Connection:
    """Keep the connection; an Unleash token goes to the keyring first (refused: nothing kept)."""
    if conn.kind == "unleash":
        if not token:
            raise UsageError("an Unleash connection needs an API token", hint="give it with --token-stdin")
        store_token(conn, token)
    folder().mkdir(mode=0o700, parents=True, exist_ok=True)
    write_json(path_of(conn.target_slug), conn.to_json())
    return conn


def remove(target: Target) -> tuple[Connection, str | None]:
    """Forget the connection; its token leaves the keyring (a note says so when the keyring
    cannot be reached: the connection is forgotten all the same)."""
    conn = require(target)
    note = None
    if conn.kind == "unleash":
        try:
            delete_token(conn)
        except UsageError as exc:
            note = f"the token could not be removed from the keyring: {exc}"
    path_of(target.slug).unlink(missing_ok=True)
    return conn, note


def with_interval(conn: Connection, seconds: float | None) -> Connection:
    return conn if seconds is None else replace(conn, interval=check_interval(seconds))


# --- the token -------------------------------------------------------------------------------------

_WHAT = "the Unleash API token"


def store_token(conn: Connection, token: str) -> None:
    backend = keyring_config._backend(_WHAT)
    try:
        backend.set_password(keyring_config.SERVICE, conn.keyring_user, token)
    except Exception as exc:  # keyring's errors (locked, denied, D-Bus gone) vary by backend
        raise UsageError(f"the keyring refused to store {_WHAT}: {type(exc).__name__}") from None


def load_token(conn: Connection) -> str:
    backend = keyring_config._backend(_WHAT)
    try:
        token = backend.get_password(keyring_config.SERVICE, conn.keyring_user)
    except Exception as exc:
        raise UsageError(f"the keyring did not give {_WHAT}: {type(exc).__name__}") from None
    if not token:
        raise UsageError(f"the keyring has no API token for {conn.target_name}'s Unleash connection",
                         hint="connect again: flagdeck fleet connect unleash --url URL --token-stdin")
    return str(token)


def delete_token(conn: Connection) -> None:
    try:
        keyring_config._backend(_WHAT).delete_password(keyring_config.SERVICE, conn.keyring_user)
    except UsageError:
        raise
    except Exception:
        pass  # already gone: removing is what was asked
