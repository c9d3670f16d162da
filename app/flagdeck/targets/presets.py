"""Target presets: small TOML files naming an app's data, processes, flags, secrets and logs.

Shipped presets live in ``resources/presets``; a user's own (same schema) in
``<config dir>/presets/*.toml`` override shipped ones of the same name. Path lists are per OS
(``linux``/``windows``/``macos``, or ``all``) and may use ``~``, ``$VAR``/``%VAR%``,
``$XDG_CONFIG_HOME`` (defaults to ``~/.config``) and ``$FLAGDECK_DATA`` (flagdeck's data dir).
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flagdeck import paths
from flagdeck.errors import UsageError
from flagdeck.resources_path import resources_root
from flagdeck.storage.flags import SEED_CATALOGUE, FlagSpec

_FLAG_TYPES = ("boolean", "string", "number", "json")


def os_key() -> str:
    if sys.platform == "win32":
        return "windows"
    if sys.platform == "darwin":
        return "macos"
    return "linux"


@dataclass(frozen=True)
class Preset:
    name: str
    display_name: str
    description: str = ""
    storage_key: str = "featureFlags"
    origin: str | None = None
    app_id: str | None = None
    user_data: tuple[str, ...] = ()
    custom_config: str | None = None
    portable: str | None = None
    process_names: tuple[str, ...] = ()
    launch: tuple[str, ...] = ()
    log_dir: str | None = None
    error_logs: tuple[str, ...] = ()
    all_logs: tuple[str, ...] = ()
    secret_keys: tuple[str, ...] = ()
    secret_fields: tuple[str, ...] = ()
    indexeddb: tuple[str, ...] = ()
    ready_js: str | None = None  # a JS expression true once the app finished starting
    flags: tuple[FlagSpec, ...] = SEED_CATALOGUE
    source: str = ""  # file it came from
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


def expand(template: str) -> Path:
    """Expand ``~``, ``$VAR``, ``%VAR%``, ``$XDG_CONFIG_HOME`` and ``$FLAGDECK_DATA``."""
    env = dict(os.environ)
    env.setdefault("XDG_CONFIG_HOME", str(Path.home() / ".config"))
    if "$FLAGDECK_DATA" in template:
        env["FLAGDECK_DATA"] = str(paths.data_dir())
    text = re.sub(r"%([A-Za-z_][A-Za-z0-9_]*)%", lambda m: env.get(m.group(1), m.group(0)), template)
    text = re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: env.get(m.group(1), m.group(0)), text)
    return Path(os.path.expanduser(text))


def _per_os(table: Any, what: str, source: str) -> tuple[str, ...]:
    if table is None:
        return ()
    if isinstance(table, list):
        return tuple(str(x) for x in table)
    if not isinstance(table, dict):
        raise UsageError(f"{source}: [{what}] must be a table of per-OS lists")
    values = table.get(os_key(), table.get("all")) or []
    if isinstance(values, str):
        values = [values]
    return tuple(str(x) for x in values)


def parse_preset(data: dict[str, Any], source: str) -> Preset:
    try:
        name = str(data["name"])
    except KeyError:
        raise UsageError(f"{source}: a preset needs a name") from None
    flags = []
    for item in data.get("flags", []):
        ftype = item.get("type", "boolean")
        if "name" not in item or ftype not in _FLAG_TYPES:
            raise UsageError(f"{source}: each [[flags]] needs a name and a type among {', '.join(_FLAG_TYPES)}")
        flags.append(FlagSpec(str(item["name"]), ftype, item.get("default", False), str(item.get("description", ""))))
    user_data = data.get("user_data", {})
    logs = data.get("logs", {})
    secrets = data.get("secrets", {})
    return Preset(
        name=name,
        display_name=str(data.get("display_name", name)),
        description=str(data.get("description", "")),
        storage_key=str(data.get("storage_key", "featureFlags")),
        origin=data.get("origin"),
        app_id=data.get("app_id"),
        user_data=_per_os({k: v for k, v in user_data.items() if k in ("linux", "windows", "macos", "all")},
                          "user_data", source),
        custom_config=user_data.get("custom_config"),
        portable=user_data.get("portable"),
        process_names=_per_os(data.get("process"), "process", source),
        launch=_per_os(data.get("launch"), "launch", source),
        log_dir=logs.get("dir"),
        error_logs=tuple(logs.get("errors", ())),
        all_logs=tuple(logs.get("all", ())),
        secret_keys=tuple(secrets.get("keys", ())),
        secret_fields=tuple(secrets.get("fields", ())),
        indexeddb=tuple(data.get("indexeddb", ())),
        ready_js=data.get("app", {}).get("ready"),
        flags=tuple(flags) if flags else SEED_CATALOGUE,
        source=source,
        raw=data,
    )


def _load_file(path: Any, source: str) -> Preset:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read preset {source}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"preset {source} is not valid TOML: {exc}") from exc
    return parse_preset(data, source)


def user_preset_dir() -> Path:
    return paths.config_dir() / "presets"


def load_all() -> dict[str, Preset]:
    """Shipped presets, then the user's (which win on name clashes)."""
    found: dict[str, Preset] = {}
    shipped = resources_root() / "presets"
    for item in sorted(shipped.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".toml"):
            preset = _load_file(item, f"shipped:{item.name}")
            found[preset.name] = preset
    user_dir = user_preset_dir()
    if user_dir.is_dir():
        for item in sorted(user_dir.glob("*.toml")):
            preset = _load_file(item, str(item))
            found[preset.name] = preset
    return found


def get(name: str) -> Preset:
    presets = load_all()
    if name not in presets:
        raise UsageError(f"no target preset named {name!r}", hint=f"known: {', '.join(sorted(presets))}")
    return presets[name]
