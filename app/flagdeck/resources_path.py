"""Where the shipped resources (presets, demo web app, icons) are.

The product layout keeps ``resources/`` beside ``app/``. A wheel ships it as the
``flagdeck.resources`` package; a source checkout or an editable install reads it in place.
"""

from __future__ import annotations

import importlib.resources
from importlib.resources.abc import Traversable
from pathlib import Path


def resources_root() -> Traversable:
    try:
        return importlib.resources.files("flagdeck.resources")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "resources"


def resource_file(*parts: str) -> Path:
    """A resource as a real file path (QtWebEngine and PyInstaller need paths, not traversables)."""
    node = resources_root()
    for part in parts:
        node = node / part
    return Path(str(node))
