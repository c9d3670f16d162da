"""Chromium's on-disk encoding of localStorage in LevelDB (see shared/spec/storage-facts.md).

Keys of the LevelDB::

    VERSION                         b"1"
    META:<origin>                   protobuf {1: last_modified µs since 1601, 2: size_bytes}
    METAACCESS:<origin>             protobuf {1: last access}
    _<origin>\\x00<encoded key>      <encoded value>

An encoded string is ``\\x01`` + Latin-1 bytes or ``\\x00`` + UTF-16LE. Chromium writes the
Latin-1 form whenever every character fits; readers accept both. JavaScript strings may hold
lone surrogates, hence ``surrogatepass``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

ENTRY_PREFIX = b"_"
META_PREFIX = b"META:"
METAACCESS_PREFIX = b"METAACCESS:"
VERSION_KEY = b"VERSION"
ORIGIN_SEPARATOR = b"\x00"

LATIN1 = 0x01
UTF16LE = 0x00

_WINDOWS_EPOCH_OFFSET_US = 11_644_473_600 * 1_000_000


class CodecError(ValueError):
    """Bytes that are not a Chromium localStorage encoding."""


def encode_string(text: str) -> bytes:
    try:
        return bytes([LATIN1]) + text.encode("latin-1")
    except UnicodeEncodeError:
        return bytes([UTF16LE]) + text.encode("utf-16-le", "surrogatepass")


def decode_string(data: bytes) -> str:
    if not data:
        raise CodecError("empty encoded string")
    tag, body = data[0], data[1:]
    if tag == LATIN1:
        return body.decode("latin-1")
    if tag == UTF16LE:
        if len(body) % 2:
            raise CodecError("odd-length UTF-16 string")
        return body.decode("utf-16-le", "surrogatepass")
    raise CodecError(f"unknown string encoding tag 0x{tag:02x}")


def entry_prefix(origin: str) -> bytes:
    return ENTRY_PREFIX + origin.encode("utf-8") + ORIGIN_SEPARATOR


def entry_key(origin: str, key: str) -> bytes:
    return entry_prefix(origin) + encode_string(key)


def meta_key(origin: str) -> bytes:
    return META_PREFIX + origin.encode("utf-8")


def split_entry_key(raw: bytes) -> tuple[str, bytes]:
    """``_<origin>\\x00<encoded key>`` → (origin, encoded key)."""
    if not raw.startswith(ENTRY_PREFIX):
        raise CodecError("not a localStorage entry key")
    origin, sep, encoded = raw[1:].partition(ORIGIN_SEPARATOR)
    if not sep:
        raise CodecError("entry key without origin separator")
    return origin.decode("utf-8", "replace"), encoded


# --- META protobuf ------------------------------------------------------------------------------


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise CodecError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise CodecError("varint too long")


def _write_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


@dataclass(frozen=True)
class OriginMeta:
    """``LocalStorageOriginMetaData``: last_modified (µs since 1601) and size_bytes.

    ``extra`` keeps any field this code does not know, so a rewrite loses nothing.
    """

    last_modified: int = 0
    size_bytes: int = 0
    extra: bytes = b""

    @classmethod
    def parse(cls, data: bytes) -> OriginMeta:
        pos, last_modified, size_bytes, extra = 0, 0, 0, bytearray()
        while pos < len(data):
            start = pos
            tag, pos = _read_varint(data, pos)
            field, wire = tag >> 3, tag & 7
            if wire == 0:
                value, pos = _read_varint(data, pos)
                if field == 1:
                    last_modified = value
                    continue
                if field == 2:
                    size_bytes = value
                    continue
            elif wire == 2:
                length, pos = _read_varint(data, pos)
                pos += length
            elif wire == 1:
                pos += 8
            elif wire == 5:
                pos += 4
            else:
                raise CodecError(f"unsupported protobuf wire type {wire}")
            if pos > len(data):
                raise CodecError("truncated protobuf field")
            extra += data[start:pos]
        return cls(last_modified, size_bytes, bytes(extra))

    def serialize(self) -> bytes:
        return (
            _write_varint(1 << 3) + _write_varint(self.last_modified)
            + _write_varint(2 << 3) + _write_varint(self.size_bytes)
            + self.extra
        )


def chromium_now() -> int:
    """Now, as Chromium's base::Time internal value (µs since 1601-01-01 UTC)."""
    return time.time_ns() // 1000 + _WINDOWS_EPOCH_OFFSET_US


def chromium_time_to_unix(value: int) -> float:
    return (value - _WINDOWS_EPOCH_OFFSET_US) / 1_000_000
