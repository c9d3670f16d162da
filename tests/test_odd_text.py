"""Any text the app can store round-trips (issue 11 §3), and deep documents are reported.

JavaScript strings hold lone UTF-16 surrogates, NUL and astral characters, and Chromium stores them
(``0x00`` + UTF-16LE when a string does not fit Latin-1, ``0x01`` + Latin-1 when it does). The
profiles here are written by a real QtWebEngine and by Debian's Chromium, with such strings in keys,
values and the flag document itself, and a second origin whose flag document nests 10,000 deep.
Every check runs the CLI as a user would (``run_cli`` / ``cli_json``).
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from flagdeck.backups import BackupStore
from flagdeck.storage import codec
from flagdeck.storage.leveldb_store import LevelDBStore
from flagdeck.storage.store import Entry
from tests import system_deps
from tests.conftest import (
    CHROMIUM_MISSING,
    cli_json,
    leveldb_dump,
    needs_chromium,
    read_qtwebengine_profile,
    run_cli,
    write_qtwebengine_profile,
)
from tests.engines import chromium as chromium_engine

FILE = "file://"
DEEP_ORIGIN = "https://deep.example"
FLAG = "USE_UNIFIED_DB_SERVICE"
# A flag document holding a lone surrogate (raw) in a key, and a lone low surrogate, NUL (escaped)
# and an astral character in a value: JSON.parse in the app takes it as it is.
FLAGS_ODD = '{"USE_UNIFIED_DB_SERVICE":true,"note\ud800":"\udc00 x\\u0000 \U0001d11e"}'
FLAGS_ODD_OFF = FLAGS_ODD.replace("true", "false", 1)
ODD: dict[str, str] = {
    "a\ud800b": "x\u0000y",  # lone high surrogate in a key (UTF-16 on disk), NUL in a value (Latin-1)
    "lone-low": "\udc00",  # a lone low surrogate as the whole value
    "\U0001d11e clef": "\U0001d11e",  # astral: a valid pair
    "nul\u0000key": "a\ud800b\udc00c",  # NUL in a key; a high and a low surrogate, each alone
    "plain": "caf\u00e9",  # Latin-1 both sides
}
DEPTH = 10_000
DEEP = '{"A":' + "[" * DEPTH + "]" * DEPTH + "}"
CONTENT = {FILE: {"featureFlags": FLAGS_ODD, **ODD}, DEEP_ORIGIN: {"featureFlags": DEEP}}
ENGINES = ["qtwebengine", "chromium"]


@pytest.fixture(scope="session")
def odd_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    made: dict[str, Path] = {}
    qtwe = tmp_path_factory.mktemp("odd-qtwe") / "profile"
    write_qtwebengine_profile(qtwe, CONTENT)
    made["qtwebengine"] = qtwe
    if chromium_engine.CHROMIUM is not None:
        chromium = tmp_path_factory.mktemp("odd-chromium") / "user-data"
        chromium_engine.write_profile(chromium, CONTENT)
        made["chromium"] = chromium
    return made


@pytest.fixture(params=ENGINES)
def odd_profile(request: pytest.FixtureRequest, odd_templates: dict[str, Path], tmp_path: Path) -> Iterator[Path]:
    """A copy of the profile written by the engine of the parameter."""
    engine = request.param
    if engine not in odd_templates:
        system_deps.require(CHROMIUM_MISSING)
    dest = tmp_path / f"odd-{engine}"
    shutil.copytree(odd_templates[engine], dest, symlinks=True,
                    ignore=shutil.ignore_patterns("LOCK", "Singleton*", "DevToolsActivePort"))
    yield dest


def leveldb_of(profile: Path) -> Path:
    chromium_layout = profile / "Default" / "Local Storage" / "leveldb"
    return chromium_layout if chromium_layout.is_dir() else profile / "Local Storage" / "leveldb"


def entries_on_disk(profile: Path, origin: str) -> dict[bytes, bytes]:
    """The origin's entries as raw LevelDB keys and values."""
    prefix = codec.entry_prefix(origin)
    return {k: v for k, v in leveldb_dump(leveldb_of(profile)).items() if k.startswith(prefix)}


def strings(raw: dict[bytes, bytes]) -> dict[str, str]:
    return {codec.decode_string(codec.split_entry_key(k)[1]): codec.decode_string(v) for k, v in raw.items()}


def at(profile: Path, origin: str = FILE) -> tuple[str, ...]:
    return ("--user-data-dir", str(profile), "--origin", origin)


def one_line_error(proc: object, code: int) -> str:
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)  # type: ignore[attr-defined]
    err = proc.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


# --- the profiles hold what this file is about ---------------------------------------------------


def test_engines_store_every_string_in_both_encodings(odd_profile: Path) -> None:
    raw = entries_on_disk(odd_profile, FILE)
    assert strings(raw) == {"featureFlags": FLAGS_ODD, **ODD}
    key_tags = {codec.split_entry_key(k)[1][0] for k in raw}
    value_tags = {v[0] for v in raw.values()}
    assert key_tags == value_tags == {codec.LATIN1, codec.UTF16LE}


# --- status, --json, writes ----------------------------------------------------------------------


def test_json_status_carries_the_document_exactly(odd_profile: Path) -> None:
    status = cli_json(*at(odd_profile), "status")
    doc = status["report"]["document"]
    assert doc["raw"] == FLAGS_ODD and doc["valid"]
    assert doc["values"] == {FLAG: True, "note\ud800": "\udc00 x\u0000 \U0001d11e"}
    assert any(w["flag"] == "note\ud800" and '"note\\ud800"' in w["message"]
               for w in status["report"]["warnings"])

    text = run_cli(*at(odd_profile), "status")
    assert text.returncode == 0 and "Traceback" not in text.stderr, text.stderr
    assert 'featureFlags: {"USE_UNIFIED_DB_SERVICE":true,"note\\ud800":"\\udc00 x\\u0000 \U0001d11e"}' in text.stdout
    assert "warning: \"note\\ud800\" is not a flag of this app" in text.stdout  # one line, escaped


def test_output_on_a_stdout_that_is_not_utf8(odd_profile: Path) -> None:
    """--json is all ASCII there (no escape handler may rewrite it into invalid JSON); text shows
    what the stream cannot hold as escapes."""
    ascii_env = {"PYTHONIOENCODING": "ascii"}
    as_json = run_cli("--json", *at(odd_profile), "status", env=ascii_env)
    assert as_json.returncode == 0 and as_json.stdout.isascii(), as_json.stderr
    assert json.loads(as_json.stdout)["report"]["document"]["raw"] == FLAGS_ODD
    text = run_cli(*at(odd_profile), "status", env=ascii_env)
    assert text.returncode == 0 and "Traceback" not in text.stderr, text.stderr
    assert '"note\\ud800":"\\udc00 x\\u0000 \\U0001d11e"' in text.stdout


def test_flags_set_keeps_the_odd_entries_byte_identical_and_backs_them_up(odd_profile: Path) -> None:
    before = entries_on_disk(odd_profile, FILE)
    with LevelDBStore.open_read(leveldb_of(odd_profile)) as store:
        entries_before = store.entries(FILE)

    result = cli_json(*at(odd_profile), "flags", "set", f"{FLAG}=false")
    assert result["before"] == FLAGS_ODD and result["after"] == FLAGS_ODD_OFF

    after = entries_on_disk(odd_profile, FILE)
    flags_key = codec.entry_key(FILE, "featureFlags")
    assert {k: v for k, v in after.items() if k != flags_key} == {k: v for k, v in before.items() if k != flags_key}
    assert codec.decode_string(after[flags_key]) == FLAGS_ODD_OFF

    backup = BackupStore().find(result["backup"]["id"])
    assert BackupStore().entries(backup) == entries_before  # strings and exact bytes
    assert backup.flag_value == FLAGS_ODD and backup.damaged is None
    for name in ("entries.json", "meta.json"):
        (backup.path / name).read_bytes().decode("utf-8")  # valid UTF-8, strictly


def test_backup_restore_round_trip_as_the_engine_reads_it(odd_profile: Path) -> None:
    before = entries_on_disk(odd_profile, FILE)
    # a byte that is not UTF-8 in argv arrives as a lone surrogate (surrogateescape)
    backup = cli_json(*at(odd_profile), "backup", "--note", "odd \udcff note")
    assert backup["note"] == "odd \udcff note" and backup["entry_count"] == len(ODD) + 1
    cli_json(*at(odd_profile), "flags", "set", "--force", f"{FLAG}=false", 'X="\\ud800"')
    assert entries_on_disk(odd_profile, FILE) != before

    restored = cli_json(*at(odd_profile), "restore", backup["id"], "--scope", "entries", "--yes")
    assert restored["restored_from"]["id"] == backup["id"]
    assert entries_on_disk(odd_profile, FILE) == before  # every byte of every entry

    if (odd_profile / "Default").is_dir():
        with chromium_engine.Chromium(odd_profile) as browser:
            seen = browser.get_items(FILE)
    else:
        seen = read_qtwebengine_profile(odd_profile, FILE)[FILE]
    assert seen == {"featureFlags": FLAGS_ODD, **ODD}  # what the page reads: the identical strings


def test_history_keeps_the_document_exactly(odd_profile: Path) -> None:
    cli_json(*at(odd_profile), "flags", "set", "--force", 'X="a\\ud800b"')
    (row,) = cli_json("history")
    expected = FLAGS_ODD[:-1] + ',"X":"a\ud800b"}'
    assert row["before"] == FLAGS_ODD and row["after"] == expected and row["outcome"] == "ok"
    assert row["message"] == 'X: (absent) -> "a\ud800b"'
    text = run_cli("history")
    assert text.returncode == 0 and "Traceback" not in text.stderr, text.stderr
    assert 'X: (absent) -> "a\\ud800b"' in text.stdout


def test_rollback_on_such_a_profile_backs_up_writes_and_records_it(odd_profile: Path) -> None:
    proc = run_cli(*at(odd_profile), "rollback", "--yes")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
    assert strings(entries_on_disk(odd_profile, FILE)) == {"featureFlags": FLAGS_ODD_OFF, **ODD}
    rows = {row["kind"]: row for row in cli_json("history")}
    assert rows["rollback"]["outcome"] == "ok" and rows["rollback"]["before"] == FLAGS_ODD
    assert rows["rollback"]["after"] == FLAGS_ODD_OFF


def test_offline_evidence_bundle_carries_every_entry(odd_profile: Path, tmp_path: Path) -> None:
    cli_json(*at(odd_profile), "flags", "set", f"{FLAG}=false")  # a history row with the document
    out = tmp_path / "bundle.zip"
    proc = run_cli(*at(odd_profile), "evidence", "export", "--out", str(out))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    with zipfile.ZipFile(out) as zf:
        files = {n.split("/", 1)[1]: zf.read(n) for n in zf.namelist() if not n.endswith("/")}
    storage = json.loads(files["data/localstorage/file.json"].decode("utf-8"))
    assert {e["key"]: e["value"] for e in storage["entries"]} == {"featureFlags": FLAGS_ODD_OFF, **ODD}
    status = json.loads(files["data/flags/status.json"].decode("utf-8"))
    assert status["report"]["document"]["raw"] == FLAGS_ODD_OFF
    audit = json.loads(files["data/history/audit-log.json"].decode("utf-8"))
    assert audit[0]["before"] == FLAGS_ODD and audit[0]["after"] == FLAGS_ODD_OFF
    report = files["data/report.html"].decode("utf-8")
    assert "note\\ud800" in report  # shown, escaped, in the summary's document line
    assert run_cli("evidence", "verify", str(out)).returncode == 0


# --- live ------------------------------------------------------------------------------------------


@needs_chromium
def test_live_status_write_and_evidence_carry_every_entry(tmp_path: Path) -> None:
    from tests.live_support import start_app

    app = start_app("chromium", tmp_path / "ud", {FILE: {"featureFlags": FLAGS_ODD, **ODD}})
    try:
        app.page_eval(FILE, "document.title = 'odd \\ud800 title'; console.log('logged \\ud800 \\u0000 x'); 1")
        live = ("--user-data-dir", str(app.user_data_dir), "--debug-port", str(app.port))
        status = cli_json(*live, "status")
        assert status["mode"] == "live" and status["report"]["document"]["raw"] == FLAGS_ODD
        written = cli_json(*live, "flags", "set", f"{FLAG}=false")
        assert written["before"] == FLAGS_ODD and written["after"] == FLAGS_ODD_OFF
        backup = BackupStore().find(written["backup"]["id"])
        assert {e.key: e.value for e in BackupStore().entries(backup)} == {"featureFlags": FLAGS_ODD, **ODD}

        out = tmp_path / "live.zip"
        proc = run_cli(*live, "evidence", "export", "--out", str(out), "--window", "1")
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
        with zipfile.ZipFile(out) as zf:
            files = {n.split("/", 1)[1]: zf.read(n) for n in zf.namelist() if not n.endswith("/")}
        storage = json.loads(files["data/localstorage/file.json"].decode("utf-8"))
        assert storage["mode"] == "live"
        assert {e["key"]: e["value"] for e in storage["entries"]} == {"featureFlags": FLAGS_ODD_OFF, **ODD}
        har = json.loads(files["data/network/trace.har"].decode("utf-8"))
        assert har["log"]["version"] == "1.2"
        # the title as Chromium's target list reports it (its JSON writer makes the lone surrogate
        # U+FFFD before flagdeck sees it); the bundle keeps exactly that
        assert [page["title"] for page in har["log"]["pages"]] == ["odd \ufffd title"]
        console = next(v for k, v in files.items() if k.startswith("data/console/") and k.endswith(".log"))
        assert "logged \\ud800 \x00 x" in console.decode("utf-8")  # NUL kept, the surrogate shown escaped
        files["data/report.html"].decode("utf-8")
        assert run_cli("evidence", "verify", str(out)).returncode == 0
    finally:
        app.kill()


# --- a document nested 10,000 deep ------------------------------------------------------------------


def test_a_deep_document_is_reported_refused_and_repaired(odd_profile: Path, user_dirs: Path,
                                                         tmp_path: Path) -> None:
    deep = at(odd_profile, DEEP_ORIGIN)
    text = run_cli(*deep, "status")
    assert text.returncode == 0 and "Traceback" not in text.stderr, text.stderr
    (warning,) = [line for line in text.stdout.splitlines() if line.startswith("warning:")]
    assert f"nested {DEPTH + 1} levels deep" in warning and "--repair" in warning
    assert max(len(line) for line in text.stdout.splitlines()) < 400  # the raw text is cut, not 20,000 brackets

    status = cli_json(*deep, "status")
    doc = status["report"]["document"]
    assert doc["raw"] == DEEP and not doc["valid"] and doc["error"].startswith(f"nested {DEPTH + 1} levels")
    assert [w["code"] for w in status["report"]["warnings"]] == ["too-deep"]
    assert cli_json(*deep, "flags", "get", FLAG)["value"] is False
    got = run_cli(*deep, "flags", "get")
    assert got.returncode == 0 and "Traceback" not in got.stderr, got.stderr

    perf = user_dirs / "data" / "perf"  # another part's result file, as deep: carried as it is
    perf.mkdir(parents=True)
    (perf / "deep.json").write_text(DEEP)
    out = tmp_path / "deep.zip"
    exported = run_cli(*deep, "evidence", "export", "--out", str(out))
    assert exported.returncode == 0 and "Traceback" not in exported.stderr, exported.stderr
    with zipfile.ZipFile(out) as zf:
        files = {n.split("/", 1)[1]: zf.read(n) for n in zf.namelist() if not n.endswith("/")}
    storage = json.loads(files["data/localstorage/https-deep.example.json"])
    assert storage["entries"] == [{"key": "featureFlags", "value": DEEP}]
    assert files["data/perf/deep.json"] == DEEP.encode()

    refused = run_cli(*deep, "flags", "set", f"{FLAG}=false")
    assert "stored featureFlags is nested" in one_line_error(refused, 4)
    error = cli_json(*deep, "flags", "set", f"{FLAG}=false", expect=4)["error"]
    assert error["kind"] == "invalid-flag-document" and error["exit_code"] == 4

    repaired = cli_json(*deep, "flags", "set", "--repair", f"{FLAG}=false")
    assert repaired["before"] == DEEP and repaired["after"] == '{"USE_UNIFIED_DB_SERVICE":false}'
    kept = BackupStore().entries(BackupStore().find(repaired["backup"]["id"]))
    assert kept == [Entry("featureFlags", DEEP, codec.encode_string("featureFlags"), codec.encode_string(DEEP))]
    assert cli_json(*deep, "status")["report"]["document"]["values"] == {FLAG: False}


# --- names that would break one-line messages ----------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["flags", "set", "A\nB=true"],
    ["flags", "set", "--force", "A\nB=true"],
    ["flags", "set", "USE_UNIFIED_DB_SERVICE=true", "X\tY=1"],
    ["flags", "get", "A\nB"],
    ["rollback", "--flag", "A\nB", "--yes"],
    ["flags", "set", "USE_UNIFIED_DB_SERVICE=x\ny"],
])
def test_a_name_with_a_line_break_gets_one_line(qtwe_profile: Path, args: list[str]) -> None:
    leveldb = qtwe_profile / "Local Storage" / "leveldb"
    files_before = {p.name: p.read_bytes() for p in leveldb.iterdir()}
    proc = run_cli("--user-data-dir", str(qtwe_profile), *args)
    err = one_line_error(proc, 2)
    assert "\\n" in err or "\\t" in err
    assert {p.name: p.read_bytes() for p in leveldb.iterdir()} == files_before
    as_json = run_cli("--json", "--user-data-dir", str(qtwe_profile), *args)
    assert as_json.returncode == 2 and json.loads(as_json.stdout)["error"]["exit_code"] == 2
