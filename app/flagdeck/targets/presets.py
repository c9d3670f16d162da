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
from typing import Any, cast

from flagdeck import paths
from flagdeck.errors import UsageError
from flagdeck.resources_path import resources_root
from flagdeck.runbooks.config import CommandSpec, LevelCommands, RunbookConfig
from flagdeck.storage.flags import SEED_CATALOGUE, FlagSpec, FlagType

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
    runbook: RunbookConfig | None = None  # [runbook]: Level 2 and 3 (None: the preset has none)
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


_OS_KEYS = ("linux", "windows", "macos", "all")
_DEFAULTS: dict[str, Any] = {"boolean": False, "string": "", "number": 0, "json": None}


def _kind(value: Any) -> str:
    """A TOML value's type as a person says it."""
    for typ, name in ((bool, "a boolean"), (int, "an integer"), (float, "a float"), (str, "a string"),
                      (list, "an array"), (dict, "a table")):
        if isinstance(value, typ):
            return name
    return f"a {type(value).__name__}"


class _Reader:
    """Typed reads of one preset file: every wrong type is a ``UsageError`` naming the file and the key."""

    def __init__(self, source: str) -> None:
        self.source = source

    def wrong(self, key: str, expected: str, value: Any) -> UsageError:
        return UsageError(f"preset {self.source}: {key} must be {expected}, not {_kind(value)}",
                          hint="fix or remove that file")

    def text(self, table: dict[str, Any], key: str, path: str = "") -> str | None:
        value = table.get(key)
        if value is not None and not isinstance(value, str):
            raise self.wrong(path + key, "a string", value)
        return value

    def texts(self, table: dict[str, Any], key: str, path: str = "") -> tuple[str, ...]:
        """An array of strings (one string alone counts as an array of one)."""
        value = table.get(key, ())
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise self.wrong(path + key, "an array of strings", value)
        return tuple(value)

    def table(self, data: dict[str, Any], key: str) -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise self.wrong(key, f"a table ([{key}])", value)
        return value

    def per_os(self, data: dict[str, Any], key: str) -> tuple[str, ...]:
        """``[key]`` with ``linux``/``windows``/``macos``/``all`` arrays (or one array for every OS):
        this OS's entries."""
        value = data.get(key)
        if value is None:
            return ()
        if isinstance(value, list):
            return self.texts(data, key)
        if not isinstance(value, dict):
            raise self.wrong(key, "a table of per-OS arrays (linux, windows, macos or all)", value)
        found = {k: self.texts(value, k, f"{key}.") for k in _OS_KEYS if k in value}
        return found.get(os_key(), found.get("all", ()))

    def flags(self, data: dict[str, Any]) -> tuple[FlagSpec, ...]:
        items = data.get("flags", [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise self.wrong("flags", "an array of [[flags]] tables", items)
        out = []
        for n, item in enumerate(items):
            where = f"flags[{n}]."
            name = self.text(item, "name", where)
            ftype = self.text(item, "type", where) or "boolean"
            if not name:
                raise UsageError(f"preset {self.source}: {where}name is missing", hint="each [[flags]] needs a name")
            if ftype not in _FLAG_TYPES:
                raise UsageError(f"preset {self.source}: {where}type is {ftype!r}",
                                 hint=f"one of {', '.join(_FLAG_TYPES)}")
            default = item.get("default", _DEFAULTS[ftype])
            if not _fits(ftype, default):
                raise self.wrong(where + "default", f"a {ftype} (the flag's type)", default)
            out.append(FlagSpec(name, cast(FlagType, ftype), default, self.text(item, "description", where) or ""))
        return tuple(out)


    def boolean(self, table: dict[str, Any], key: str, default: bool, path: str = "") -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            raise self.wrong(path + key, "a boolean", value)
        return value

    def known(self, table: dict[str, Any], keys: tuple[str, ...], path: str) -> None:
        """A key this table does not have is a typo that would silently change nothing: refused."""
        for key in table:
            if key not in keys:
                raise UsageError(f"preset {self.source}: unknown key {path}{key}", hint=f"known: {', '.join(keys)}")

    def commands(self, table: dict[str, Any], key: str, path: str) -> tuple[CommandSpec, ...]:
        """An array of commands: each an argv array of strings, or ``{run = [...], when_script = "NAME"}``."""
        items = table.get(key, [])
        if not isinstance(items, list):
            raise self.wrong(path + key, "an array of commands (argv arrays)", items)
        out = []
        for n, item in enumerate(items):
            where = f"{path}{key}[{n}]"
            if isinstance(item, dict):
                self.known(item, ("run", "when_script"), where + ".")
                argv = item.get("run")
                when = self.text(item, "when_script", where + ".")
            else:
                argv, when = item, None
            where_argv = where + (".run" if isinstance(item, dict) else "")
            if not isinstance(argv, list) or not argv or not all(isinstance(a, str) and a for a in argv):
                raise self.wrong(where_argv, "a non-empty array of non-empty strings (argv, no shell)", argv)
            out.append(CommandSpec(tuple(argv), when))
        return tuple(out)

    def level_commands(self, runbook: dict[str, Any], key: str) -> LevelCommands:
        path = f"runbook.{key}."
        value = runbook.get(key, {})
        if not isinstance(value, dict):
            raise self.wrong(f"runbook.{key}", f"a table ([runbook.{key}])", value)
        self.known(value, ("build", "deploy", "test", "manual", "restart_app"), path)
        return LevelCommands(build=self.commands(value, "build", path), deploy=self.commands(value, "deploy", path),
                             test=self.commands(value, "test", path), manual=self.texts(value, "manual", path),
                             restart_app=self.boolean(value, "restart_app", True, path))

    def runbook(self, data: dict[str, Any]) -> RunbookConfig | None:
        if "runbook" not in data:
            return None
        table = self.table(data, "runbook")
        self.known(table, ("repo", "main_branch", "feature_branch", "remote", "artifacts", "level2", "level3"),
                   "runbook.")
        path = "runbook."
        return RunbookConfig(
            repo=self.text(table, "repo", path) or None,
            main_branch=self.text(table, "main_branch", path) or "main",
            feature_branch=self.text(table, "feature_branch", path) or None,
            remote=self.text(table, "remote", path) or "origin",
            artifacts=self.texts(table, "artifacts", path),
            level2=self.level_commands(table, "level2"),
            level3=self.level_commands(table, "level3"),
        )


def _fits(ftype: str, value: Any) -> bool:
    if ftype == "boolean":
        return isinstance(value, bool)
    if ftype == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if ftype == "string":
        return isinstance(value, str)
    return True


def parse_preset(data: dict[str, Any], source: str) -> Preset:
    """A preset from its TOML document; a ``UsageError`` naming ``source`` and the key for anything
    missing or of the wrong type."""
    r = _Reader(source)
    name = r.text(data, "name")
    if not name:
        raise UsageError(f"preset {source}: name is missing", hint='add name = "..."')
    user_data = r.table(data, "user_data") if not isinstance(data.get("user_data"), list) else {}
    logs, secrets, app = r.table(data, "logs"), r.table(data, "secrets"), r.table(data, "app")
    flags = r.flags(data)
    runbook = r.runbook(data)
    return Preset(
        name=name,
        display_name=r.text(data, "display_name") or name,
        description=r.text(data, "description") or "",
        storage_key=r.text(data, "storage_key") or "featureFlags",
        origin=r.text(data, "origin"),
        app_id=r.text(data, "app_id"),
        user_data=r.per_os(data, "user_data"),
        custom_config=r.text(user_data, "custom_config", "user_data."),
        portable=r.text(user_data, "portable", "user_data."),
        process_names=r.per_os(data, "process"),
        launch=r.per_os(data, "launch"),
        log_dir=r.text(logs, "dir", "logs."),
        error_logs=r.texts(logs, "errors", "logs."),
        all_logs=r.texts(logs, "all", "logs."),
        secret_keys=r.texts(secrets, "keys", "secrets."),
        secret_fields=r.texts(secrets, "fields", "secrets."),
        indexeddb=r.texts(data, "indexeddb"),
        ready_js=r.text(app, "ready", "app."),
        flags=flags or SEED_CATALOGUE,
        runbook=runbook,
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


@dataclass(frozen=True)
class BrokenPreset:
    """A user preset that does not load: listed by ``targets``, its error raised when it is asked for."""

    name: str  # its ``name`` when that much could be read, else the file's stem
    source: str
    error: UsageError


def _name_in(path: Path) -> str:
    try:
        name = tomllib.loads(path.read_text(encoding="utf-8")).get("name")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        name = None
    return name if isinstance(name, str) and name else path.stem


def user_preset_dir() -> Path:
    return paths.config_dir() / "presets"


def scan() -> tuple[dict[str, Preset], list[BrokenPreset]]:
    """Shipped presets, then the user's (which win on name clashes), and the user files that do not
    load: one broken file hides nothing but itself."""
    found: dict[str, Preset] = {}
    broken: list[BrokenPreset] = []
    shipped = resources_root() / "presets"
    for item in sorted(shipped.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".toml"):
            preset = _load_file(item, f"shipped:{item.name}")
            found[preset.name] = preset
    user_dir = user_preset_dir()
    if user_dir.is_dir():
        for item in sorted(user_dir.glob("*.toml")):
            try:
                preset = _load_file(item, str(item))
            except UsageError as exc:
                broken.append(BrokenPreset(_name_in(item), str(item), exc))
                continue
            found[preset.name] = preset
    return found, broken


def load_all() -> dict[str, Preset]:
    """Every preset that loads (shipped, then the user's, which win on name clashes)."""
    return scan()[0]


def get(name: str) -> Preset:
    """The preset ``name``; a user preset of that name that does not load is its error (exit 2, naming
    the file and the key), not a silent fall back to a shipped one."""
    presets, broken = scan()
    for bad in broken:
        if bad.name == name:
            raise bad.error
    if name not in presets:
        raise UsageError(f"no target preset named {name!r}", hint=f"known: {', '.join(sorted(presets))}")
    return presets[name]
