"""BagIt (RFC 8493) bags inside a zip: write one atomically, verify one completely.

A bag is one top folder ``<name>/`` holding ``bagit.txt``, ``bag-info.txt``,
``manifest-sha256.txt``, ``tagmanifest-sha256.txt`` and the payload under ``data/``. Any BagIt
tool validates it once unzipped (``bagit.py --validate``, the Library of Congress tools), and
:func:`verify_zip` checks it without unzipping: Payload-Oxum, every checksum, no extra file.

The zip is written to a temporary file beside ``out`` and renamed into place, so ``out`` is either
a whole bag or not there at all.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from flagdeck.errors import CheckFailed, UsageError
from flagdeck.private_files import atomic_open

BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
TAG_FILES = ("bagit.txt", "bag-info.txt", "manifest-sha256.txt")
_STORED_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".zip", ".gz")
_CHUNK = 1 << 20


def encode_path(path: str) -> str:
    """A manifest path as RFC 8493 §2.1.3 wants it: CR, LF and % percent-encoded."""
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def decode_path(path: str) -> str:
    return path.replace("%0D", "\r").replace("%0d", "\r").replace("%0A", "\n").replace("%0a", "\n") \
        .replace("%25", "%")


def _safe_payload_path(path: str) -> str:
    parts = PurePosixPath(path).parts
    if not parts or path.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in path:
        raise UsageError(f"bad payload path {path!r}")
    return "/".join(parts)


@dataclass(frozen=True)
class WrittenBag:
    path: Path
    name: str
    files: int
    payload_bytes: int
    zip_bytes: int


Progress = Callable[[int, int], None]


def write_zip(
    out: Path,
    name: str,
    payload: Iterable[tuple[str, bytes]],
    info: dict[str, str],
    *,
    progress: Progress | None = None,
    total: int | None = None,
) -> WrittenBag:
    """Write a bag named ``name`` with ``payload`` (paths relative to ``data/``) into ``out``.

    ``info`` adds bag-info.txt fields (Bagging-Date and Payload-Oxum are computed). The file is
    created 0600: a bundle holds the app's state even when redacted. ``progress(done, total)``
    is called after each payload file.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(out, sync=True) as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        def put(arc: str, data: bytes) -> str:
            level = zipfile.ZIP_STORED if arc.lower().endswith(_STORED_SUFFIXES) else zipfile.ZIP_DEFLATED
            info = zipfile.ZipInfo(f"{name}/{arc}", _zip_time())
            info.external_attr = 0o600 << 16  # unzipped files stay private too
            zf.writestr(info, data, compress_type=level)
            return hashlib.sha256(data).hexdigest()

        bagit_sha = put("bagit.txt", BAGIT_TXT)
        manifest: list[str] = []
        seen: set[str] = set()
        octets = count = 0
        for rel, data in payload:
            rel = _safe_payload_path(rel)
            if rel in seen:
                raise UsageError(f"payload path {rel!r} given twice")
            seen.add(rel)
            manifest.append(f"{put('data/' + rel, data)}  data/{encode_path(rel)}\n")
            octets += len(data)
            count += 1
            if progress:
                progress(count, total or count)
        manifest_bytes = "".join(sorted(manifest, key=lambda line: line.split("  ", 1)[1])).encode()
        fields = {"Bagging-Date": datetime.now(UTC).strftime("%Y-%m-%d"),
                  "Payload-Oxum": f"{octets}.{count}", **info}
        bag_info = "".join(f"{k}: {_one_line(v)}\n" for k, v in fields.items()).encode()
        tags = {"bagit.txt": bagit_sha,
                "bag-info.txt": put("bag-info.txt", bag_info),
                "manifest-sha256.txt": put("manifest-sha256.txt", manifest_bytes)}
        put("tagmanifest-sha256.txt", "".join(f"{h}  {p}\n" for p, h in sorted(tags.items())).encode())
    return WrittenBag(out, name, count, octets, out.stat().st_size)


def _zip_time() -> tuple[int, int, int, int, int, int]:
    now = datetime.now()
    return (now.year, now.month, now.day, now.hour, now.minute, now.second)


def _one_line(value: str) -> str:
    """bag-info values on one line (RFC 8493 allows folding; tools differ in reading it)."""
    return " ".join(str(value).split())


# --- verification ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BagCheck:
    """What :func:`verify_zip` found; ``ok`` when nothing is missing, extra or altered."""

    path: Path
    bag: str
    files_checked: int
    payload_oxum: str | None
    payload_oxum_ok: bool
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    payload_files: int = 0  # of files_checked, those under data/ (what the export's summary counts)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.extra or self.altered or self.problems) and self.payload_oxum_ok

    def summary(self) -> str:
        if self.ok:
            return (f"{self.path.name}: bag {self.bag} complete and unchanged ({self.payload_files} files in data/, "
                    f"{self.files_checked} with the bag's tag files)")
        parts = [f"{label} {', '.join(items)}" for label, items in
                 (("altered:", self.altered), ("missing:", self.missing), ("extra:", self.extra)) if items]
        parts += self.problems
        if not self.payload_oxum_ok and not self.problems:
            parts.append("Payload-Oxum does not match the payload")
        return f"{self.path.name}: bag {self.bag} is not intact: " + "; ".join(parts)

    def detail_lines(self) -> list[str]:
        """One line per altered, missing and extra file (``altered: <path>``), then ``problem: ...``."""
        lines = [f"{label}: {item}" for label, items in
                 (("altered", self.altered), ("missing", self.missing), ("extra", self.extra)) for item in items]
        return lines + [f"problem: {p}" for p in self.problems]

    def to_json(self) -> dict[str, object]:
        return {"path": str(self.path), "bag": self.bag, "ok": self.ok, "files_checked": self.files_checked,
                "payload_files": self.payload_files,
                "payload_oxum": self.payload_oxum, "payload_oxum_ok": self.payload_oxum_ok,
                "missing": self.missing, "extra": self.extra, "altered": self.altered, "problems": self.problems}


class BagInvalid(CheckFailed):
    """A bag that is incomplete or changed (exit 1); the message names every file."""

    kind = "bag-invalid"

    def __init__(self, check: BagCheck) -> None:
        super().__init__(check.summary())
        self.check = check

    def as_dict(self) -> dict[str, object]:
        return {**super().as_dict(), **self.check.to_json()}


def _parse_manifest(text: str, where: str, problems: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        digest, _, path = line.strip().partition(" ")
        path = path.strip()
        if not path or len(digest) != 64:
            problems.append(f"{where} line {n} is malformed")
            continue
        out[decode_path(path)] = digest.lower()
    return out


def _digest(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[str | None, int]:
    h = hashlib.sha256()
    size = 0
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(_CHUNK):
                h.update(chunk)
                size += len(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):  # bad CRC, truncated member
        return None, size
    return h.hexdigest(), size


def _open(path: Path) -> zipfile.ZipFile:
    if not path.is_file():
        raise UsageError(f"{path} does not exist or is not a file")
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UsageError(f"{path} is not a zip file ({exc})") from None


def _bag_root(names: list[str], path: Path) -> str:
    tops = {n.split("/", 1)[0] for n in names if "/" in n}
    candidates = [t for t in tops if any(f"{t}/{tag}" in names for tag in (*TAG_FILES, "tagmanifest-sha256.txt"))]
    if len(candidates) != 1:
        raise UsageError(f"{path} is not a BagIt bag (no bagit.txt/manifest in one top folder)")
    return candidates[0]


def verify_zip(path: Path) -> BagCheck:
    """Check a zipped bag: exit-2 errors (``UsageError``) for a non-zip or a zip that is no bag;
    otherwise a :class:`BagCheck` listing every missing, extra and altered file."""
    path = Path(path)
    with _open(path) as zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        names = [i.filename for i in infos]
        root = _bag_root(names, path)
        prefix = f"{root}/"
        problems: list[str] = []
        members: dict[str, zipfile.ZipInfo] = {}
        extra: list[str] = []
        for info in infos:
            if not info.filename.startswith(prefix):
                extra.append(info.filename)
            elif info.filename[len(prefix):] in members:
                problems.append(f"{info.filename} is in the zip twice")
            else:
                members[info.filename[len(prefix):]] = info

        def text_of(rel: str) -> str | None:
            info = members.get(rel)
            if info is None:
                return None
            try:
                return zf.read(info).decode("utf-8")
            except (zipfile.BadZipFile, UnicodeDecodeError, OSError):
                return None

        missing: list[str] = []
        altered: list[str] = []
        manifest_text = text_of("manifest-sha256.txt")
        tag_text = text_of("tagmanifest-sha256.txt")
        if manifest_text is None:
            (missing if "manifest-sha256.txt" not in members else altered).append(prefix + "manifest-sha256.txt")
        if tag_text is None:
            (missing if "tagmanifest-sha256.txt" not in members else altered).append(prefix + "tagmanifest-sha256.txt")
        manifest = _parse_manifest(manifest_text or "", "manifest-sha256.txt", problems)
        tagmanifest = _parse_manifest(tag_text or "", "tagmanifest-sha256.txt", problems)
        if "bagit.txt" not in members:
            missing.append(prefix + "bagit.txt")

        expected = {**manifest, **tagmanifest}
        checked = 0
        octets = 0
        payload_files = 0
        for rel, want in sorted(expected.items()):
            member = members.get(rel)
            if member is None:
                missing.append(prefix + rel)
                continue
            got, size = _digest(zf, member)
            checked += 1
            if rel.startswith("data/"):
                octets += size
                payload_files += 1
            if got != want:
                altered.append(prefix + rel)
        listed = set(expected) | {"tagmanifest-sha256.txt"}
        for rel in sorted(members):
            if rel not in listed:
                extra.append(prefix + rel)
                if rel.startswith("data/"):
                    payload_files += 1
                    octets += members[rel].file_size

        oxum = _field(_bag_info_fields(text_of("bag-info.txt") or ""), "Payload-Oxum")
        oxum_ok = oxum == f"{octets}.{payload_files}"
        if oxum is None:
            problems.append("bag-info.txt has no Payload-Oxum")
        elif not oxum_ok:
            problems.append(f"Payload-Oxum {oxum} but the payload is {octets}.{payload_files}")
        return BagCheck(path, root, checked, oxum, oxum_ok, sorted(set(missing)), sorted(extra),
                        sorted(set(altered)), problems, payload_files)


def _bag_info_fields(text: str) -> dict[str, str]:
    """bag-info.txt's ``Label: value`` lines; labels keep their spelling (RFC 8493 compares them
    case-insensitively: look them up with :func:`_field`)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


def _field(fields: dict[str, str], name: str) -> str | None:
    return next((v for k, v in fields.items() if k.lower() == name.lower()), None)


def bag_info(path: Path) -> dict[str, str]:
    """The bag-info.txt fields of a zipped bag (for listing bundles)."""
    with _open(Path(path)) as zf:
        root = _bag_root([i.filename for i in zf.infolist()], Path(path))
        try:
            text = zf.read(f"{root}/bag-info.txt").decode("utf-8")
        except (KeyError, zipfile.BadZipFile, UnicodeDecodeError):
            return {}
    return _bag_info_fields(text)
