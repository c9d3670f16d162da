"""Where a target keeps its localStorage: user-data dirs, ``Local Storage/leveldb`` folders."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

from flagdeck.errors import TargetNotFound
from flagdeck.targets.presets import Preset, expand

LEVELDB_REL = Path("Local Storage") / "leveldb"
PROFILE_DIR_NAMES = ("Default",)
ACTIVE_PORT_FILE = "DevToolsActivePort"


def leveldb_in(user_data_dir: Path) -> tuple[Path, Path]:
    """(user-data root, leveldb folder) for an Electron userData dir, a Chromium user-data dir
    (``Default/`` inside) or a Chromium profile dir itself (``Default``, ``Profile 1``)."""
    base = user_data_dir.expanduser()
    if not base.exists():
        raise TargetNotFound(f"{base} does not exist")
    if not base.is_dir():
        raise TargetNotFound(f"{base} is not a folder")
    if (base / LEVELDB_REL).is_dir():
        # A Chromium profile dir (has Preferences) lives inside the user-data root.
        is_profile = (base / "Preferences").is_file() and (base.parent / "Local State").is_file()
        return (base.parent if is_profile else base), base / LEVELDB_REL
    for name in PROFILE_DIR_NAMES:
        if (base / name / LEVELDB_REL).is_dir():
            return base, base / name / LEVELDB_REL
    raise TargetNotFound(
        f"no 'Local Storage/leveldb' in {base}",
        hint="give the app's userData dir, a Chromium user-data dir, or --leveldb DIR; "
        "the app must have run once to create its storage",
    )


def custom_data_dirs(preset: Preset) -> list[Path]:
    """Data dirs the user chose in the app (Cherry Studio's ``appDataPath`` config)."""
    if not preset.custom_config:
        return []
    config = expand(preset.custom_config)
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    out: list[Path] = []
    entries = data.get("appDataPath") if isinstance(data, dict) else None
    if isinstance(entries, str):
        entries = [{"dataPath": entries}]
    for entry in entries or []:
        if isinstance(entry, dict) and isinstance(entry.get("dataPath"), str):
            out.append(Path(entry["dataPath"]).expanduser())
    return out


def portable_dirs(preset: Preset) -> list[Path]:
    """``<exe dir>/<portable>`` for Windows portable builds found beside a launch path."""
    if not preset.portable or sys.platform != "win32":
        return []
    return [expand(exe).parent / preset.portable for exe in preset.launch]


def candidate_dirs(preset: Preset) -> list[Path]:
    """userData dirs to try, in order: user-chosen data dirs, the standard ones, portable ones."""
    seen: list[Path] = []
    for path in [*custom_data_dirs(preset), *(expand(p) for p in preset.user_data), *portable_dirs(preset)]:
        if path not in seen:
            seen.append(path)
    return seen


def installed_dirs(preset: Preset) -> Iterator[tuple[Path, Path]]:
    """(user-data root, leveldb folder) of each candidate dir that holds localStorage on this
    machine, in :func:`candidate_dirs` order (looked at one by one: the first may be all it takes)."""
    for path in candidate_dirs(preset):
        try:
            yield leveldb_in(path)
        except TargetNotFound:
            continue


def debug_port_from_profile(user_data_dir: Path) -> int | None:
    """The port in ``<user-data-dir>/DevToolsActivePort`` (first line), or None.

    Chromium writes that file in the user-data-dir itself (not ``Default/``), and on Chromium 156
    only when started with ``--remote-debugging-port=0``; it is left behind after the browser
    exits, so the port it names is a hint that :func:`connect_live` must still verify.
    """
    try:
        with open(Path(user_data_dir) / ACTIVE_PORT_FILE, "rb") as fh:
            head = fh.read(256)
    except OSError:
        return None
    first = head.split(b"\n", 1)[0].strip()
    if not first.isdigit() or len(first) > 5:
        return None
    port = int(first)
    return port if 0 < port < 65536 else None
