"""Byte-preserving edits of the flag document."""

from __future__ import annotations

import json

import pytest

from flagdeck.storage.json_edit import JsonEditError, remove_member, scan_object, set_member

DOCS = [
    "{}",
    '{"a":1}',
    '{ "a": 1.0, "b" : [1, 2], "c": {"x": "y"} }',
    '{\n  "a": 1,\n  "b": "x"\n}',
    '{"ü": "☃", "a": 1e3}',
]


@pytest.mark.parametrize("doc", DOCS)
def test_set_existing_changes_only_that_value(doc: str) -> None:
    if '"a"' not in doc:
        return
    out = set_member(doc, "a", False)
    assert json.loads(out)["a"] is False
    members = {m.key: doc[m.key_start:m.value_end] for m in scan_object(doc)[0] if m.key != "a"}
    out_members = {m.key: out[m.key_start:m.value_end] for m in scan_object(out)[0] if m.key != "a"}
    assert members == out_members  # other members byte-identical


@pytest.mark.parametrize("doc", DOCS)
def test_add_member_keeps_the_rest_and_style(doc: str) -> None:
    out = set_member(doc, "NEW", True)
    assert json.loads(out) == {**json.loads(doc), "NEW": True}
    members, _, _ = scan_object(doc)
    kept = doc[: members[-1].value_end] if members else "{"
    assert out.startswith(kept)  # everything before the new member is the old text


def test_add_member_follows_the_document_style() -> None:
    assert set_member('{\n  "a": 1\n}', "b", 2) == '{\n  "a": 1,\n  "b": 2\n}'
    assert set_member('{"a": 1, "b": 2}', "c", 3) == '{"a": 1, "b": 2, "c": 3}'
    assert set_member("{}", "a", True) == '{"a":true}'


@pytest.mark.parametrize("doc", DOCS)
@pytest.mark.parametrize("key", ["a", "b", "c", "missing"])
def test_remove_member(doc: str, key: str) -> None:
    out = remove_member(doc, key)
    expected = {k: v for k, v in json.loads(doc).items() if k != key}
    assert json.loads(out) == expected
    if key not in json.loads(doc):
        assert out == doc


def test_duplicates_all_set_and_all_removed() -> None:
    doc = '{"X":true,"Y":0,"X":false}'
    assert set_member(doc, "X", 1) == '{"X":1,"Y":0,"X":1}'
    assert remove_member(doc, "X") == '{"Y":0}'


def test_numbers_keep_their_spelling() -> None:
    assert set_member('{"n": 1.0, "e": 1E5, "f": false}', "f", True) == '{"n": 1.0, "e": 1E5, "f": true}'


@pytest.mark.parametrize("bad", ["", "[]", "null", '"s"', "{a:1}", '{"a":1,}', '{"a":NaN}', '{"a":1} {}', '{"a"}'])
def test_not_an_object_raises(bad: str) -> None:
    with pytest.raises(JsonEditError):
        scan_object(bad)
