"""Open a bundle to read it: its bag unpacked into a private folder, so ``data/report.html`` opens
in a browser with its links to the raw files working (the zip itself stays as it was exported)."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path, PurePosixPath

from flagdeck.errors import UsageError


def unpack_for_reading(bundle: Path, into: Path) -> Path:
    """Unpack ``bundle`` into ``into/<bag>/`` (replaced when there) and return its report's path.

    Member names are checked: one bag folder, no absolute path, no ``..``; files are private (0600).
    """
    try:
        zf = zipfile.ZipFile(bundle)
    except (OSError, zipfile.BadZipFile) as exc:
        raise UsageError(f"{bundle.name} is not a readable zip: {exc}") from None
    with zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        roots = {PurePosixPath(n).parts[0] for n in names if PurePosixPath(n).parts}
        if len(roots) != 1:
            raise UsageError(f"{bundle.name} is not one evidence bag (found {len(roots)} top folders)")
        root = roots.pop()
        if f"{root}/data/report.html" not in names:
            raise UsageError(f"{bundle.name} holds no data/report.html")
        for name in names:
            parts = PurePosixPath(name).parts
            if name.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in name:
                raise UsageError(f"{bundle.name}: a member has an unsafe name ({name!r}); not unpacked")
        dest = into / root
        if dest.exists():
            shutil.rmtree(dest)
        for name in names:
            target = into.joinpath(*PurePosixPath(name).parts)
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out, zf.open(name) as src:
                shutil.copyfileobj(src, out)
    return dest / "data" / "report.html"
