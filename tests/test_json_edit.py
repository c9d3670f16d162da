"""Byte-preserving edits of the flag document."""

from __future__ import annotations

import json

import pytest

from flagdeck.storage import json_edit
from flagdeck.storage.json_edit import (
    MAX_DEPTH,
    JsonEditError,
    edit,
    nesting_depth,
    remove_member,
    scan_object,
    set_member,
    too_deep,
)

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


# --- many edits at once ---------------------------------------------------------------------------


def _one_by_one_set(text: str, key: str, value: object) -> str:
    """The single-member edit as it was before ``edit`` existed (one scan per call): the oracle."""
    members, open_pos, close_pos = scan_object(text)
    new_value = json_edit.dump_value(value)
    hits = [m for m in members if m.key == key]
    if hits:
        for m in reversed(hits):
            text = text[: m.value_start] + new_value + text[m.value_end :]
        return text
    if not members:
        return text[: open_pos + 1] + json_edit.dump_value(key) + ":" + new_value + text[close_pos:]
    first, last = members[0], members[-1]
    colon = text[first.key_end : first.value_start]
    separator = (text[first.value_end : members[1].key_start] if len(members) > 1
                 else "," + text[open_pos + 1 : first.key_start])
    return text[: last.value_end] + separator + json_edit.dump_value(key) + colon + new_value + text[last.value_end :]


def _one_by_one_remove(text: str, key: str) -> str:
    members, _, _ = scan_object(text)
    for index in reversed([i for i, m in enumerate(members) if m.key == key]):
        now, _, _ = scan_object(text)
        m = now[index]
        if index + 1 < len(now):
            text = text[: m.key_start] + text[now[index + 1].key_start :]
        elif index > 0:
            text = text[: now[index - 1].value_end] + text[m.value_end :]
        else:
            text = text[: m.key_start] + text[m.value_end :]
    return text


EDIT_DOCS = [*DOCS, " { } ", '{"X":true,"Y":0,"X":false}', '{\n  "a": 1\n}\n', '{"a" :1 ,  "b":2}']
EDITS = [
    ([("a", False)], []),
    ([("NEW", 1), ("NEW2", [1, {"x": None}]), ("a", "s"), ("NEW", 2)], []),
    ([("X", 1), ("Z", True)], ["Y"]),
    ([], ["a", "b", "c", "missing"]),
    ([("a", 0), ("b", 1), ("c", 2), ("N1", 3)], ["b", "N1", "X"]),
    ([("ü", "\ud800 \U0001d11e"), ("a", None)], ["a"]),
    ([], ["X", "Y"]),
]


@pytest.mark.parametrize("doc", EDIT_DOCS)
@pytest.mark.parametrize(("assignments", "removals"), EDITS)
def test_edit_gives_the_text_of_the_edits_one_by_one(doc: str, assignments: list, removals: list) -> None:
    expected = doc
    for key, value in assignments:
        expected = _one_by_one_set(expected, key, value)
    for key in removals:
        expected = _one_by_one_remove(expected, key)
    assert edit(doc, assignments, removals) == expected


def test_thousands_of_flags_take_one_pass(qtwe_profile, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """``flags set --force`` with 2,000 flags scans the document a fixed number of times, not once
    per flag (that was quadratic: 10,000 flags took 96 s); the text is what the one-by-one edits
    give, every key before the new ones byte-identical."""
    from flagdeck import flag_ops
    from flagdeck.targets.resolve import TargetOptions, resolve

    scans = 0
    real_scan = json_edit.scan_object

    def counting(text: str):  # type: ignore[no-untyped-def]
        nonlocal scans
        scans += 1
        return real_scan(text)

    monkeypatch.setattr(json_edit, "scan_object", counting)
    assignments = [(f"FLAG_{i:05d}", i % 3 == 0) for i in range(2000)] + [("USE_UNIFIED_DB_SERVICE", False)]
    result = flag_ops.write_flags(resolve(TargetOptions(user_data_dir=qtwe_profile)), assignments=assignments,
                                  force=True)
    assert scans <= 6, scans
    monkeypatch.setattr(json_edit, "scan_object", real_scan)
    expected = result.before
    for key, value in assignments:
        expected = _one_by_one_set(expected, key, value)
    assert result.after == expected and len(json.loads(result.after)) == 2001


# --- depth ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "depth"), [
    ("1", 0), ("{}", 1), ('{"a":[1,{"b":[]}]}', 4), ('{"a":"[[[[{{{"}', 1), ('{"a\\":"]]]["}', 1),
    ('{"a":"\\"[[["}', 1), ("[" * 10_000 + "]" * 10_000, 10_000), ('{"a":"[[[', 1),
])
def test_nesting_depth_without_recursion(text: str, depth: int) -> None:
    assert nesting_depth(text) == depth


def test_too_deep_text_is_an_edit_error_not_a_recursion_error() -> None:
    ok = '{"a":' + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "}"
    deep = '{"a":' + "[" * 10_000 + "]" * 10_000 + "}"
    assert not too_deep(ok) and scan_object(ok)[0][0].key == "a"
    assert too_deep(deep)
    with pytest.raises(JsonEditError, match="nested deeper than"):
        scan_object(deep)
    with pytest.raises(JsonEditError):
        set_member(deep, "a", 1)
