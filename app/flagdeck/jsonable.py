"""Result values as plain JSON values: what ``--json`` prints, evidence bundles store and the
history keeps in its details."""

from __future__ import annotations

import dataclasses
import enum
from pathlib import Path
from typing import Any


def to_jsonable(obj: Any) -> Any:
    """Results → plain JSON values (``to_json()`` wins, then dataclass fields with ``repr``)."""
    if hasattr(obj, "to_json") and callable(obj.to_json):
        return to_jsonable(obj.to_json())
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.repr}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, bytes):
        return obj.decode("latin-1")
    return obj
