"""Masking secrets in everything an evidence bundle, the history and a team alert hold, and counting what was masked.

Three layers, in this order:

1. **Structure.** localStorage entries named by the preset's ``secret_keys`` and any JSON field
   named in ``secret_fields`` (at any depth, also inside JSON that sits in a JSON *string*, as
   redux-persist stores state: ``{"llm": "{\\"providers\\":[{\\"apiKey\\":\\"sk-…\\"}]}"}``).
2. **Patterns** in every string and text file: ``Authorization``/``Bearer``, ``Cookie``/
   ``Set-Cookie``, ``sk-…`` keys, AWS access key ids, ``password=``/``token=``/``api_key=`` in query
   strings and ``"password": "…"`` in JSON text, JWTs, GitHub and Slack tokens, URL credentials.
3. **Known secrets.** Every value masked by 1 or 2 is remembered; a last pass masks it verbatim
   (and its JSON-escaped, URL-encoded and UTF-16 spellings) in every file, binary ones included,
   so a key the page also printed to its console is gone from the console log too. The caller
   must run that pass over *all* files after the first two (:meth:`Redactor.mask_known_text`,
   :meth:`Redactor.mask_known_bytes`), since a secret found late may sit in a file seen early.

Masks keep the shape (``"apiKey": "«redacted:apiKey»"``). The :class:`RedactionReport` holds
paths, rules and counts, never a value. Values shorter than :data:`MIN_KNOWN` characters are
masked where found but not searched for elsewhere (masking every ``"1"`` would ruin the bundle).
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from flagdeck.storage import json_edit

MIN_KNOWN = 6

# Field names that hold secrets in any app, on top of a preset's own ``secret_fields``.
GENERIC_FIELDS = (
    "password", "passwd", "pwd", "pass", "secret", "clientSecret", "token", "accessToken", "refreshToken",
    "idToken", "sessionToken", "authToken", "apiKey", "apiSecret", "privateKey", "secretAccessKey",
    "authorization", "proxyAuthorization", "cookie", "setCookie", "xApiKey",
)
# HTTP headers whose value is a credential (compared lower-case).
SECRET_HEADERS = frozenset({
    "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key",
    "x-auth-token", "x-access-token", "x-csrf-token", "x-xsrf-token",
})
_QUERY_NAMES = (
    "password", "passwd", "pwd", "token", "access_token", "refresh_token", "id_token", "auth",
    "api_key", "apikey", "api-key", "key_secret", "secret", "client_secret", "sig", "signature",
)


def mask(label: str) -> str:
    return f"«redacted:{label}»"


def _norm(name: str) -> str:
    """``apiKey``, ``api_key``, ``API-KEY`` → ``apikey``: field names compared loosely."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


@dataclass(frozen=True)
class _Rule:
    name: str
    regex: re.Pattern[str]
    group: str = "secret"  # the named group that is masked; the rest of the match stays


def _rules(extra_fields: Iterable[str]) -> list[_Rule]:
    fields = sorted({*GENERIC_FIELDS, *extra_fields, "api_key", "access_token", "refresh_token",
                     "client_secret"}, key=len, reverse=True)
    field_alt = "|".join(re.escape(f) for f in fields if f)
    query_alt = "|".join(re.escape(q) for q in sorted({*_QUERY_NAMES, *extra_fields}, key=len, reverse=True) if q)
    return [
        _Rule("authorization", re.compile(
            r"(?i)\b(?:proxy-)?authorization(?:\\?[\"'])?\s*[:=]\s*(?:\\?[\"'])?"
            r"(?:(?:bearer|basic|token|digest|negotiate|apikey)\s+)?(?P<secret>[^\s\"'\\,;}\]]+)")),
        _Rule("bearer", re.compile(r"(?i)\bbearer\s+(?P<secret>[A-Za-z0-9._~+/=-]{8,})")),
        _Rule("cookie", re.compile(
            r"(?im)\b(?:set-)?cookie(?:\\?[\"'])?\s*:\s*(?:\\?[\"'])?(?P<secret>[^\r\n\"\\]+)")),
        _Rule("url-credentials", re.compile(
            r"(?i)\b[a-z][a-z0-9+.-]*://[^/\s:@\"']+:(?P<secret>[^/\s@\"']+)@")),
        _Rule("json-secret-field", re.compile(
            r"(?i)\\*[\"'](?:" + field_alt + r")\\*[\"']\s*:\s*\\*[\"'](?P<secret>[^\"'\\]+)")),
        _Rule("query-secret", re.compile(
            r"(?i)(?:(?<=[?&;\s])|^)(?:" + query_alt + r")=(?P<secret>[^&\s#\"'<>]+)")),
        _Rule("jwt", re.compile(
            r"\b(?P<secret>eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})")),
        _Rule("openai-key", re.compile(r"(?<![A-Za-z0-9])(?P<secret>sk-[A-Za-z0-9][A-Za-z0-9_-]{15,})")),
        _Rule("aws-access-key-id", re.compile(r"\b(?P<secret>(?:AKIA|ASIA)[0-9A-Z]{16})\b")),
        _Rule("github-token", re.compile(
            r"\b(?P<secret>gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})\b")),
        _Rule("slack-token", re.compile(r"\b(?P<secret>xox[abposre]-[A-Za-z0-9-]{10,})")),
        _Rule("slack-webhook", re.compile(
            r"https://hooks\.slack\.com/(?:services|workflows|triggers)/(?P<secret>[A-Za-z0-9/_-]+)")),
    ]


@dataclass(frozen=True)
class _Ruleset:
    """What a set of secret keys and fields compiles to; shared by every :class:`Redactor` with the
    same ones (compiling the rules is most of what building a redactor costs)."""

    secret_keys: frozenset[str]
    fields: frozenset[str]
    rules: tuple[_Rule, ...]


@functools.lru_cache(maxsize=32)
def _ruleset(secret_keys: tuple[str, ...], secret_fields: tuple[str, ...]) -> _Ruleset:
    return _Ruleset(frozenset(secret_keys), frozenset(_norm(f) for f in (*GENERIC_FIELDS, *secret_fields) if f),
                    tuple(_rules(secret_fields)))


@dataclass
class RedactionReport:
    """What was masked, per bundle path and rule: counts only, never a value."""

    enabled: bool = True
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    known_secrets: int = 0  # distinct values searched for verbatim
    short_values: int = 0  # values masked in place but too short to search for elsewhere

    def add(self, path: str, rule: str, n: int = 1) -> None:
        if n:
            self.counts.setdefault(path, Counter())[rule] += n

    @property
    def total(self) -> int:
        return sum(sum(c.values()) for c in self.counts.values())

    def by_rule(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for c in self.counts.values():
            out.update(c)
        return out

    def headline(self) -> str:
        if not self.enabled:
            return "REDACTION OFF: exported with --no-redact; this bundle may hold secrets (keys, tokens, cookies)"
        return (f"redaction on: {self.total} value(s) masked in {len(self.counts)} file(s); "
                f"{self.known_secrets} distinct secret value(s) searched for in every file")

    def text(self) -> str:
        lines = [self.headline()]
        if self.enabled:
            if self.short_values:
                lines.append(f"{self.short_values} short value(s) (< {MIN_KNOWN} chars) masked where found only")
            for path in sorted(self.counts):
                rules = ", ".join(f"{rule}: {n}" for rule, n in sorted(self.counts[path].items()))
                lines.append(f"{path}: {rules}")
        return "\n".join(lines) + "\n"

    def to_json(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "headline": self.headline(),
            "total": self.total,
            "known_secrets": self.known_secrets,
            "short_values": self.short_values,
            "by_rule": dict(sorted(self.by_rule().items())),
            "by_path": {p: dict(sorted(c.items())) for p, c in sorted(self.counts.items())},
        }


class Redactor:
    """One bundle's redaction state: the rules, the secrets found so far, the report.

    ``enabled=False`` (``--no-redact``) passes everything through and says so in the report.
    The compiled rules are cached per set of secret keys and fields; the secrets found and the
    report belong to one instance, so make one per bundle (or per history row, per alert).
    """

    def __init__(self, secret_keys: Sequence[str] = (), secret_fields: Sequence[str] = (), *,
                 enabled: bool = True) -> None:
        self.enabled = enabled
        ruleset = _ruleset(tuple(secret_keys), tuple(secret_fields))
        self.secret_keys = ruleset.secret_keys
        self._fields = ruleset.fields
        self._rules = ruleset.rules
        self._known: set[str] = set()
        self._short: set[str] = set()
        self._known_re: re.Pattern[str] | None = None
        self._known_bytes_re: re.Pattern[bytes] | None = None
        self.report = RedactionReport(enabled=enabled)

    @classmethod
    def for_target(cls, preset: Any | None, *, enabled: bool = True) -> Redactor:
        """The target's preset rules; without a preset, every known preset's (a profile given by
        ``--user-data-dir`` may well be Cherry Studio's)."""
        if preset is not None:
            return cls(preset.secret_keys, preset.secret_fields, enabled=enabled)
        keys, fields = every_preset_secrets()
        return cls(keys, fields, enabled=enabled)

    # --- secrets found ------------------------------------------------------------------------

    def is_secret_field(self, name: str) -> bool:
        return _norm(name) in self._fields

    def remember(self, value: str) -> None:
        """Search for ``value`` verbatim in every file from now on (the caller masked it)."""
        if not value or value.startswith("«redacted:"):
            return
        if len(value) < MIN_KNOWN:
            if value not in self._short:
                self._short.add(value)
                self.report.short_values = len(self._short)
            return
        if value not in self._known:
            self._known.add(value)
            self._known_re = self._known_bytes_re = None
            self.report.known_secrets = len(self._known)

    @property
    def known(self) -> frozenset[str]:
        return frozenset(self._known)

    # --- free text and JSON in one call -------------------------------------------------------

    def scrub_text(self, text: str, path: str) -> str:
        """Both passes over one free text (an error message, an alert): the patterns, then every
        secret they found verbatim in all its spellings."""
        return self.mask_known_text(self.text(text, path), path)

    def scrub_json(self, value: Any, path: str) -> Any:
        """Both passes over one JSON value: secret fields and patterns at any depth, then every
        secret found anywhere in it masked verbatim in every string (keys included)."""
        clean = self.json_value(value, path)
        if not self.enabled or not self._known:
            return clean
        return self._mask_known_walk(clean, path)

    def _mask_known_walk(self, value: Any, path: str) -> Any:
        if isinstance(value, dict):
            return {self.mask_known_text(str(k), path): self._mask_known_walk(v, path) for k, v in value.items()}
        if isinstance(value, list):
            return [self._mask_known_walk(v, path) for v in value]
        if isinstance(value, str):
            return self.mask_known_text(value, path)
        return value

    # --- text ---------------------------------------------------------------------------------

    def text(self, text: str, path: str) -> str:
        """Pattern rules over free text (a log, a console line, a string leaf)."""
        if not self.enabled or not text:
            return text
        for rule in self._rules:
            text = self._apply(rule, text, path)
        return text

    def _apply(self, rule: _Rule, text: str, path: str) -> str:
        count = 0

        def sub(m: re.Match[str]) -> str:
            nonlocal count
            secret = m.group(rule.group)
            if not secret or "«redacted:" in secret:
                return m.group(0)
            count += 1
            self.remember(secret)
            if rule.name == "cookie":
                for part in secret.split(";"):
                    self.remember(part.partition("=")[2].strip())
            start, end = m.start(rule.group) - m.start(), m.end(rule.group) - m.start()
            whole = m.group(0)
            return whole[:start] + mask(rule.name) + whole[end:]

        if rule.regex.search(text) is None:
            return text
        out = rule.regex.sub(sub, text)
        self.report.add(path, rule.name, count)
        return out

    # --- JSON ---------------------------------------------------------------------------------

    def json_value(self, value: Any, path: str) -> Any:
        """A JSON value with secret fields masked at any depth, JSON-in-string included."""
        if not self.enabled:
            return value
        return self._walk(value, path, 0)

    def _walk(self, value: Any, path: str, depth: int) -> Any:
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in value.items():
                if self.is_secret_field(str(key)):
                    out[key] = self._mask_leaves(item, str(key), path)
                else:
                    out[key] = self._walk(item, path, depth)
            return out
        if isinstance(value, list):
            return [self._walk(item, path, depth) for item in value]
        if isinstance(value, str):
            return self._string(value, path, depth)
        return value

    def _string(self, value: str, path: str, depth: int) -> str:
        """A string leaf: JSON inside (walk it, re-serialise only if it changed), else patterns."""
        stripped = value.strip()
        if (depth < 16 and stripped[:1] in ("{", "[") and stripped[-1:] in ("}", "]")
                and not json_edit.too_deep(stripped)):  # deeper: patterns only (no RecursionError)
            try:
                inner = json.loads(stripped)
            except ValueError:
                inner = None
            if isinstance(inner, dict | list):
                walked = self._walk(inner, path, depth + 1)
                if walked == inner:
                    return value
                return _dumps_like(walked, inner, stripped)
        return self.text(value, path)

    def _mask_leaves(self, value: Any, label: str, path: str) -> Any:
        """Every string/number leaf under a secret field, masked; ``""``, booleans, null kept."""
        if isinstance(value, dict):
            return {k: self._mask_leaves(v, label, path) for k, v in value.items()}
        if isinstance(value, list):
            return [self._mask_leaves(v, label, path) for v in value]
        if isinstance(value, bool) or value is None or value == "":
            return value
        text = value if isinstance(value, str) else json.dumps(value)
        if text.startswith("«redacted:"):
            return value
        self.remember(text)
        self.report.add(path, f"field:{label}")
        return mask(label)

    # --- localStorage, headers, HAR -----------------------------------------------------------

    def entries(self, entries: Iterable[tuple[str, str]], path: str) -> list[dict[str, str]]:
        """localStorage ``(key, value)`` pairs as ``[{"key", "value"}]``, redacted.

        An entry named by ``secret_keys`` or named like a secret field (``accessToken``,
        ``apiKey``...) is walked when its value is JSON and masked whole otherwise; every other
        entry is walked when it is JSON and pattern-checked when it is not.
        """
        out = []
        for key, value in entries:
            if not self.enabled:
                out.append({"key": key, "value": value})
                continue
            if (key in self.secret_keys or self.is_secret_field(key)) and not _is_json_container(value):
                self.remember(value)
                self.report.add(path, f"key:{key}")
                out.append({"key": key, "value": mask(key)})
                continue
            out.append({"key": key, "value": self._string(value, path, 0)})
        return out

    def headers(self, headers: list[dict[str, str]], path: str) -> list[dict[str, str]]:
        """HTTP headers ``[{"name", "value"}]`` with credential headers' values masked; the other
        values are left to the caller's pattern pass (:meth:`har` walks the whole document)."""
        if not self.enabled:
            return headers
        out = []
        for h in headers:
            name, value = str(h.get("name", "")), str(h.get("value", ""))
            if name.lower() in SECRET_HEADERS:
                for line in value.split("\n"):
                    self.remember(line)
                    for part in re.split(r"[;,]", line):
                        self.remember(part.partition("=")[2].strip())
                    if " " in line:
                        self.remember(line.split(" ", 1)[1].strip())
                self.report.add(path, "header")
                out.append({"name": name, "value": mask(name.lower())})
            else:
                out.append({"name": name, "value": value})
        return out

    def har(self, har: dict[str, Any], path: str) -> dict[str, Any]:
        """A HAR document: credential headers masked, cookie lists emptied, the rest walked.

        flagdeck's own trace (``har.py``) keeps cookies in their headers only; a HAR another tool
        saved into the data dir (a browser's "Save all as HAR") lists them in ``cookies`` too."""
        if not self.enabled:
            return har
        log = har.get("log", {})
        for entry in log.get("entries", []):
            for side in ("request", "response"):
                part = entry.get(side, {})
                part["headers"] = self.headers(part.get("headers", []), path)
                for cookie in part.get("cookies", []):
                    self.remember(str(cookie.get("value", "")))
                if part.get("cookies"):
                    self.report.add(path, "cookie", len(part["cookies"]))
                part["cookies"] = []
        walked = self.json_value(har, path)
        return walked if isinstance(walked, dict) else har

    # --- the verbatim pass --------------------------------------------------------------------

    def _variants(self) -> list[str]:
        import html  # here: a history row or an alert rarely gets this far

        out: set[str] = set()
        for s in self._known:
            out.add(s)
            for ascii_ in (False, True):  # JSON in JSON in JSON..., as written by JS or Python
                level = s
                for _ in range(4):
                    level = json.dumps(level, ensure_ascii=ascii_)[1:-1]
                    out.add(level)
            out.add(quote(s, safe="", errors="surrogatepass"))  # a JS string may hold a lone surrogate
            out.add(quote(s, errors="surrogatepass"))
            out.add(html.escape(s))
        return sorted((v for v in out if len(v) >= MIN_KNOWN), key=len, reverse=True)

    def mask_known_text(self, text: str, path: str) -> str:
        """Mask every known secret (and its escaped spellings) verbatim in ``text``."""
        if not self.enabled or not self._known:
            return text
        if self._known_re is None:
            self._known_re = re.compile("|".join(re.escape(v) for v in self._variants()))
        out, n = self._known_re.subn(mask("known-secret"), text)
        self.report.add(path, "known-secret", n)
        return out

    def mask_known_bytes(self, data: bytes, path: str) -> bytes:
        """Mask known secrets in a binary file (UTF-8 and UTF-16LE spellings), same length, so
        the file keeps its layout; nothing else in a binary file is touched."""
        if not self.enabled or not self._known:
            return data
        if self._known_bytes_re is None:
            forms: set[bytes] = set()
            for v in self._variants():
                forms.add(v.encode("utf-8", "surrogatepass"))
                forms.add(v.encode("utf-16-le", "surrogatepass"))  # as Chromium stores a lone surrogate
            self._known_bytes_re = re.compile(
                b"|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)))
        out, n = self._known_bytes_re.subn(lambda m: b"*" * len(m.group(0)), data)
        self.report.add(path, "known-secret", n)
        return out


def every_preset_secrets() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The secret keys and fields of every known preset (shipped and the user's)."""
    from flagdeck.targets import presets

    try:
        every = list(presets.load_all().values())
    except Exception:  # a broken user preset must not stop an export; generic rules remain
        every = []
    return (tuple(dict.fromkeys(k for p in every for k in p.secret_keys)),
            tuple(dict.fromkeys(f for p in every for f in p.secret_fields)))


def _dumps_like(value: Any, original: Any, text: str) -> str:
    """Serialise ``value`` in the layout ``text`` (the JSON of ``original``) used: compact as
    ``JSON.stringify`` writes it, Python's default, or indented."""
    for ascii_ in (False, True):
        if json.dumps(original, ensure_ascii=ascii_, separators=(",", ":")) == text:
            return json.dumps(value, ensure_ascii=ascii_, separators=(",", ":"))
        if json.dumps(original, ensure_ascii=ascii_) == text:
            return json.dumps(value, ensure_ascii=ascii_)
    if "\n" in text:
        return json.dumps(value, ensure_ascii=False, indent=2)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _is_json_container(value: str) -> bool:
    s = value.strip()
    if s[:1] not in ("{", "[") or json_edit.too_deep(s):
        return False
    try:
        return isinstance(json.loads(s), dict | list)
    except ValueError:
        return False
