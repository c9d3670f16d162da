"""History and audit log: rows, filters, annotations, the runbook's Markdown table, redacted
details, a private WAL database two processes can write at once, schema versioning, the CLI."""

from __future__ import annotations

import json
import sqlite3
import stat
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flagdeck import history
from flagdeck.errors import StorageUnreadable, UsageError
from flagdeck.targets.presets import Preset
from tests.conftest import REPO
from tests.test_evidence_support import flagdeck_json, run_flagdeck


@dataclass(frozen=True)
class FakeTarget:
    """Only what history reads of a Target: its display name and slug."""

    name: str = "Cherry Studio"
    slug: str = "cherry-studio-0123456789"


T = FakeTarget()
OTHER = FakeTarget("Chromium", "chromium-9876543210")
OFF, ON = '{"USE_UNIFIED_DB_SERVICE":false}', '{"USE_UNIFIED_DB_SERVICE":true}'


def test_record_and_query_round_trip() -> None:
    rid = history.record("flag-write", T, before=OFF, after=ON, message="flags set", artifacts=[Path("/b/1")],
                         details={"backup": "20250910-1", "mode": "live"})
    (e,) = history.query()
    assert e.id == rid and e.kind == "flag-write" and e.target_name == "Cherry Studio" and e.target_slug == T.slug
    assert e.before == OFF and e.after == ON and e.outcome == "ok" and e.how == "cli"
    assert e.user == history.current_user() and e.host
    assert e.artifacts == ["/b/1"] and e.details == {"backup": "20250910-1", "mode": "live"}
    when = datetime.fromisoformat(e.time)
    assert when.tzinfo is not None and when.utcoffset() == timedelta(0)
    assert abs((datetime.now(UTC) - when).total_seconds()) < 60


def test_filters_and_order() -> None:
    history.record("flag-write", T)
    history.record("rollback", T, outcome="failed", message="page did not reload")
    history.record("rollback", OTHER)
    history.record("compare", T)
    assert [e.kind for e in history.query()] == ["compare", "rollback", "rollback", "flag-write"]
    assert [e.kind for e in history.query(target_slug=T.slug)] == ["compare", "rollback", "flag-write"]
    assert [e.target_slug for e in history.query(kind="rollback")] == [OTHER.slug, T.slug]
    assert len(history.query(limit=2)) == 2
    assert history.query(since=timedelta(minutes=5)) and not history.query(since=datetime.now(UTC) + timedelta(1))


def test_how_is_a_process_wide_default() -> None:
    try:
        history.set_default_how("tray")
        history.record("restore", T)
        history.record("verify", T, how="console")
    finally:
        history.set_default_how("cli")
    assert [e.how for e in history.query()] == ["console", "tray"]
    with pytest.raises(UsageError):
        history.set_default_how("daemon")


def test_bad_kind_or_outcome_is_refused() -> None:
    with pytest.raises(UsageError):
        history.record("deploy", T)
    with pytest.raises(UsageError):
        history.record("rollback", T, outcome="maybe")  # type: ignore[arg-type]


def test_details_are_redacted_whatever_the_caller_passed() -> None:
    key = "sk-test-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"
    history.record("rollback", T, details={"apiKey": key, "url": "https://h/x?token=tok-0123456789",
                                           "note": f"console said {key}", "steps": [{"name": "reload", "s": 1.2}]})
    raw = history.db_path().read_bytes() + b"".join(
        p.read_bytes() for p in history.db_path().parent.glob("history.sqlite3-*"))
    assert key.encode() not in raw and b"tok-0123456789" not in raw
    (e,) = history.query()
    assert e.details["apiKey"] == "«redacted:apiKey»" and "«redacted:" in e.details["note"]
    assert e.details["steps"] == [{"name": "reload", "s": 1.2}]


def test_the_message_is_redacted_too() -> None:
    """``record_failure`` stores the error's text and ``record_rollback`` appends the error: the
    message is redacted like the details, and a secret found in either is masked in both."""
    bearer, plain = "abcdefghijklmnop0123", "plain-value-0123456789"
    history.record_failure("flag-write", T, RuntimeError(f"reload failed: Authorization: Bearer {bearer}"))
    history.record("rollback", T, message=f"page printed {plain}", details={"apiKey": plain})
    raw = history.db_path().read_bytes() + b"".join(
        p.read_bytes() for p in history.db_path().parent.glob("history.sqlite3-*"))
    assert bearer.encode() not in raw and plain.encode() not in raw
    rolled, failed = history.query()
    assert failed.message == "reload failed: Authorization: Bearer «redacted:authorization»"
    assert rolled.message == "page printed «redacted:known-secret»"
    assert rolled.details == {"apiKey": "«redacted:apiKey»"}


MY_APP = Preset("myapp", "My App", secret_fields=("vaultPassphrase",))


@dataclass(frozen=True)
class PresetTarget:
    name: str = "My App"
    slug: str = "myapp-0123456789"
    preset: Preset = MY_APP


def test_rows_are_redacted_with_the_target_s_preset() -> None:
    history.record("flag-write", PresetTarget(), details={"vaultPassphrase": "correct-horse-battery",
                                                          "apiKey": "generic-rules-still-apply"})
    (e,) = history.query()
    assert e.details == {"vaultPassphrase": "«redacted:vaultPassphrase»", "apiKey": "«redacted:apiKey»"}


def test_presets_are_not_parsed_again_for_every_row(monkeypatch: pytest.MonkeyPatch) -> None:
    from flagdeck.targets import presets

    real, calls = presets.load_all, []
    monkeypatch.setattr(presets, "load_all", lambda: calls.append(1) or real())
    for n in range(5):
        history.record("verify", T, details={"n": n})
    assert len(calls) <= 1 and len(history.query()) == 5


def test_annotate_and_the_runbook_markdown_table() -> None:
    a = history.record("rollback", T, version="CherryStudio 1.9.3", details={"level": 1})
    history.record("flag-write", T)
    b = history.record("rollback", T, outcome="failed")
    history.annotate(a, issue="https://github.com/org/app/issues/42", resolution="fixed | in 1.9.4")
    e = history.annotate(b, resolution="retried by hand", version="1.9.3")
    assert e.resolution == "retried by hand" and e.version == "1.9.3" and e.issue is None
    lines = history.markdown_table(history.query()).splitlines()
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert lines == [
        "| Date | Version | Issue | Rollback Type | Resolution |",
        "|------|---------|-------|---------------|------------|",
        f"| {today} | CherryStudio 1.9.3 | https://github.com/org/app/issues/42 | Level 1: Feature Flag Toggle "
        "| fixed \\| in 1.9.4 |",
        f"| {today} | 1.9.3 | - | Level 1: Feature Flag Toggle (failed) | retried by hand |",
    ]
    with pytest.raises(UsageError):
        history.annotate(9999, issue="x")
    with pytest.raises(UsageError):
        history.annotate(a)


def test_markdown_table_without_rollbacks_is_the_runbook_s_empty_table() -> None:
    assert history.markdown_table([]) == (
        "| Date | Version | Issue | Rollback Type | Resolution |\n"
        "|------|---------|-------|---------------|------------|\n"
        "| -    | -       | -     | -             | -          |")


def test_database_is_private_wal_and_versioned() -> None:
    history.record("verify", T)
    path = history.db_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == history.SCHEMA_VERSION
        conn.execute(f"PRAGMA user_version = {history.SCHEMA_VERSION + 1}")
    with pytest.raises(StorageUnreadable, match="newer flagdeck"):
        history.query()


def test_a_corrupt_database_is_unreadable_not_a_traceback() -> None:
    history.db_path().write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageUnreadable):
        history.record("verify", T)
    assert history.try_record("verify", T) is None


_WRITER = """
import sys
from flagdeck import history
class T:
    name = "Cherry Studio"
    slug = "cherry-studio-0123456789"
for i in range(int(sys.argv[1])):
    history.record("flag-write", T, before=str(i), after=sys.argv[2])
"""


def test_two_processes_write_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two processes start on a new database at once, several times: both set it up (WAL, schema)
    and write every row. SQLite answers "locked" without waiting where waiting could deadlock: one
    process failed so in a full suite run, and in 1 of 12 rounds of a shell loop, before the set-up
    was tried again (rare: this test does not fail every time without the fix)."""
    for round_ in range(6):
        data = tmp_path / f"round-{round_}"
        data.mkdir()
        monkeypatch.setenv("FLAGDECK_DATA_DIR", str(data))
        procs = [subprocess.Popen([sys.executable, "-c", _WRITER, "60", name], cwd=REPO, stderr=subprocess.PIPE,
                                  text=True) for name in ("a", "b")]
        for p in procs:
            _, err = p.communicate(timeout=60)
            assert p.returncode == 0, err
        rows = history.query()
        assert len(rows) == 120 and {e.after for e in rows} == {"a", "b"}
        assert len({e.id for e in rows}) == 120


def test_durations_and_since() -> None:
    assert history.parse_duration("90s") == timedelta(seconds=90)
    assert history.parse_duration("30m") == timedelta(minutes=30)
    assert history.parse_duration("24h") == timedelta(hours=24)
    assert history.parse_duration("7d") == timedelta(days=7)
    assert history.parse_duration("2w") == timedelta(days=14)
    assert history.parse_since("2025-09-01") == datetime(2025, 9, 1, tzinfo=UTC)
    with pytest.raises(UsageError):
        history.parse_since("last tuesday")


def test_target_version_from_the_demo_state_file_and_user_agents(tmp_path: Path) -> None:
    @dataclass
    class Profile:
        user_data_dir: Path
        debug_port: int | None = None

    (tmp_path / "demo-target.json").write_text(json.dumps({"version": "0.1.0", "status": "ready"}))
    assert history.target_version(Profile(tmp_path)) == "flagdeck-demo 0.1.0"
    assert history.target_version(Profile(tmp_path / "nothing")) is None
    ua = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) CherryStudio/1.9.3 "
          "Chrome/136.0.7103.149 Electron/36.4.0 Safari/537.36")
    assert history.version_from_user_agent(ua) == "CherryStudio 1.9.3"
    assert history.version_from_user_agent(
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 "
        "Safari/537.36") is None


def test_cli_history_list_markdown_and_annotate() -> None:
    history.record("rollback", T, version="1.9.3")
    history.record("flag-write", T, before=OFF, after=ON)
    proc = run_flagdeck("history")
    assert proc.returncode == 0, proc.stderr
    assert "rollback" in proc.stdout and "flag-write" in proc.stdout and '{"USE_UNIFIED' in proc.stdout
    rows = flagdeck_json("history", "--kind", "flag-write", "--since", "1h")
    assert [r["kind"] for r in rows] == ["flag-write"]
    assert len(flagdeck_json("history", "--limit", "1")) == 1

    rid = str(history.query(kind="rollback")[0].id)
    doc = flagdeck_json("history", "annotate", rid, "--issue", "https://example.com/issues/7",
                        "--resolution", "flag off, fix in next release")
    assert doc["issue"] == "https://example.com/issues/7"
    proc = run_flagdeck("history", "--markdown")
    assert proc.returncode == 0
    assert proc.stdout.splitlines() == [
        "| Date | Version | Issue | Rollback Type | Resolution |",
        "|------|---------|-------|---------------|------------|",
        f"| {datetime.now(UTC):%Y-%m-%d} | 1.9.3 | https://example.com/issues/7 | Level 1: Feature Flag Toggle "
        "| flag off, fix in next release |"]

    bad = run_flagdeck("history", "annotate", "424242", "--issue", "x")
    assert bad.returncode == 2 and "no history entry 424242" in bad.stderr and "Traceback" not in bad.stderr
    bad = run_flagdeck("history", "--since", "yesterday-ish")
    assert bad.returncode == 2


def test_rows_for_real_flag_writes_restores_and_failures(qtwe_profile: Path) -> None:
    """The rows the flag operations write themselves, on a profile QtWebEngine wrote (offline)."""
    from flagdeck import flag_ops
    from flagdeck.errors import UnknownFlag
    from flagdeck.targets.resolve import TargetOptions, resolve

    target = resolve(TargetOptions(user_data_dir=qtwe_profile))
    write = flag_ops.write_flags(target, assignments=[("USE_UNIFIED_DB_SERVICE", False)])
    flag_ops.restore_backup(target, "latest", confirm=lambda diff: True)
    with pytest.raises(UnknownFlag):
        flag_ops.write_flags(target, assignments=[("NO_SUCH_FLAG", True)])
    failed, restored, written = history.query(target_slug=target.slug)
    assert (written.kind, written.before, written.after) == ("flag-write", ON, OFF)
    assert written.message == "USE_UNIFIED_DB_SERVICE: true -> false" and written.details["mode"] == "offline"
    assert written.artifacts == [str(write.backup.path)] and Path(written.artifacts[0]).is_dir()
    assert (restored.kind, restored.before, restored.after) == ("restore", OFF, ON)
    assert restored.details["from"] == write.backup.id
    assert (failed.outcome, failed.details["error"]) == ("failed", "unknown-flag") and "NO_SUCH_FLAG" in failed.message
    raw = history.db_path().read_bytes()
    assert b"sk-test" not in raw  # the profile's persist:cherry-studio key never reaches history
