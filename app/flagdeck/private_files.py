"""Files only the user may read (backups, records, reports, alerts): 0600, written atomically.

Everything flagdeck keeps can hold app data or secrets; one writer makes sure none of it is ever
created world-readable or left half-written by a crash.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from flagdeck.jsonable import dumps


@contextlib.contextmanager
def atomic_open(path: Path, *, sync: bool = False) -> Iterator[BinaryIO]:
    """A binary file to write ``path`` through: a temp file beside it (0600), renamed into place
    when the block ends without an error, removed when it raises. ``sync`` flushes it to disk
    before the rename. For writers that stream (a zip); :func:`write_bytes` for whole contents."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(3)}.tmp")  # two writers never share one
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            if sync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes(path: Path, data: bytes, *, sync: bool = False) -> Path:
    """Write via a temp file and rename, mode 0600; ``sync`` also flushes it to disk first."""
    with atomic_open(path, sync=sync) as fh:
        fh.write(data)
    return path


def write_json(path: Path, data: Any, *, sync: bool = False, indent: int | None = 1) -> Path:
    """``data`` as UTF-8 JSON (non-ASCII kept; a lone surrogate as its ``\\udXXX`` escape, so any
    JavaScript string is read back identical: see ``jsonable.dumps``)."""
    return write_bytes(path, dumps(data, indent=indent, default=str).encode("utf-8"), sync=sync)


def read_json(path: Path) -> Any | None:
    """The JSON in ``path``, or None when it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
