"""BagIt zips: what flagdeck writes validates with the ``bagit`` package (interop), and
``evidence verify`` finds every altered, missing and extra file, with the right exit codes."""

from __future__ import annotations

import hashlib
import stat
import warnings
import zipfile
from pathlib import Path

import bagit as bagit_lib
import pytest

from flagdeck.errors import UsageError
from flagdeck.evidence.bagit import bag_info, verify_zip, write_zip
from tests.test_evidence_support import flagdeck_json, run_flagdeck

PAYLOAD = [
    ("report.html", b"<!doctype html><p>report</p>"),
    ("screenshots/01-file.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4),
    ("console/01-file.log", "2025-09-10 ERROR boom ☃\n".encode()),
    ("with space/ünïcode name.json", b"{}"),
    ("empty.txt", b""),
]
# RFC 8493 percent-encodes CR, LF and % in manifest paths (bagit-python 1.9 decodes only CR/LF,
# so these are checked with flagdeck's own verifier).
ODD = [("100% sure\nnewline\r.txt", b"percent-encoded path"), ("a%0Ab.txt", b"literal percent-zero-A")]


def make_bag(tmp_path: Path, name: str = "bag-1") -> Path:
    out = tmp_path / "B.zip"
    write_zip(out, name, PAYLOAD, {"External-Description": "test bag", "Flagdeck-Version": "0"})
    return out


def rewrite(src: Path, dest: Path, *, change: dict[str, bytes] | None = None, drop: str | None = None,
            add: dict[str, bytes] | None = None) -> Path:
    """A copy of a zip with members changed, dropped or added (what a tamperer would do)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w") as zout:
        for info in zin.infolist():
            if info.filename == drop:
                continue
            data = (change or {}).get(info.filename, zin.read(info))
            zout.writestr(info, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dest


def test_written_bag_validates_with_the_bagit_package(tmp_path: Path) -> None:
    out = make_bag(tmp_path)
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        zf.extractall(tmp_path / "unzipped")
    assert {n.split("/", 1)[0] for n in names} == {"bag-1"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # bagit-python's own re.sub calls
        bag = bagit_lib.Bag(str(tmp_path / "unzipped" / "bag-1"))
        bag.validate()  # raises BagValidationError on any problem
    assert bag.info["Payload-Oxum"] == f"{sum(len(d) for _, d in PAYLOAD)}.{len(PAYLOAD)}"
    assert bag.info["External-Description"] == "test bag"
    assert {"Bagging-Date", "Payload-Oxum", "Flagdeck-Version"} <= set(bag.info)
    assert bag.version_info == (1, 0) and bag.algorithms == ["sha256"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_manifest_lists_sha256_of_every_payload_file(tmp_path: Path) -> None:
    out = make_bag(tmp_path)
    with zipfile.ZipFile(out) as zf:
        manifest = zf.read("bag-1/manifest-sha256.txt").decode()
        tagmanifest = zf.read("bag-1/tagmanifest-sha256.txt").decode()
    for rel, data in PAYLOAD:
        assert f"{hashlib.sha256(data).hexdigest()}  data/{rel}\n" in manifest
    assert {line.split("  ")[1] for line in tagmanifest.splitlines()} == {
        "bagit.txt", "bag-info.txt", "manifest-sha256.txt"}


def test_verify_intact_bag(tmp_path: Path) -> None:
    check = verify_zip(make_bag(tmp_path))
    assert check.ok and check.files_checked == len(PAYLOAD) + 3 and check.payload_oxum_ok


def test_paths_with_percent_cr_lf_are_percent_encoded(tmp_path: Path) -> None:
    out = tmp_path / "odd.zip"
    write_zip(out, "odd", ODD, {})
    with zipfile.ZipFile(out) as zf:
        manifest = zf.read("odd/manifest-sha256.txt").decode()
    assert "data/100%25 sure%0Anewline%0D.txt\n" in manifest and "data/a%250Ab.txt\n" in manifest
    assert verify_zip(out).ok


def test_verify_names_altered_missing_and_extra_files(tmp_path: Path) -> None:
    out = make_bag(tmp_path)
    bad = rewrite(out, tmp_path / "bad.zip", change={"bag-1/data/report.html": b"<p>changed</p>"},
                  drop="bag-1/data/console/01-file.log", add={"bag-1/data/extra.txt": b"x", "stray.txt": b"y"})
    check = verify_zip(bad)
    assert not check.ok
    assert check.altered == ["bag-1/data/report.html"]
    assert check.missing == ["bag-1/data/console/01-file.log"]
    assert check.extra == ["bag-1/data/extra.txt", "stray.txt"]
    assert not check.payload_oxum_ok
    summary = check.summary()
    for name in ("report.html", "01-file.log", "extra.txt", "stray.txt"):
        assert name in summary


def test_verify_catches_a_changed_manifest_and_bag_info(tmp_path: Path) -> None:
    out = make_bag(tmp_path)
    with zipfile.ZipFile(out) as zf:
        manifest = zf.read("bag-1/manifest-sha256.txt")
        info = zf.read("bag-1/bag-info.txt")
    # A tamperer who changes a file and fixes its manifest line is caught by the tagmanifest.
    new = b"<p>forged</p>"
    old_line = hashlib.sha256(PAYLOAD[0][1]).hexdigest().encode()
    forged = manifest.replace(old_line, hashlib.sha256(new).hexdigest().encode())
    check = verify_zip(rewrite(out, tmp_path / "m.zip", change={"bag-1/data/report.html": new,
                                                                 "bag-1/manifest-sha256.txt": forged}))
    assert check.altered == ["bag-1/manifest-sha256.txt"]
    check = verify_zip(rewrite(out, tmp_path / "i.zip", change={"bag-1/bag-info.txt": info + b"X: y\n"}))
    assert check.altered == ["bag-1/bag-info.txt"]
    check = verify_zip(rewrite(out, tmp_path / "t.zip", drop="bag-1/tagmanifest-sha256.txt"))
    assert check.missing == ["bag-1/tagmanifest-sha256.txt"]


def test_bag_info_labels_are_read_by_one_parser_case_insensitively(tmp_path: Path) -> None:
    out = make_bag(tmp_path)
    info = bag_info(out)
    assert info["External-Description"] == "test bag" and info["Flagdeck-Version"] == "0"
    assert info["Payload-Oxum"] == f"{sum(len(d) for _, d in PAYLOAD)}.{len(PAYLOAD)}"
    with zipfile.ZipFile(out) as zf:  # another tool's spelling of the label, its tagmanifest re-signed
        text = zf.read("bag-1/bag-info.txt").replace(b"Payload-Oxum:", b"payload-oxum:")
        tags = zf.read("bag-1/tagmanifest-sha256.txt").decode()
    old_line = next(line for line in tags.splitlines() if line.endswith("  bag-info.txt"))
    tags = tags.replace(old_line, f"{hashlib.sha256(text).hexdigest()}  bag-info.txt")
    relabelled = rewrite(out, tmp_path / "l.zip", change={"bag-1/bag-info.txt": text,
                                                          "bag-1/tagmanifest-sha256.txt": tags.encode()})
    check = verify_zip(relabelled)
    assert check.ok and check.payload_oxum == info["Payload-Oxum"]
    assert bag_info(relabelled)["payload-oxum"] == info["Payload-Oxum"]


def test_verify_catches_a_corrupted_member_and_a_duplicate(tmp_path: Path) -> None:
    out = make_bag(tmp_path)
    raw = bytearray(out.read_bytes())
    at = raw.find(bytes(range(256)))  # PNGs are stored, not deflated: flip a byte of one
    raw[at + 10] ^= 0xFF
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(bytes(raw))
    assert verify_zip(corrupt).altered == ["bag-1/data/screenshots/01-file.png"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name it is asked to write
        dup = rewrite(out, tmp_path / "dup.zip", add={"bag-1/data/empty.txt": b"now not empty"})
    check = verify_zip(dup)
    assert not check.ok and any("twice" in p for p in check.problems)


def test_not_a_zip_or_not_a_bag_is_a_usage_error(tmp_path: Path) -> None:
    text = tmp_path / "x.zip"
    text.write_text("not a zip")
    with pytest.raises(UsageError, match="not a zip"):
        verify_zip(text)
    plain = tmp_path / "plain.zip"
    with zipfile.ZipFile(plain, "w") as zf:
        zf.writestr("folder/readme.txt", "hi")
    with pytest.raises(UsageError, match="not a BagIt bag"):
        verify_zip(plain)
    with pytest.raises(UsageError, match="does not exist"):
        verify_zip(tmp_path / "missing.zip")


def test_failed_write_leaves_nothing_at_out(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "B.zip"
    out.write_bytes(b"previous bundle")

    def payload():  # type: ignore[no-untyped-def]
        yield "a.txt", b"a" * 100_000
        raise RuntimeError("disk full halfway")

    with pytest.raises(RuntimeError):
        write_zip(out, "bag", payload(), {})
    assert out.read_bytes() == b"previous bundle"
    assert list(out.parent.iterdir()) == [out]  # no temp file left behind either
    with pytest.raises(UsageError):
        write_zip(out.parent / "C.zip", "bag", [("../escape.txt", b"x")], {})
    assert list(out.parent.iterdir()) == [out]


def test_cli_verify_exit_codes(tmp_path: Path) -> None:
    out = make_bag(tmp_path)
    doc = flagdeck_json("evidence", "verify", str(out))
    assert doc["ok"] is True and doc["bag"] == "bag-1"

    changed = rewrite(out, tmp_path / "changed.zip", change={"bag-1/data/empty.txt": b"!"})
    proc = run_flagdeck("evidence", "verify", str(changed))
    assert proc.returncode == 1 and "altered: bag-1/data/empty.txt" in proc.stdout
    assert "empty.txt" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    doc = flagdeck_json("evidence", "verify", str(changed), expect=1)
    assert doc["error"]["altered"] == ["bag-1/data/empty.txt"] and doc["error"]["exit_code"] == 1

    notzip = tmp_path / "n.zip"
    notzip.write_text("hello")
    proc = run_flagdeck("evidence", "verify", str(notzip))
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
