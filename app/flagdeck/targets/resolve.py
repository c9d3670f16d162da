"""From what the user typed (``--target``, ``--user-data-dir``, ``--leveldb``...) to one Target."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from flagdeck.errors import TargetNotFound, UnknownFlag, UsageError
from flagdeck.storage.flags import SEED_CATALOGUE, FlagSpec
from flagdeck.storage.origins import normalize_origin
from flagdeck.targets import locate, presets
from flagdeck.targets.presets import Preset

DEFAULT_PRESET = "demo"
DEFAULT_STORAGE_KEY = "featureFlags"


@dataclass(frozen=True)
class TargetOptions:
    """The global command-line options that name a target (all optional)."""

    target: str | None = None
    user_data_dir: Path | None = None
    leveldb: Path | None = None
    storage_key: str | None = None
    origin: str | None = None
    debug_port: int | None = None


@dataclass(frozen=True)
class Target:
    """Everything flagdeck needs to know to read, write, launch and verify one app profile."""

    name: str
    leveldb_dir: Path
    user_data_dir: Path | None
    storage_key: str
    origin: str | None  # None: find the one origin holding storage_key
    origin_explicit: bool
    debug_port: int | None
    debug_port_explicit: bool
    catalogue: tuple[FlagSpec, ...] = SEED_CATALOGUE
    preset: Preset | None = field(default=None, repr=False)

    @property
    def slug(self) -> str:
        """Stable id for backups/locks: preset name (or folder name) + hash of the LevelDB path."""
        digest = hashlib.sha256(str(self.leveldb_dir.resolve()).encode()).hexdigest()[:10]
        base = self.preset.name if self.preset else (self.user_data_dir or self.leveldb_dir).name
        safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in base) or "target"
        return f"{safe}-{digest}"

    @property
    def process_names(self) -> tuple[str, ...]:
        return self.preset.process_names if self.preset else ()

    @property
    def lock_file(self) -> Path:
        return self.leveldb_dir / "LOCK"

    def with_origin(self, origin: str) -> Target:
        return replace(self, origin=origin)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "preset": self.preset.name if self.preset else None,
            "user_data_dir": str(self.user_data_dir) if self.user_data_dir else None,
            "leveldb_dir": str(self.leveldb_dir),
            "storage_key": self.storage_key,
            "origin": self.origin,
            "debug_port": self.debug_port,
        }


def default_flag(target: Target) -> str:
    """The flag a rollback or comparison acts on when none is named: the catalogue's one boolean
    flag (with several, the user must pick, so an incident never flips the wrong one)."""
    booleans = [f.name for f in target.catalogue if f.type == "boolean"]
    if len(booleans) == 1:
        return booleans[0]
    if not booleans:
        raise UnknownFlag(f"{target.name} has no boolean flag in its catalogue", hint="name one with --flag")
    raise UsageError(f"{target.name} has several boolean flags: {', '.join(booleans)}", hint="pick one with --flag")


def resolve(opts: TargetOptions) -> Target:
    """Build the Target. Without any option the demo target is used.

    With ``--debug-port`` and no profile found where the options point, the profile is the one the
    app behind that port holds open: without it no write could be confirmed on the app's disk.
    """
    if opts.debug_port is not None and not 0 < opts.debug_port < 65536:
        raise UsageError(f"--debug-port {opts.debug_port} is not a TCP port")
    try:
        return _resolve(opts)
    except TargetNotFound as exc:
        if opts.debug_port is None or opts.leveldb is not None or opts.user_data_dir is not None:
            raise  # a folder the user named is never swapped for another
        from flagdeck.targets.discover import storage_behind_port

        found = storage_behind_port(opts.debug_port)
        if len(found) != 1:
            why = "none" if not found else f"{len(found)}: {', '.join(map(str, found))}"
            raise TargetNotFound(
                f"{exc.message}; the app behind debug port {opts.debug_port} holds no single localStorage "
                f"folder flagdeck can see ({why}), so a write could not be confirmed on its disk",
                hint="give the app's profile folder with --user-data-dir DIR (its userData; for Chromium "
                     "the --user-data-dir it runs with) or --leveldb DIR",
            ) from None
        return _resolve(replace(opts, leveldb=found[0], user_data_dir=_root_of(found[0])))


def _root_of(leveldb: Path) -> Path:
    """The user-data root of a ``Local Storage/leveldb`` folder (``Default/`` dropped for Chromium)."""
    root = leveldb.parent.parent
    return root.parent if (root / "Preferences").is_file() and (root.parent / "Local State").is_file() else root


def _resolve(opts: TargetOptions) -> Target:
    preset: Preset | None = None
    if opts.target:
        preset = presets.get(opts.target)
    elif opts.user_data_dir is None and opts.leveldb is None:
        preset = presets.get(DEFAULT_PRESET)

    if opts.leveldb is not None:
        leveldb = opts.leveldb.expanduser()
        if not leveldb.exists():
            raise TargetNotFound(f"{leveldb} does not exist")
        user_data = opts.user_data_dir.expanduser() if opts.user_data_dir else None
    elif opts.user_data_dir is not None:
        user_data, leveldb = locate.leveldb_in(opts.user_data_dir)
    else:
        assert preset is not None
        user_data, leveldb = _from_preset(preset)

    port = opts.debug_port
    port_explicit = port is not None
    if port is None:
        port = locate.debug_port_from_profile(user_data) if user_data else None
    name = preset.display_name if preset else str(user_data or leveldb)
    origin = normalize_origin(opts.origin) if opts.origin else (preset.origin if preset else None)
    return Target(
        name=name,
        leveldb_dir=leveldb,
        user_data_dir=user_data,
        storage_key=opts.storage_key or (preset.storage_key if preset else DEFAULT_STORAGE_KEY),
        origin=origin,
        origin_explicit=opts.origin is not None,
        debug_port=port,
        debug_port_explicit=port_explicit,
        catalogue=preset.flags if preset else SEED_CATALOGUE,
        preset=preset,
    )


def _from_preset(preset: Preset) -> tuple[Path, Path]:
    found = next(locate.installed_dirs(preset), None)
    if found is not None:
        return found
    tried = locate.candidate_dirs(preset)
    hint = "run it once so it creates its storage, or give --user-data-dir"
    if preset.name == DEFAULT_PRESET:
        hint = "start it once with: flagdeck demo-target (or run ./flagdeck.sh demo)"
    raise TargetNotFound(
        f"{preset.display_name}: no profile found (looked in {', '.join(str(p) for p in tried) or 'nothing'})",
        hint=hint,
    )
