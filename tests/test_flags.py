"""The flag document and the seed app's semantics."""

from __future__ import annotations

import pytest

from flagdeck.errors import InvalidFlagDocument, UnknownFlag, UsageError
from flagdeck.storage.flags import (
    SEED_CATALOGUE,
    FlagDocument,
    FlagSpec,
    check_assignment,
    check_name,
    evaluate,
    js_truthy,
    name_text,
    parse_assignment,
)

KEY = "USE_UNIFIED_DB_SERVICE"


@pytest.mark.parametrize(("value", "truthy"), [
    (True, True), (False, False), (None, False), (0, False), (0.0, False), (1, True), (-1, True),
    ("", False), ("false", True), ("0", True), ([], True), ({}, True),
])
def test_js_truthiness(value: object, truthy: bool) -> None:
    assert js_truthy(value) is truthy


def test_absent_document_gives_defaults() -> None:
    report = evaluate(FlagDocument.parse(None), SEED_CATALOGUE)
    state = report.flag(KEY)
    assert state is not None
    assert (state.source, state.effective, state.enabled, state.stored) == ("default", False, False, False)
    assert report.warnings == ()


def test_override_wins() -> None:
    state = evaluate(FlagDocument.parse('{"USE_UNIFIED_DB_SERVICE":true}'), SEED_CATALOGUE).flag(KEY)
    assert state is not None and state.source == "localStorage" and state.enabled


def test_string_false_is_on_and_warned() -> None:
    report = evaluate(FlagDocument.parse('{"USE_UNIFIED_DB_SERVICE":"false"}'), SEED_CATALOGUE)
    state = report.flag(KEY)
    assert state is not None and state.effective == "false" and state.enabled is True
    assert [w.code for w in report.warnings] == ["non-boolean"]
    assert "treats it as ON" in report.warnings[0].message


def test_typo_is_ignored_by_the_app_and_warned_with_a_suggestion() -> None:
    report = evaluate(FlagDocument.parse('{"USE_UNIFED_DB_SERVICE":true}'), SEED_CATALOGUE)
    state = report.flag(KEY)
    assert state is not None and state.enabled is False and state.source == "default"
    assert report.warnings[0].code == "unknown-key"
    assert "did you mean USE_UNIFIED_DB_SERVICE" in report.warnings[0].message


@pytest.mark.parametrize(("raw", "code"), [("{nope", "invalid-json"), ("[1,2]", "not-object"),
                                           ('"x"', "not-object"), ("null", "not-object")])
def test_invalid_documents(raw: str, code: str) -> None:
    doc = FlagDocument.parse(raw)
    assert not doc.valid
    report = evaluate(doc, SEED_CATALOGUE)
    assert report.warnings[0].code == code
    assert report.flag(KEY).source == "default"  # type: ignore[union-attr]
    with pytest.raises(InvalidFlagDocument):
        doc.require_valid("featureFlags")


def test_duplicate_keys_last_wins() -> None:
    report = evaluate(FlagDocument.parse('{"USE_UNIFIED_DB_SERVICE":true,"USE_UNIFIED_DB_SERVICE":false}'),
                      SEED_CATALOGUE)
    assert report.flag(KEY).enabled is False  # type: ignore[union-attr]
    assert "duplicate-key" in [w.code for w in report.warnings]


@pytest.mark.parametrize(("text", "expected"), [
    ("A=true", ("A", True)), ("A=false", ("A", False)), ("A=1", ("A", 1)), ('A="x"', ("A", "x")),
    ('A={"b":[1]}', ("A", {"b": [1]})), ("A=null", ("A", None)), ("A = true", ("A", True)),
])
def test_parse_assignment(text: str, expected: tuple[str, object]) -> None:
    assert parse_assignment(text) == expected


@pytest.mark.parametrize("text", ["A", "=1", "A=on", "A=", "A=NaN"])
def test_parse_assignment_rejects(text: str) -> None:
    with pytest.raises(UsageError):
        parse_assignment(text)


def test_check_assignment_rules() -> None:
    doc = FlagDocument.parse('{"LEGACY":1}')
    check_assignment(KEY, False, SEED_CATALOGUE, doc, force=False)
    check_assignment("LEGACY", 2, SEED_CATALOGUE, doc, force=False)  # already stored: allowed
    with pytest.raises(UnknownFlag):
        check_assignment("USE_UNIFED_DB_SERVICE", False, SEED_CATALOGUE, doc, force=False)
    check_assignment("USE_UNIFED_DB_SERVICE", False, SEED_CATALOGUE, doc, force=True)
    with pytest.raises(UsageError, match="treats it as ON"):
        check_assignment(KEY, "false", SEED_CATALOGUE, doc, force=False)
    number = (FlagSpec("N", "number", 0),)
    with pytest.raises(UsageError):
        check_assignment("N", "3", number, doc, force=False)


def test_edits_keep_other_keys() -> None:
    doc = FlagDocument.parse('{"OTHER": 1.50, "USE_UNIFIED_DB_SERVICE": true}')
    assert doc.with_value(KEY, False) == '{"OTHER": 1.50, "USE_UNIFIED_DB_SERVICE": false}'
    assert doc.without(KEY) == '{"OTHER": 1.50}'


def test_a_deep_document_is_invalid_not_a_recursion_error() -> None:
    deep = '{"A":' + "[" * 10_000 + "]" * 10_000 + "}"
    doc = FlagDocument.parse(deep)
    assert not doc.valid and doc.too_deep and doc.raw == deep and doc.values is None
    assert doc.error == "nested 10001 levels deep (flagdeck reads up to 256)"
    report = evaluate(doc, SEED_CATALOGUE)
    assert [w.code for w in report.warnings] == ["too-deep"] and report.flags[0].effective is False
    with pytest.raises(InvalidFlagDocument, match="nested 10001 levels deep"):
        doc.require_valid("featureFlags")
    assert FlagDocument.parse("[" * 10_000 + "]" * 10_000).too_deep  # not an object either: depth first
    with pytest.raises(UsageError, match="nests 10000 levels deep"):
        parse_assignment("A=" + "[" * 10_000 + "]" * 10_000)


@pytest.mark.parametrize("name", ["A\nB", "A\rB", "\x00", "A\tB", "A\u2028B", "A\ud800"])
def test_names_that_would_break_a_line_are_refused(name: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_assignment(f"{name}=true")
    assert "\n" not in str(info.value) and "\r" not in str(info.value) and "\u2028" not in str(info.value)
    with pytest.raises(UsageError):
        check_assignment(name, True, SEED_CATALOGUE, FlagDocument.parse("{}"), force=True)
    assert check_name("ünïcode ☃ name") == "ünïcode ☃ name"


def test_stored_names_are_echoed_on_one_line() -> None:
    assert name_text("A\nB") == '"A\\nB"' and name_text("plain name") == "plain name"
    report = evaluate(FlagDocument.parse('{"A\\nB":1,"A\\nB":2}'), SEED_CATALOGUE)
    assert all("\n" not in w.message for w in report.warnings)
    assert {w.code for w in report.warnings} == {"unknown-key", "duplicate-key"}
