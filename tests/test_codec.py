"""Chromium's localStorage encoding, checked against bytes a real engine wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

from flagdeck.storage import codec
from tests.conftest import PROFILE_CONTENT, leveldb_dump


@pytest.mark.parametrize("text", ["featureFlags", "", "héllo", "☃ snow", "𝄞 clef", "\x00nul", "ÿ"])
def test_encode_decode_round_trip(text: str) -> None:
    assert codec.decode_string(codec.encode_string(text)) == text


def test_latin1_when_it_fits_utf16_otherwise() -> None:
    assert codec.encode_string("abc") == b"\x01abc"
    assert codec.encode_string("é") == b"\x01\xe9"
    assert codec.encode_string("☃") == b"\x00\x03\x26"


def test_lone_surrogate_survives() -> None:
    assert codec.decode_string(codec.encode_string("a\ud800b")) == "a\ud800b"


@pytest.mark.parametrize("bad", [b"", b"\x02abc", b"\x00abc"])
def test_bad_encodings_raise(bad: bytes) -> None:
    with pytest.raises(codec.CodecError):
        codec.decode_string(bad)


def test_meta_round_trip_keeps_unknown_fields() -> None:
    meta = codec.OriginMeta(13_440_193_839_990_210, 66, extra=b"\x18\x07\x22\x02hi")
    parsed = codec.OriginMeta.parse(meta.serialize())
    assert parsed == meta


def test_split_entry_key() -> None:
    assert codec.split_entry_key(b"_https://a.b\x00\x01k") == ("https://a.b", b"\x01k")
    with pytest.raises(codec.CodecError):
        codec.split_entry_key(b"META:x")


def test_real_profile_decodes_and_meta_size_matches(qtwe_profile: Path) -> None:
    """Every entry QtWebEngine wrote decodes to what the page stored; META's size is the sum of
    encoded key+value lengths, the rule flagdeck follows when it writes."""
    dump = leveldb_dump(qtwe_profile / "Local Storage" / "leveldb")
    for origin, items in PROFILE_CONTENT.items():
        prefix = codec.entry_prefix(origin)
        found = {codec.decode_string(k[len(prefix):]): codec.decode_string(v)
                 for k, v in dump.items() if k.startswith(prefix)}
        assert found == items
        meta = codec.OriginMeta.parse(dump[codec.meta_key(origin)])
        size = sum(len(k) - len(prefix) + len(v) for k, v in dump.items() if k.startswith(prefix))
        assert meta.size_bytes == size
        written = codec.chromium_time_to_unix(meta.last_modified)
        assert abs(written - codec.chromium_time_to_unix(codec.chromium_now())) < 86400
    assert dump[codec.VERSION_KEY] == b"1"
