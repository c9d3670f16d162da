"""Per flag, what the fleet wants against what this workstation has: a plan, no side effects.

The rules, in order, for each flag of the target's catalogue (and any other flag stored in its
document):

1. the source could not evaluate it → ``error``; the source has no such flag (or it is disabled)
   → ``unmanaged``: left as it is;
2. pinned (changed at this workstation earlier) → ``pinned``, until the person releases it;
3. the local value already is the fleet's → ``in-sync`` (live: ``on-disk-pending`` while the
   app's disk does not hold it yet);
4. the local value changed since the fleet's last sync (it differs from the value last in sync,
   or a flagdeck write not made by the fleet changed it) → ``pin``;
5. the source is stale → ``stale``: nothing is applied from it;
6. the fleet turns the preset's rollback flag off while it is on → ``kill-switch``: the Level-1
   rollback with verification; otherwise → ``apply``: one write through the write path.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from flagdeck.flag_ops import StatusResult
from flagdeck.fleet.source import Desired
from flagdeck.storage.flags import FlagType, js_truthy

Action = Literal["in-sync", "on-disk-pending", "apply", "kill-switch", "pinned", "pin", "unmanaged", "error",
                 "stale"]
_ABSENT = object()


@dataclass(frozen=True)
class FlagPlan:
    name: str
    action: Action
    fleet: Desired
    local: Any  # the effective local value (what the app's flag object holds)
    stored: bool
    page: Any = None  # live: what the page runs (None: unknown)
    why: str = ""

    @property
    def writes(self) -> bool:
        return self.action in ("apply", "kill-switch")

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "action": self.action, "fleet": self.fleet.to_json(), "local": self.local,
                "stored": self.stored, "page": self.page, "why": self.why}


def same(a: Any, b: Any) -> bool:
    """JSON equality with types (``1`` is not ``true``, ``1`` is ``1.0``)."""
    def norm(v: Any) -> Any:
        return int(v) if isinstance(v, float) and v.is_integer() else v

    return json.dumps(norm(a), sort_keys=True) == json.dumps(norm(b), sort_keys=True)


def flags_of(status: StatusResult) -> list[tuple[str, FlagType, Any, bool]]:
    """(name, type, effective local value, stored) of every flag the fleet may manage: the
    catalogue's, and any other flag the document stores (its type from its value)."""
    out: list[tuple[str, FlagType, Any, bool]] = [(f.name, f.type, f.effective, f.stored) for f in status.report.flags]
    known = {name for name, *_ in out}
    for name, value in (status.report.document.values or {}).items():
        if name not in known:
            ftype: FlagType = ("boolean" if isinstance(value, bool) else "number" if isinstance(value, int | float)
                               else "string" if isinstance(value, str) else "json")
            out.append((name, ftype, value, True))
    return out


def decide(
    status: StatusResult,
    desired: Iterable[Desired],
    *,
    synced: Mapping[str, Any],
    pins: Mapping[str, Mapping[str, Any]],
    changed_locally: set[str],
    rollback_flag: str | None,
    stale: bool,
    disk: Mapping[str, Any] | None = None,
) -> list[FlagPlan]:
    """``disk``: live, the flag values the app's LevelDB holds (None offline: what was read is the
    disk); a flag absent there counts as its default, which is what the app would start on."""
    local = {name: (value, stored) for name, _, value, stored in flags_of(status)}
    page = status.page_flags or {}
    plans = []
    for d in desired:
        value, stored = local.get(d.name, (None, False))
        shown = page.get(d.name) if d.name in page else None

        def plan(action: Action, why: str, d: Desired = d, value: Any = value, stored: bool = stored,
                 shown: Any = shown) -> FlagPlan:
            return FlagPlan(d.name, action, d, value, stored, shown, why)

        if d.error is not None:
            plans.append(plan("error", f"the source could not evaluate it: {d.error}"))
        elif not d.managed:
            plans.append(plan("unmanaged", "the source has no such flag (or it is disabled there): left as it is"))
        elif d.name in pins:
            pin = pins[d.name]
            plans.append(plan("pinned", f"changed at this workstation ({pin.get('since', '?')}): pinned until "
                                        f"released (flagdeck fleet release {d.name})"))
        elif same(value, d.value):
            spec = status.report.flag(d.name)  # absent from the disk: the app starts on its default
            on_disk = disk.get(d.name, spec.default if spec is not None else _ABSENT) if disk is not None else _ABSENT
            if disk is not None and (on_disk is _ABSENT or not same(on_disk, d.value)):
                plans.append(plan("on-disk-pending", "in the app's memory, not yet on its disk (Chromium commits "
                                                     "it later; a crash before that loses it)"))
            else:
                plans.append(plan("in-sync", ""))
        elif d.name in changed_locally or (d.name in synced and not same(synced[d.name], value)):
            plans.append(plan("pin", "changed at this workstation since the fleet's last sync: the local value is "
                                     "kept (pinned)"))
        elif stale:
            plans.append(plan("stale", "the source is stale: nothing is applied from it until it answers again"))
        elif d.name == rollback_flag and not js_truthy(d.value) and js_truthy(value):
            plans.append(plan("kill-switch", "the fleet turned the rollback flag off: Level-1 rollback with "
                                             "verification"))
        else:
            plans.append(plan("apply", "the fleet's value differs from the local one"))
    return plans
