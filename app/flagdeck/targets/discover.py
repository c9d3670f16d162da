"""Which preset targets are installed (profile on disk) and running (process, LOCK, debug port), and
which of the user's preset files do not load (listed with their error, hiding nothing else)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flagdeck.targets import locate, presets, process
from flagdeck.targets.presets import Preset


@dataclass(frozen=True)
class TargetInfo:
    name: str
    display_name: str
    description: str
    source: str
    profiles: list[Path] = field(default_factory=list)
    running: list[process.ProcInfo] = field(default_factory=list)
    storage_locked: bool = False
    debug_port: int | None = None
    error: str | None = None  # a user preset file that does not load: why

    @property
    def installed(self) -> bool:
        return bool(self.profiles)


def describe(preset: Preset) -> TargetInfo:
    found = list(locate.installed_dirs(preset))
    profiles = [root for root, _ in found]
    locked = False
    port = None
    holders: list[process.ProcInfo] = []
    for root, leveldb in found:
        holder = process.lock_holder(leveldb / "LOCK")
        if holder is not None:
            locked = True
            holders.append(holder)
        port = port or locate.debug_port_from_profile(root)
    running = holders or (process.find_by_names(list(preset.process_names)) if preset.process_names else [])
    return TargetInfo(preset.name, preset.display_name, preset.description, preset.source,
                      profiles, running, locked, port)


def broken_presets() -> list[TargetInfo]:
    """The user's preset files that do not load, each a row saying why (``targets`` lists them)."""
    return [TargetInfo(b.name, b.name, str(b.error), b.source, error=str(b.error)) for b in presets.scan()[1]]


def discover() -> list[TargetInfo]:
    return [describe(p) for p in presets.load_all().values()]


def storage_behind_port(port: int) -> list[Path]:
    """The ``Local Storage/leveldb`` folders held open by the process listening on ``port`` (and
    its children): the profile of an app known only by its debug port. The live gate still checks
    that this process holds the folder's ``LOCK`` before anything is sent."""
    import psutil

    listener = process.port_listener(port)
    if listener is None or listener.pid is None:
        return []
    try:
        root = psutil.Process(listener.pid)
        tree = [root, *root.children(recursive=True)]
    except psutil.Error:
        return []
    found: list[Path] = []
    for proc in tree:
        try:
            files = proc.open_files()
        except psutil.Error:
            continue
        for f in files:
            path = Path(f.path)
            if path.name == "LOCK" and path.parent.parts[-2:] == locate.LEVELDB_REL.parts and path.parent not in found:
                found.append(path.parent)
    return found
