"""The flag document: what is stored, what the app will make of it, and edits that keep the rest.

The app semantics are the seed app's (Cherry Studio ``featureFlags.ts``): defaults, then the
build-time env, then the localStorage override, read once at load; only keys of the catalogue are
copied, values as they are; code tests flags by truthiness, so the string ``"false"`` is ON.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from flagdeck.errors import InvalidFlagDocument, UnknownFlag, UsageError
from flagdeck.storage import json_edit

FlagType = Literal["boolean", "string", "number", "json"]


@dataclass(frozen=True)
class FlagSpec:
    """One flag of a target's catalogue."""

    name: str
    type: FlagType = "boolean"
    default: Any = False
    description: str = ""


SEED_CATALOGUE: tuple[FlagSpec, ...] = (
    FlagSpec(
        "USE_UNIFIED_DB_SERVICE",
        "boolean",
        False,
        "Route message/topic/agent data through the unified DbService (messageThunk.v2) "
        "instead of the original per-table code.",
    ),
)


def js_truthy(value: Any) -> bool:
    """JavaScript truthiness of a JSON value (what ``if (featureFlags.X)`` sees)."""
    if value is None or value is False:
        return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value != 0
    if isinstance(value, str):
        return value != ""
    return True


def js_repr(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def name_text(name: str) -> str:
    """A flag or entry name for a one-line message: as it is when every character prints, else as
    a JSON string (``"A\\nB"``), so a line break, NUL or lone surrogate in it shows as an escape."""
    return name if name.isprintable() else json.dumps(name)


@dataclass(frozen=True)
class FlagWarning:
    code: str  # unknown-key | non-boolean | wrong-type | invalid-json | not-object | too-deep | duplicate-key
    message: str
    flag: str | None = None


@dataclass(frozen=True)
class FlagDocument:
    """The raw text stored under the storage key, and what it parses to."""

    raw: str | None
    values: dict[str, Any] | None = None
    error: str | None = None
    duplicates: tuple[str, ...] = ()

    @classmethod
    def parse(cls, raw: str | None) -> FlagDocument:
        if raw is None:
            return cls(None, {})
        if json_edit.too_deep(raw):  # Python's parser would end in a RecursionError
            depth = json_edit.nesting_depth(raw)
            return cls(raw, None, f"nested {depth} levels deep (flagdeck reads up to {json_edit.MAX_DEPTH})")
        try:
            members, _, _ = json_edit.scan_object(raw)
        except json_edit.JsonEditError as exc:
            try:
                parsed = json.loads(raw)
            except (ValueError, RecursionError):
                return cls(raw, None, f"invalid JSON: {exc}")
            kind = type(parsed).__name__ if parsed is not None else "null"
            kind = {"list": "array", "dict": "object", "str": "string", "int": "number",
                    "float": "number", "bool": "boolean"}.get(kind, kind)
            return cls(raw, None, f"not a JSON object but {kind}")
        values: dict[str, Any] = {}
        seen: set[str] = set()
        dups: list[str] = []
        for m in members:
            if m.key in seen and m.key not in dups:
                dups.append(m.key)
            seen.add(m.key)
            values[m.key] = m.value  # JSON.parse keeps the last one too
        return cls(raw, values, None, tuple(dups))

    @property
    def present(self) -> bool:
        return self.raw is not None

    @property
    def valid(self) -> bool:
        return self.error is None

    def require_valid(self, storage_key: str) -> dict[str, Any]:
        if self.values is None:
            raise InvalidFlagDocument(
                f"stored {storage_key} is {self.error}; refusing to edit it",
                hint="flagdeck status shows it; --repair backs up the raw text and starts a fresh object",
            )
        return self.values

    def text(self) -> str:
        return self.raw if self.raw is not None and self.valid else "{}"

    def with_value(self, name: str, value: Any) -> str:
        return json_edit.set_member(self.text(), name, value)

    def without(self, name: str) -> str:
        return json_edit.remove_member(self.text(), name)

    def edited(self, assignments: Sequence[tuple[str, Any]] = (), removals: Sequence[str] = ()) -> str:
        """The text after every assignment, then every removal; one pass however many (see
        ``json_edit.edit``), every other byte as it was."""
        return json_edit.edit(self.text(), assignments, removals)

    @property
    def too_deep(self) -> bool:
        return self.error is not None and self.error.startswith("nested ")

    def to_json(self) -> dict[str, Any]:
        return {"present": self.present, "raw": self.raw, "valid": self.valid, "error": self.error,
                "values": self.values, "duplicates": list(self.duplicates)}


@dataclass(frozen=True)
class FlagState:
    """One catalogue flag as the app will see it."""

    name: str
    type: FlagType
    default: Any
    description: str
    stored: bool  # present in the localStorage document
    stored_value: Any
    effective: Any  # the value the app's flag object holds
    enabled: bool  # what ``if (flag)`` does with it
    source: Literal["localStorage", "default"]


@dataclass(frozen=True)
class FlagReport:
    document: FlagDocument
    flags: tuple[FlagState, ...]
    warnings: tuple[FlagWarning, ...] = field(default_factory=tuple)

    def flag(self, name: str) -> FlagState | None:
        return next((f for f in self.flags if f.name == name), None)


def evaluate(doc: FlagDocument, catalogue: tuple[FlagSpec, ...] | list[FlagSpec]) -> FlagReport:
    """Effective values and warnings, with the seed app's override rules."""
    warnings: list[FlagWarning] = []
    stored = doc.values or {}
    if doc.too_deep:
        warnings.append(FlagWarning("too-deep", f"stored document is {doc.error}: flagdeck cannot tell which "
                                                "flags the app takes from it; writes are refused, --repair "
                                                "replaces it (its text kept in the backup)"))
    elif doc.error:
        code = "invalid-json" if doc.error.startswith("invalid JSON") else "not-object"
        warnings.append(FlagWarning(code, f"stored document is {doc.error}: the app logs an error and "
                                          "runs on its defaults"))
    for dup in doc.duplicates:
        warnings.append(FlagWarning("duplicate-key", f"{name_text(dup)} appears more than once; the app takes "
                                                     "the last", dup))
    names = [spec.name for spec in catalogue]
    known = set(names)
    for key in stored:
        if key not in known:
            close = difflib.get_close_matches(key, names, n=1, cutoff=0.75)
            hint = f" (did you mean {close[0]}?)" if close else ""
            warnings.append(FlagWarning("unknown-key", f"{name_text(key)} is not a flag of this app: it is "
                                                       f"silently ignored{hint}", key))
    states = []
    for spec in catalogue:
        present = spec.name in stored
        value = stored[spec.name] if present else spec.default
        if present:
            warnings.extend(_type_warnings(spec, value))
        states.append(FlagState(
            spec.name, spec.type, spec.default, spec.description, present,
            stored.get(spec.name), value, js_truthy(value), "localStorage" if present else "default",
        ))
    return FlagReport(doc, tuple(states), tuple(warnings))


def _type_warnings(spec: FlagSpec, value: Any) -> list[FlagWarning]:
    if spec.type == "boolean" and not isinstance(value, bool):
        acts = "ON" if js_truthy(value) else "OFF"
        kind = "string" if isinstance(value, str) else "value"
        return [FlagWarning("non-boolean", f"{spec.name} holds the {kind} {js_repr(value)}, not a boolean: "
                                           f"the app treats it as {acts}", spec.name)]
    if spec.type == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        return [FlagWarning("wrong-type", f"{spec.name} should be a number, holds {js_repr(value)}", spec.name)]
    if spec.type == "string" and not isinstance(value, str):
        return [FlagWarning("wrong-type", f"{spec.name} should be a string, holds {js_repr(value)}", spec.name)]
    return []


# --- command-line values -------------------------------------------------------------------------


def check_name(name: str) -> str:
    """``name`` when it can be a flag name given on a command line: printable characters only (a
    line break, tab, NUL or lone surrogate in it is a slip of the shell, and would break every
    one-line message and log that echoes it)."""
    if not name.isprintable():
        bad = next(c for c in name if not c.isprintable())
        raise UsageError(f"flag name {json.dumps(name)} holds a non-printing character "
                         f"(U+{ord(bad):04X}); flag names are printable text",
                         hint="check the quoting of the NAME=VALUE argument")
    return name


def parse_assignment(text: str) -> tuple[str, Any]:
    """``NAME=VALUE`` with VALUE as JSON (``true``/``false`` are booleans)."""
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise UsageError(f"expected NAME=VALUE, got {json.dumps(text)}")
    check_name(name)
    if ("[" in raw or "{" in raw) and json_edit.nesting_depth(raw) >= json_edit.MAX_DEPTH:
        raise UsageError(f"{name}: the value nests {json_edit.nesting_depth(raw)} levels deep; in the "
                         f"document that is more than the {json_edit.MAX_DEPTH} flagdeck reads")
    try:
        value = json.loads(raw, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    except ValueError:
        quoted = json.dumps(raw) if raw.isprintable() and "'" not in raw else '"..."'
        raise UsageError(
            f"{name}: {json.dumps(raw)} is not a JSON value",
            hint=f"use true/false, a number, or a quoted string such as {name}='{quoted}'",
        ) from None
    return name, value


def check_assignment(
    name: str, value: Any, catalogue: tuple[FlagSpec, ...] | list[FlagSpec], doc: FlagDocument, *, force: bool
) -> None:
    """Refuse names and values the app would silently misread, unless ``force``."""
    check_name(name)
    spec = next((s for s in catalogue if s.name == name), None)
    if spec is None:
        if force or name in (doc.values or {}):
            return
        names = [s.name for s in catalogue]
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
        raise UnknownFlag(
            f"{name} is not a flag of this target: the app would silently ignore it"
            + (f" (did you mean {close[0]}?)" if close else ""),
            hint="pass --force to write it anyway",
        )
    if force:
        return
    bad = _type_warnings(spec, value)
    if bad:
        raise UsageError(bad[0].message, hint=f"give {spec.type} (e.g. {name}=false) or pass --force")
