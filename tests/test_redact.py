"""Redaction: each rule, JSON inside JSON strings at several depths, non-JSON strings, HAR headers,
binary files (known-secret search only), the verbatim pass, and the report (counts, never values)."""

from __future__ import annotations

import json

import pytest

from flagdeck.redact import MIN_KNOWN, Redactor, mask
from flagdeck.targets import presets

KEY = "sk-test-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"
PASS = "correct-horse-battery-staple"


def cherry() -> Redactor:
    return Redactor.for_target(presets.get("cherry-studio"))


def nest(value: object, depth: int) -> str:
    """``value`` as JSON, wrapped ``depth`` times in a JSON string under a key (redux-persist style)."""
    text = json.dumps(value)
    for n in range(depth):
        text = json.dumps({f"level{n}": text})
    return text


# --- structure -------------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [0, 1, 2, 3, 5])
def test_secret_field_inside_json_strings_at_any_depth(depth: int) -> None:
    r = cherry()
    value = nest({"providers": [{"id": "openai", "apiKey": KEY, "name": "OpenAI"}]}, depth)
    out = r.entries([("persist:cherry-studio", value)], "ls.json")[0]["value"]
    assert KEY not in out
    assert "OpenAI" in out and "openai" in out  # the rest is kept
    inner = out
    for n in reversed(range(depth)):
        inner = json.loads(inner)[f"level{n}"]
    assert json.loads(inner)["providers"][0]["apiKey"] == mask("apiKey")
    assert r.report.counts["ls.json"]["field:apiKey"] == 1
    assert KEY in r.known


def test_redux_persist_entry_keeps_its_layout() -> None:
    """JSON.stringify's compact layout stays compact; untouched strings stay byte-identical."""
    r = cherry()
    llm = json.dumps({"providers": [{"id": "openai", "apiKey": KEY}]}, separators=(",", ":"))
    settings = json.dumps({"theme": "dark"}, separators=(",", ":"))
    value = json.dumps({"llm": llm, "settings": settings, "_persist": "{}"}, separators=(",", ":"))
    out = r.entries([("persist:cherry-studio", value)], "ls.json")[0]["value"]
    assert ", " not in out and '"settings":"{\\"theme\\":\\"dark\\"}"' in out
    assert json.loads(json.loads(out)["llm"]) == {"providers": [{"id": "openai", "apiKey": mask("apiKey")}]}


def test_every_cherry_studio_secret_field_is_masked() -> None:
    r = cherry()
    fields = presets.get("cherry-studio").secret_fields
    doc = {f: f"value-of-{f}-0123456789" for f in fields if f != "env"}
    doc["env"] = {"OPENAI_API_KEY": "env-secret-0123456789", "DEBUG": True}
    out = json.loads(r.entries([("persist:cherry-studio", json.dumps({"settings": json.dumps(doc)}))],
                               "ls.json")[0]["value"])
    settings = json.loads(out["settings"])
    for f in fields:
        if f != "env":
            assert settings[f] == mask(f)
    assert settings["env"] == {"OPENAI_API_KEY": mask("env"), "DEBUG": True}  # names kept, values masked
    assert "0123456789" not in json.dumps(out)


def test_field_names_match_loosely_and_empty_or_boolean_values_stay() -> None:
    r = Redactor(secret_fields=["apiKey"])
    out = r.json_value({"API_KEY": "abcdefgh1", "api-key": "abcdefgh2", "apiKey": "", "password": None,
                        "token": True, "count": 3}, "x.json")
    assert out == {"API_KEY": mask("API_KEY"), "api-key": mask("api-key"), "apiKey": "", "password": None,
                   "token": True, "count": 3}


def test_secret_key_entry_that_is_not_json_is_masked_whole() -> None:
    r = Redactor(secret_keys=["demo:secrets"])
    out = r.entries([("demo:secrets", "hunter2-plain-text"), ("language", "zh-CN")], "ls.json")
    assert out == [{"key": "demo:secrets", "value": mask("demo:secrets")}, {"key": "language", "value": "zh-CN"}]
    assert r.report.counts["ls.json"] == {"key:demo:secrets": 1}


def test_entry_named_like_a_secret_field_is_masked_whole() -> None:
    """A plain-string localStorage entry under ``accessToken``/``apiKey`` (no preset names the key)
    is a credential too: masked whole, and searched for in every other file."""
    r = Redactor()
    out = r.entries([("accessToken", "plain-access-token-0123"), ("api_key", "plain-api-key-0123"),
                     ("language", "en"), ("token", json.dumps({"v": 1}))], "ls.json")
    assert out == [{"key": "accessToken", "value": mask("accessToken")}, {"key": "api_key", "value": mask("api_key")},
                   {"key": "language", "value": "en"}, {"key": "token", "value": '{"v": 1}'}]
    assert {"plain-access-token-0123", "plain-api-key-0123"} <= r.known
    assert r.report.counts["ls.json"] == {"key:accessToken": 1, "key:api_key": 1}
    assert r.mask_known_text("console: plain-access-token-0123", "c.log") == f"console: {mask('known-secret')}"


def test_non_json_strings_and_broken_json_are_pattern_checked_not_parsed() -> None:
    r = cherry()
    out = r.entries([("a", "{not json at all: " + KEY + "}"), ("b", "[1, 2"), ("c", "plain words")], "ls.json")
    assert out[0]["value"] == "{not json at all: " + mask("openai-key") + "}"
    assert out[1]["value"] == "[1, 2" and out[2]["value"] == "plain words"


def test_without_a_preset_every_known_preset_s_rules_apply() -> None:
    r = Redactor.for_target(None)
    value = json.dumps({"x": json.dumps({"webdavPass": PASS})})
    assert PASS not in r.entries([("persist:cherry-studio", value)], "ls.json")[0]["value"]


# --- patterns --------------------------------------------------------------------------------------

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk"


@pytest.mark.parametrize(("text", "secret", "rule"), [
    ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA==", "authorization"),
    ('{"authorization": "Token abcdef0123456789"}', "abcdef0123456789", "authorization"),
    ("curl -H 'x: y' Bearer abcdefghijklmnop0123 done", "abcdefghijklmnop0123", "bearer"),
    ("Cookie: sid=s3cr3t-session-id; theme=dark", "sid=s3cr3t-session-id; theme=dark", "cookie"),
    ("Set-Cookie: refresh=r3fr3sh-token-value; HttpOnly", "r3fr3sh-token-value", "cookie"),
    ("calling with sk-proj-AbCdEfGhIjKlMnOpQrSt123 now", "sk-proj-AbCdEfGhIjKlMnOpQrSt123", "openai-key"),
    ("aws key AKIAIOSFODNN7EXAMPLE used", "AKIAIOSFODNN7EXAMPLE", "aws-access-key-id"),
    ("session ASIAY34FZKBOKMUTVV7A used", "ASIAY34FZKBOKMUTVV7A", "aws-access-key-id"),
    ("GET /api?user=1&password=hunter2hunter2&x=2", "hunter2hunter2", "query-secret"),
    ("GET /api?token=tok-0123456789", "tok-0123456789", "query-secret"),
    ("https://h/x?api_key=ak-0123456789#frag", "ak-0123456789", "query-secret"),
    ('log: {"password": "pa55w0rd-long"} end', "pa55w0rd-long", "json-secret-field"),
    ('nested: {\\"apiKey\\":\\"nested-key-0123\\"}', "nested-key-0123", "json-secret-field"),
    (f"jwt {JWT} end", JWT, "jwt"),
    ("gh ghp_" + "A1b2C3d4E5" * 4 + " end", "ghp_" + "A1b2C3d4E5" * 4, "github-token"),
    ("pat github_pat_11ABCDEFG0123456789_abcdefghijklmnop end", "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
     "github-token"),
    ("slack xoxb-1234567890-0987654321-AbCdEf end", "xoxb-1234567890-0987654321-AbCdEf", "slack-token"),
    ("hook https://hooks.slack.com/services/T000/B000/XXXXyyyyZZZZ end", "T000/B000/XXXXyyyyZZZZ", "slack-webhook"),
    ("db postgres://admin:db-pass-0123@db.local/app", "db-pass-0123", "url-credentials"),
])
def test_pattern_rules(text: str, secret: str, rule: str) -> None:
    r = Redactor()
    out = r.text(text, "log.txt")
    assert secret not in out
    assert mask(rule) in out
    assert r.report.counts["log.txt"][rule] >= 1
    assert r.report.counts["log.txt"].total() >= 1


def test_patterns_leave_ordinary_text_alone() -> None:
    r = Redactor()
    text = ("2025-09-10 12:00:01 INFO [FeatureFlags] USE_UNIFIED_DB_SERVICE set to false via localStorage\n"
            "task-runner skipped; tokenizer ready; password field shown; see https://example.com/a?b=c\n")
    assert r.text(text, "app.log") == text
    assert r.report.total == 0


# --- the verbatim pass -----------------------------------------------------------------------------


def test_known_secrets_are_masked_everywhere_in_every_spelling() -> None:
    r = cherry()
    odd = 'p@ss "quoted" & /slash ünï'  # a value whose escaped spellings differ from it
    r.entries([("persist:cherry-studio", json.dumps({"s": json.dumps({"webdavPass": odd, "apiKey": KEY})}))],
              "ls.json")
    console = f"console: webdav password is {odd}; json {json.dumps(odd)}; double {json.dumps(json.dumps(odd))}"
    out = r.mask_known_text(console, "console.log")
    assert odd not in out and json.dumps(odd)[1:-1] not in out
    assert out.count(mask("known-secret")) == 3
    from urllib.parse import quote

    assert quote(odd, safe="") not in r.mask_known_text(f"GET /x?p={quote(odd, safe='')}", "trace.har")


def test_binary_files_are_left_alone_except_known_secrets() -> None:
    r = cherry()
    r.entries([("persist:cherry-studio", json.dumps({"apiKey": KEY}))], "ls.json")
    blob = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) + b"Authorization: Bearer abcdefghijklmnop"
    assert r.mask_known_bytes(blob, "a.png") == blob  # patterns do not apply to binary files
    with_key = blob + KEY.encode() + b"\x00" + KEY.encode("utf-16-le")
    out = r.mask_known_bytes(with_key, "a.png")
    assert len(out) == len(with_key) and KEY.encode() not in out and KEY.encode("utf-16-le") not in out
    assert out.startswith(blob)
    assert r.report.counts["a.png"]["known-secret"] == 2


def test_short_values_are_masked_in_place_but_not_hunted() -> None:
    r = Redactor()
    out = r.json_value({"password": "abc"}, "x.json")
    assert out == {"password": mask("password")}
    assert r.mask_known_text("abc is everywhere: abcabc", "y.txt") == "abc is everywhere: abcabc"
    assert r.report.short_values == 1 and MIN_KNOWN > 3


def test_scrub_text_and_scrub_json_mask_what_they_find_everywhere_in_the_value() -> None:
    r = Redactor()
    text = "reload failed: Authorization: Bearer opaque-token-0123456789; retried with opaque-token-0123456789"
    assert r.scrub_text(text, "alert") == ("reload failed: Authorization: Bearer «redacted:authorization»; retried "
                                           "with «redacted:known-secret»")
    r = Redactor()
    doc = {"message": f"page said {PASS}", "details": {"password": PASS, "steps": [{"id": "reload", "s": 1.2}],
                                                        f"key {PASS}": True}}
    out = r.scrub_json(doc, "history")
    assert PASS not in json.dumps(out)
    assert out["details"]["password"] == mask("password") and out["details"]["steps"] == [{"id": "reload", "s": 1.2}]
    assert out["message"] == f"page said {mask('known-secret')}"


def test_redactors_share_compiled_rules_but_not_what_they_found() -> None:
    a, b = cherry(), cherry()
    assert a._rules is b._rules  # compiled once per set of secret keys and fields
    a.json_value({"apiKey": KEY}, "x.json")
    assert KEY in a.known and not b.known and b.report.total == 0


# --- headers and HAR -------------------------------------------------------------------------------


def test_har_credential_headers_and_cookies_are_stripped_and_hunted() -> None:
    r = Redactor()
    har = {"log": {"entries": [{
        "request": {"url": "https://api.example.com/v1?token=abcdef012345", "headers": [
            {"name": "Authorization", "value": "Bearer opaque-token-0123"},
            {"name": "Cookie", "value": "sid=cookie-value-0123; a=b"},
            {"name": "Accept", "value": "application/json"}],
            "cookies": [{"name": "sid", "value": "cookie-value-0123"}]},
        "response": {"headers": [{"name": "set-cookie", "value": "sid=new-cookie-0123"}], "cookies": []}}]}}
    out = r.har(har, "trace.har")
    text = json.dumps(out)
    for secret in ("opaque-token-0123", "cookie-value-0123", "new-cookie-0123", "abcdef012345"):
        assert secret not in text
    req = out["log"]["entries"][0]["request"]
    assert req["headers"][2] == {"name": "Accept", "value": "application/json"}
    assert req["cookies"] == []
    assert "opaque-token-0123" in r.known
    assert r.mask_known_text("console: opaque-token-0123", "c.log") == f"console: {mask('known-secret')}"
    assert r.report.counts["trace.har"]["cookie"] == 1  # a HAR another tool saved lists cookies


def test_other_header_values_are_pattern_checked_once() -> None:
    r = Redactor()
    headers = [{"name": "X-Debug", "value": "Bearer abcdefghijklmnop0123"}, {"name": "Accept", "value": "*/*"}]
    assert r.headers(headers, "trace.har") == headers  # left to the walk of the whole document
    out = r.har({"log": {"entries": [{"request": {"headers": headers}, "response": {}}]}}, "trace.har")
    assert out["log"]["entries"][0]["request"]["headers"] == [
        {"name": "X-Debug", "value": f"Bearer {mask('bearer')}"}, {"name": "Accept", "value": "*/*"}]
    assert r.report.counts["trace.har"] == {"bearer": 1}


# --- the report ------------------------------------------------------------------------------------


def test_report_has_paths_rules_and_counts_never_values() -> None:
    r = cherry()
    r.entries([("persist:cherry-studio", json.dumps({"llm": json.dumps({"apiKey": KEY, "webdavPass": PASS})}))],
              "localstorage/file.json")
    r.mask_known_text(f"{KEY} {KEY}", "console/01.log")
    text, doc = r.report.text(), json.dumps(r.report.to_json())
    for secret in (KEY, PASS):
        assert secret not in text and secret not in doc
    assert text.splitlines()[0].startswith("redaction on: 4 value(s) masked in 2 file(s)")
    assert "localstorage/file.json: field:apiKey: 1, field:webdavPass: 1" in text
    assert r.report.to_json()["by_path"]["console/01.log"] == {"known-secret": 2}


def test_no_redact_passes_everything_and_says_so_first() -> None:
    r = Redactor.for_target(presets.get("cherry-studio"), enabled=False)
    value = json.dumps({"apiKey": KEY})
    assert r.entries([("persist:cherry-studio", value)], "ls.json")[0]["value"] == value
    assert r.text(f"Bearer {KEY}", "x") == f"Bearer {KEY}"
    assert r.mask_known_bytes(KEY.encode(), "b") == KEY.encode()
    assert r.report.text().splitlines()[0].startswith("REDACTION OFF")


# --- any string a page can store -------------------------------------------------------------------


def test_a_secret_with_a_lone_surrogate_is_masked_in_every_spelling() -> None:
    """JavaScript strings may hold lone surrogates (UTF-8 cannot): the verbatim pass searches the
    UTF-16 form Chromium stores and the URL/JSON spellings instead of failing the bundle."""
    secret = "sk-odd-\ud800-9a8b7c6d5e4f"
    r = cherry()
    (entry,) = r.entries([("apiKey", secret)], "localstorage/file.json")
    assert entry == {"key": "apiKey", "value": mask("apiKey")}
    text = r.mask_known_text(f"logged {secret} and {json.dumps(secret)}", "console.log")
    assert "9a8b7c6d5e4f" not in text
    data = b"head " + secret.encode("utf-16-le", "surrogatepass") + b" tail"
    assert b"9\x00a\x008\x00b\x00" not in r.mask_known_bytes(data, "screenshot.png")


def test_json_nested_too_deep_is_checked_as_text_not_parsed() -> None:
    deep = '{"apiKey":"' + KEY + '","x":' + "[" * 10_000 + "]" * 10_000 + "}"
    r = cherry()
    (plain,) = r.entries([("persist:deep", deep)], "localstorage/file.json")
    assert plain["value"] == deep.replace(KEY, mask("json-secret-field"))  # the pattern rules still apply
    (secret,) = r.entries([("apiKey", deep)], "localstorage/file.json")
    assert secret["value"] == mask("apiKey")  # a secret entry too deep to walk is masked whole
