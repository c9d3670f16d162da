"""The one store interface everything above storage is written against.

Two implementations: ``leveldb_store.LevelDBStore`` (the app closed, its LevelDB on disk) and
``live_store.LiveStore`` (the app running, over the DevTools protocol).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Literal, Protocol, Self

Mode = Literal["offline", "live", "busy"]


@dataclass(frozen=True)
class Entry:
    """One localStorage item of an origin.

    ``raw_key``/``raw_value`` are the exact encoded bytes on disk when known (offline), so a
    restore can put back what was there byte for byte; live entries only have the strings.
    """

    key: str
    value: str
    raw_key: bytes | None = None
    raw_value: bytes | None = None

    def to_json(self) -> dict[str, str | None]:
        return {
            "key": self.key,
            "value": self.value,
            "raw_key_b64": base64.b64encode(self.raw_key).decode() if self.raw_key is not None else None,
            "raw_value_b64": base64.b64encode(self.raw_value).decode() if self.raw_value is not None else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, str | None]) -> Entry:
        """The entry :meth:`to_json` wrote; ValueError (or KeyError) for anything else, never bytes
        made up from a damaged base64 text."""
        rk, rv = data.get("raw_key_b64"), data.get("raw_value_b64")
        return cls(
            key=str(data["key"]),
            value=str(data["value"]),
            raw_key=base64.b64decode(rk, validate=True) if rk else None,
            raw_value=base64.b64decode(rv, validate=True) if rv else None,
        )


class LocalStorageStore(Protocol):
    """localStorage of one app profile, per origin."""

    mode: Mode
    location: str

    def origins(self) -> list[str]:
        """Every origin with at least one entry, sorted."""
        ...

    def origins_with_key(self, key: str) -> list[str]: ...

    def entries(self, origin: str) -> list[Entry]: ...

    def get(self, origin: str, key: str) -> str | None: ...

    def put(self, origin: str, key: str, value: str | None) -> None:
        """Set ``key`` (``None`` removes it). Durable when it returns; other entries untouched."""
        ...

    def put_raw(self, origin: str, entry: Entry) -> None:
        """Put an entry back as it was (exact bytes when the store and the entry have them)."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...
