"""What the fleet agent remembers per target, in ``<data dir>/fleet/<slug>/``:

- ``state.json``: per flag the local value when it was last in sync with the fleet (``synced``:
  a different local value later means the person at the machine changed it), the pins (a local
  change the fleet leaves alone until released), the pending writes (waiting for the app to let
  flagdeck write: shown and retried), the newest history row already looked at, the source's
  health at the last sync;
- ``outcomes.json``: the last :data:`KEEP` outcomes (applied, pending, pinned, failed), which
  ``fleet status`` lists and evidence bundles carry (the ``fleet`` section).

Both are written atomically (0600); the agent changes them under the target's writer lock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flagdeck import paths
from flagdeck.private_files import write_json

KEEP = 100


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def folder(slug: str) -> Path:
    return paths.sub_dir("fleet", slug)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@dataclass
class FleetState:
    target_slug: str
    synced: dict[str, Any] = field(default_factory=dict)
    pins: dict[str, dict[str, Any]] = field(default_factory=dict)  # name: {value, since, why}
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)  # name: {value, since, why, attempts}
    history_seen: int = 0
    last_sync: str | None = None
    health: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"target_slug": self.target_slug, "synced": self.synced, "pins": self.pins,
                "pending": self.pending, "history_seen": self.history_seen, "last_sync": self.last_sync,
                "health": self.health}


@dataclass(frozen=True)
class Outcome:
    """One thing the agent did (or could not do) to one flag."""

    time: str
    name: str  # the flag
    outcome: str  # applied | pending | pinned | failed
    action: str  # apply | kill-switch | pin
    fleet_value: Any
    before: Any
    after: Any
    mode: str | None = None
    detail: str = ""
    durability: dict[str, Any] | None = None
    rollback: str | None = None  # the rollback's id (kill switch)
    source: str = ""

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def load(slug: str) -> FleetState:
    data = _read(folder(slug) / "state.json")
    return FleetState(slug, dict(data.get("synced") or {}), dict(data.get("pins") or {}),
                      dict(data.get("pending") or {}), int(data.get("history_seen") or 0),
                      data.get("last_sync"), data.get("health"))


def save(state: FleetState) -> None:
    write_json(folder(state.target_slug) / "state.json", state.to_json())


def outcomes(slug: str) -> list[dict[str, Any]]:
    """The last outcomes, newest last."""
    items = _read(folder(slug) / "outcomes.json").get("outcomes")
    return [o for o in items if isinstance(o, dict)] if isinstance(items, list) else []


def add_outcomes(slug: str, new: list[Outcome]) -> None:
    if not new:
        return
    kept = (outcomes(slug) + [o.to_json() for o in new])[-KEEP:]
    write_json(folder(slug) / "outcomes.json", {"target_slug": slug, "outcomes": kept})


def forget(slug: str) -> None:
    """``fleet disconnect``: pins, pending writes and the UnleashClient cache go; the outcomes stay
    (they are the record of what the fleet did)."""
    import shutil

    (paths.data_dir() / "fleet" / slug / "state.json").unlink(missing_ok=True)
    shutil.rmtree(paths.data_dir() / "fleet-cache" / slug, ignore_errors=True)
