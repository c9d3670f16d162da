"""Saved baselines: the runbook's "original implementation metrics", kept to compare against later.

``--baseline save`` keeps the off-side samples of a comparison under a name (today's date by
default) in ``<data>/perf/baselines/<name>.json`` (0600); ``--baseline NAME`` later measures only
the on side and compares it with those samples. The two sides were then measured at different
times (other load, another app version), so the statistics treat them as unpaired and the
interval is wider: say so rather than pretend the pairing still holds.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flagdeck import paths
from flagdeck.errors import StorageUnreadable, UsageError
from flagdeck.private_files import write_json

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SAVE = "save"


@dataclass(frozen=True)
class Baseline:
    name: str
    created: str
    target_slug: str
    flag: str
    workload: dict[str, Any]
    samples: list[dict[str, float]]  # one {metric: value} per off-side run
    path: Path

    def values(self, metric: str) -> list[float]:
        return [s[metric] for s in self.samples if metric in s]


def folder() -> Path:
    return paths.sub_dir("perf", "baselines")


def default_name() -> str:
    return datetime.now().strftime("%Y-%m-%d")


def check_name(name: str) -> str:
    if name == SAVE or not _NAME.match(name):
        raise UsageError(f"{name!r} is not a baseline name", hint="letters, digits, '.', '_' and '-', up to 64")
    return name


def parse_option(text: str | None) -> tuple[str | None, str | None]:
    """``--baseline``: ``save`` / ``save=NAME`` → (NAME to save, None); ``NAME`` → (None, NAME to use)."""
    if text is None:
        return None, None
    if text == SAVE:
        return default_name(), None
    if text.startswith(SAVE + "="):
        return check_name(text[len(SAVE) + 1:]), None
    return None, check_name(text)


def save(name: str, *, target_slug: str, flag: str, workload: dict[str, Any],
         samples: list[dict[str, float]], created: str) -> Path:
    """Write (or replace) baseline ``name``; 0600, written to a temporary file and renamed."""
    return write_json(folder() / f"{check_name(name)}.json",
                      {"name": name, "created": created, "target_slug": target_slug, "flag": flag,
                       "workload": workload, "side": "off", "samples": samples})


def load(name: str) -> Baseline:
    path = folder() / f"{check_name(name)}.json"
    if not path.is_file():
        known = names()
        raise UsageError(f"no saved baseline named {name!r}",
                         hint=f"saved: {', '.join(known)}" if known else "save one with --baseline save")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        samples = [{str(k): float(v) for k, v in s.items()} for s in data["samples"]]
        return Baseline(str(data["name"]), str(data["created"]), str(data["target_slug"]), str(data["flag"]),
                        dict(data.get("workload") or {}), samples, path)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StorageUnreadable(f"baseline {path} is unreadable: {exc}") from None


def names() -> list[str]:
    return sorted(p.stem for p in folder().glob("*.json"))


def latest_for(target_slug: str, flag: str) -> Baseline | None:
    """The newest readable baseline measured on this target for this flag (the trigger board's
    reference: the original path's metrics), or None."""
    found: list[Baseline] = []
    for name in names():
        try:
            b = load(name)
        except (UsageError, StorageUnreadable):
            continue
        if b.target_slug == target_slug and b.flag == flag and len(b.samples) >= 2:
            found.append(b)
    return max(found, key=lambda b: b.created, default=None)
