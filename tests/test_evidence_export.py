"""Evidence export end to end on real engines (no fake CDP): the done-when test on a running
Chromium holding an API key in a redux-persist entry, every bundle part live and offline, the
page-without-a-view note on QtWebEngine, ``--no-redact``, progress and usage errors."""

from __future__ import annotations

import json
import os
import shutil
import time
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from flagdeck import history
from flagdeck.evidence.bagit import verify_zip
from flagdeck.evidence.export import export
from flagdeck.targets.resolve import TargetOptions, resolve
from tests import system_deps
from tests.conftest import CHROMIUM_MISSING, SECRET, needs_chromium
from tests.engines.chromium import CHROMIUM
from tests.live_support import EXAMPLE, FILE, LiveApp, start_app
from tests.test_evidence_bagit import rewrite
from tests.test_evidence_support import run_flagdeck

KEY = "sk-live-9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d"
WEBDAV = "webdav-horse-battery-staple"
BEARER = "live-bearer-token-0123456789"
QUERY_TOKEN = "tok-abcdef123456"
SECRETS = (KEY, WEBDAV, BEARER, QUERY_TOKEN)
PERSIST = json.dumps({
    "llm": json.dumps({"providers": [{"id": "openai", "apiKey": KEY}]}),
    "settings": json.dumps({"webdavPass": WEBDAV, "theme": "dark"}),
    "_persist": json.dumps({"version": -1, "rehydrated": True}),
})
PAGES = {
    FILE: {"featureFlags": '{"USE_UNIFIED_DB_SERVICE":true}', "persist:cherry-studio": PERSIST, "language": "en"},
    EXAMPLE: {"exampleKey": "exampleValue"},
}
# What the pages do: log the key (before flagdeck attaches: replayed by Runtime.enable), throw,
# and keep fetching with credentials so the capture window sees requests.
CONSOLE_JS = (f"console.log('provider key', {json.dumps(KEY)}); console.warn('webdav', {json.dumps(WEBDAV)});"
              "console.error('[DbService] failed to load messages'); setTimeout(() => { throw new Error('uncaught "
              "in renderer'); }, 0); 1")
TITLE_TOKEN = "q7Zx9"  # shorter than MIN_KNOWN: masked where a rule finds it, never searched for verbatim
FETCH_JS = (f"document.title = 'inbox token={TITLE_TOKEN}';"
            f"setInterval(() => fetch('/api/messages?page=1&token={QUERY_TOKEN}', {{headers: "
            f"{{'Authorization': 'Bearer {BEARER}', 'X-Trace': 'abc'}}}}).catch(() => 0), 150); 1")


@pytest.fixture(scope="module")
def chromium_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    if CHROMIUM is None:
        system_deps.require(CHROMIUM_MISSING)
    app = start_app("chromium", tmp_path_factory.mktemp("evidence") / "ud", PAGES)
    try:
        app.page_eval(FILE, CONSOLE_JS)
        app.page_eval(EXAMPLE, FETCH_JS)
        yield app
    finally:
        app.kill()


def live_args(app: LiveApp) -> tuple[str, ...]:
    return ("--user-data-dir", str(app.user_data_dir), "--debug-port", str(app.port))


def unzip(path: Path, dest: Path) -> tuple[Path, dict[str, bytes]]:
    with zipfile.ZipFile(path) as zf:
        zf.extractall(dest)
        names = [n for n in zf.namelist() if not n.endswith("/")]
    (root,) = {n.split("/", 1)[0] for n in names}
    files = {n.split("/", 1)[1]: (dest / n).read_bytes() for n in names}
    return dest / root, files


def assert_no_secret(zip_path: Path, files: dict[str, bytes], secrets: tuple[str, ...]) -> None:
    raw = zip_path.read_bytes()
    for secret in secrets:
        for form in (secret.encode(), secret.encode("utf-16-le")):
            assert form not in raw, f"{secret} in the raw zip"
            for name, data in files.items():
                assert form not in data, f"{secret} in {name}"


# --- done when -------------------------------------------------------------------------------------


@needs_chromium
def test_done_when_live_export_holds_no_byte_of_the_key_and_verifies(chromium_app: LiveApp, tmp_path: Path) -> None:
    out = tmp_path / "B.zip"
    proc = run_flagdeck(*live_args(chromium_app), "evidence", "export", "--out", str(out), "--window", "1")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "[100%] done" in proc.stderr
    assert f"evidence bundle: {out}" in proc.stdout

    root, files = unzip(out, tmp_path / "x")
    shots = [n for n in files if n.startswith("data/screenshots/") and n.endswith(".png")]
    assert len(shots) == 2 and all(files[n].startswith(b"\x89PNG\r\n\x1a\n") for n in shots)
    console = files["data/console/02-file.log"].decode()
    assert "provider key «redacted:" in console and "[DbService] failed to load messages" in console
    assert "uncaught in renderer" in console
    storage = json.loads(files["data/localstorage/file.json"])
    assert storage["origin"] == FILE and storage["mode"] == "live"
    persisted = json.loads(next(e["value"] for e in storage["entries"] if e["key"] == "persist:cherry-studio"))
    assert json.loads(persisted["llm"]) == {"providers": [{"id": "openai", "apiKey": "«redacted:apiKey»"}]}
    assert json.loads(persisted["settings"]) == {"webdavPass": "«redacted:webdavPass»", "theme": "dark"}
    assert files["data/report.html"].startswith(b"<!doctype html>")
    assert_no_secret(out, files, (*SECRETS, SECRET))

    assert run_flagdeck("evidence", "verify", str(out)).returncode == 0
    changed = rewrite(out, tmp_path / "changed.zip",
                      change={f"{root.name}/data/localstorage/file.json": files["data/localstorage/file.json"] + b" "})
    removed = rewrite(out, tmp_path / "removed.zip", drop=f"{root.name}/data/report.html")
    added = rewrite(out, tmp_path / "added.zip", add={f"{root.name}/data/screenshots/99-extra.png": b"\x89PNG"})
    for bad, word, name in ((changed, "altered", "localstorage/file.json"), (removed, "missing", "data/report.html"),
                            (added, "extra", "99-extra.png")):
        proc = run_flagdeck("evidence", "verify", str(bad))
        assert proc.returncode == 1, (bad, proc.stdout, proc.stderr)
        assert f"{word}: " in proc.stdout and name in proc.stdout and name in proc.stderr


# --- each part, live -------------------------------------------------------------------------------


@needs_chromium
def test_live_bundle_parts(chromium_app: LiveApp, tmp_path: Path) -> None:
    history.record("rollback", resolve(TargetOptions(user_data_dir=chromium_app.user_data_dir)),
                   before='{"USE_UNIFIED_DB_SERVICE":true}', after='{"USE_UNIFIED_DB_SERVICE":false}')
    steps: list[tuple[str, float]] = []
    visible = {o: chromium_app.page_eval(o, "document.visibilityState") for o in (FILE, EXAMPLE)}
    assert sorted(visible.values()) == ["hidden", "visible"]  # two tabs of one headless window
    target = resolve(TargetOptions(user_data_dir=chromium_app.user_data_dir, debug_port=chromium_app.port))
    result = export(target, out=tmp_path / "b.zip", window=1.0, progress=lambda s, f: steps.append((s, f)),
                    argv=["flagdeck", "evidence", "export", "--url", "https://hooks.slack.com/services/T0/B0/sekrit"])
    assert result.mode == "live" and result.pages == 2 and result.screenshots == 2
    assert verify_zip(result.path).ok
    # the background tab was brought to the front for its screenshot, and the front one put back
    assert sum("brought to the front" in n for n in result.notes) == 1
    assert {o: chromium_app.page_eval(o, "document.visibilityState") for o in visible} == visible
    _, files = unzip(result.path, tmp_path / "x")

    # progress: named steps, fractions rising to 1.0
    fractions = [f for _, f in steps]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and steps[-1][0] == "done"
    assert any(s == "captured 2 page(s)" for s, _ in steps)

    # network trace: HAR 1.2 of the capture window, credentials stripped
    har = json.loads(files["data/network/trace.har"])["log"]
    assert har["version"] == "1.2" and len(har["pages"]) == 2
    api = [e for e in har["entries"] if "/api/messages" in e["request"]["url"]]
    assert len(api) >= 2, har["entries"]
    headers = {h["name"].lower(): h["value"] for h in api[0]["request"]["headers"]}
    assert headers["authorization"] == "«redacted:authorization»" and headers["x-trace"] == "abc"
    assert "token=«redacted:query-secret»" in api[0]["request"]["url"]
    assert api[0]["response"]["status"] == 200 and api[0]["pageref"] in {p["id"] for p in har["pages"]}

    # flag state with its layers
    status = json.loads(files["data/flags/status.json"])
    flag = status["report"]["flags"][0]
    assert (status["mode"], flag["name"], flag["stored_value"], flag["effective"], flag["source"]) == (
        "live", "USE_UNIFIED_DB_SERVICE", True, True, "localStorage")

    # console as JSON too, with levels and sources
    console = json.loads(files["data/console/console.json"])
    assert {"log", "warning", "error"} <= {c["level"] for c in console}
    assert any(c["source"] == "exception" for c in console)

    # pages, loggerService (not exposed here: said so), system info with the app's process tree
    pages = json.loads(files["data/pages.json"])
    assert [p["origin"] for p in pages] == sorted(p["origin"] for p in pages) or len(pages) == 2
    assert all(p["logger"] == "the page does not expose loggerService.getLogs()" for p in pages)
    system = json.loads(files["data/system.json"])
    procs = {p["pid"]: p for p in system["app_processes"]}
    assert chromium_app.pid in procs or any(p["type"] == "browser" for p in procs.values())
    assert any(p["type"] == "renderer" and p["rss_mb"] > 0 for p in procs.values())
    assert system["app_version"].startswith("Chrome/") and system["python"]["version"]
    assert "sekrit" not in json.dumps(system["command_line"])

    # history: the rollback and its table; the export itself is recorded afterwards
    audit = json.loads(files["data/history/audit-log.json"])
    assert [r["kind"] for r in audit] == ["rollback"]
    assert "| Level 1: Feature Flag Toggle |" in files["data/history/rollback-history.md"].decode()
    rows = history.query(target_slug=target.slug, kind="evidence-export")
    assert len(rows) == 1 and rows[0].artifacts == [str(result.path.resolve())] and rows[0].id == result.history_id

    # the report: self-contained, screenshots inline, redaction counts, files listed
    report = files["data/report.html"].decode()
    assert report.count("data:image/png;base64,") == 2
    for banned in ("<script", "<link", 'src="http', "src='http", "@import", "url(http"):
        assert banned not in report
    assert "redaction on:" in report and "field:apiKey" in report and "network/trace.har" in report
    assert "REDACTION OFF" not in report
    redaction = json.loads(files["data/redaction-report.json"])
    assert redaction["by_rule"]["field:apiKey"] >= 1 and redaction["by_rule"]["header"] >= 1
    assert_no_secret(result.path, files, SECRETS)

    # the page title's secret: masked in pages.json, so in the report too; every mask is reported
    titles = {p["title"] for p in json.loads(files["data/pages.json"])}
    assert "inbox token=«redacted:query-secret»" in titles
    assert TITLE_TOKEN not in report and "inbox token=«redacted:query-secret»" in report
    assert redaction["by_path"]["pages.json"]["query-secret"] >= 1 and "report.html" not in redaction["by_path"]
    assert redaction["total"] == result.redaction.total == rows[0].details["masked"]


@needs_chromium
def test_no_redact_keeps_secrets_and_says_so_first(chromium_app: LiveApp, tmp_path: Path) -> None:
    out = tmp_path / "raw.zip"
    proc = run_flagdeck(*live_args(chromium_app), "evidence", "export", "--out", str(out), "--window", "0",
                        "--no-redact", "--no-focus")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("WARNING: REDACTION OFF")
    # --no-focus: the background tab is not brought forward; it answers with what it last drew, or not at all
    assert "brought to the front" not in proc.stdout
    assert "2 screenshot(s)" in proc.stdout or "background tab" in proc.stdout
    _, files = unzip(out, tmp_path / "x")
    assert KEY.encode() in files["data/localstorage/file.json"]
    assert files["data/redaction-report.txt"].decode().startswith("REDACTION OFF")
    body = files["data/report.html"].decode().split("<main>", 1)[1].lstrip()
    assert body.startswith('<p class="off"><strong>REDACTION OFF')
    with zipfile.ZipFile(out) as zf:
        info = zf.read(f"{zf.namelist()[0].split('/')[0]}/bag-info.txt").decode()
    assert "Flagdeck-Redaction: OFF (--no-redact)" in info


# --- a page nobody renders (QtWebEngine without a view) --------------------------------------------


def test_qtwebengine_page_without_a_view_is_noted(tmp_path: Path) -> None:
    app = start_app("qtwebengine", tmp_path / "qt", {FILE: PAGES[FILE]})
    try:
        target = resolve(TargetOptions(user_data_dir=app.user_data_dir, debug_port=app.port))
        result = export(target, out=tmp_path / "q.zip", window=0.5)
    finally:
        app.kill()
    assert result.mode == "live" and result.pages == 1 and result.screenshots == 0
    assert any("no screenshot" in n and "no view" in n for n in result.notes)
    _, files = unzip(result.path, tmp_path / "x")
    assert "no view renders it" in files["data/report.html"].decode()
    assert "localstorage/file.json".join(["data/", ""]) in files
    assert_no_secret(result.path, files, (KEY, WEBDAV))


# --- offline, with every file-based part -----------------------------------------------------------


def _old(path: Path, days: float) -> None:
    when = time.time() - days * 86400
    os.utime(path, (when, when))


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


@pytest.fixture
def demo_profile(qtwe_profile: Path, user_dirs: Path) -> Path:
    """The demo preset's profile ($FLAGDECK_DATA/demo-target), app closed, with logs and results
    that the other flagdeck parts would have left in the data dir."""
    data = Path(os.environ["FLAGDECK_DATA_DIR"])
    profile = data / "demo-target"
    shutil.copytree(qtwe_profile, profile)
    write_json(profile / "demo-target.json", {"version": "0.1.0", "status": "exited"})
    logs = profile / "logs"
    logs.mkdir()
    now = datetime.now().astimezone()
    old_line = f"{(now - timedelta(days=3)).isoformat(timespec='milliseconds')} [demo-target] old error\n"
    lines = [f"{now.isoformat(timespec='milliseconds')} [demo-target] error {n} key={KEY}\n" for n in range(3000)]
    (logs / f"demo-error.{now:%Y-%m-%d}.log").write_text(old_line + "".join(lines))
    (logs / f"demo.{now:%Y-%m-%d}.log").write_text("info line\n")  # not an error log
    stale = logs / "demo-error.2020-01-01.log"
    stale.write_text("ancient\n")
    _old(stale, 400)
    write_json(data / "perf" / "compare-1.json", {"target": "demo", "median_ms": {"a": 120, "b": 180}})
    (data / "perf" / "compare-1.png").write_bytes(b"\x89PNG\r\n\x1a\nchart")
    (data / "perf" / "samples.csv").write_text("run,ms\n1,120\n")
    slug = resolve(TargetOptions()).slug
    # as verify/runner.py, verify/checklist.py and rollback/record.py write them
    write_json(data / "verify" / f"20250910T120000-{slug}.json", {
        "target_slug": slug, "target": "flagdeck demo target", "results": [
            {"id": "message-load", "title": "Message loading", "status": "pass", "detail": "120 ms"},
            {"id": "data-loss", "title": "No data loss", "status": "fail", "detail": "3 topics missing"}]})
    write_json(data / "checklists" / f"{slug}.json", {"save-error-logs": {"answer": "pass", "note": "attached"}})
    write_json(data / "checklists" / "cherry-studio-0123456abc.json", {"x": {"answer": "fail"}})
    write_json(data / "verify" / "other.json", {"target": "someone-else", "checks": []})
    write_json(data / "rollbacks" / "r1" / "record.json", {"id": "r1", "target": {"slug": slug},
                                                           "steps": [{"id": "set-flag", "status": "done"}]})
    write_json(data / "rollbacks" / "r2" / "record.json", {"id": "r2", "target": {"slug": "chromium-0123456abc"}})
    (data / "rollbacks" / "r1" / "console-before.log").write_text(f"before rollback Bearer {BEARER}\n")
    return profile


def slug_of(names: set[str]) -> str:
    return next(n for n in names if n.startswith("data/verify/")).split("-", 1)[1].removesuffix(".json")


def test_offline_bundle_has_every_file_part(demo_profile: Path, tmp_path: Path) -> None:
    out = tmp_path / "off.zip"
    proc = run_flagdeck("evidence", "export", "--out", str(out), "--since", "1d")
    assert proc.returncode == 0, proc.stderr
    assert verify_zip(out).ok
    _, files = unzip(out, tmp_path / "x")
    names = set(files)
    assert not any(n.startswith("data/screenshots/") for n in names)
    notes = files["data/notes.txt"].decode()
    assert "offline: no screenshots" in notes and "demo-error.2020-01-01.log skipped" in notes

    # the error log: tail-limited to 2,000 lines, the old line dropped by --since, the key masked
    log = files[f"data/logs/demo-error.{datetime.now():%Y-%m-%d}.log"].decode().splitlines()
    assert len(log) == 2000 and log[-1].endswith("error 2999 key=«redacted:openai-key»")
    assert "data/logs/demo-error.2020-01-01.log" not in names and not any("demo." in n for n in names)

    # the localStorage backup of the origin, offline, redacted; flag state
    storage = json.loads(files["data/localstorage/file.json"])
    assert storage["mode"] == "offline" and {e["key"] for e in storage["entries"]} >= {"featureFlags"}
    assert json.loads(files["data/flags/status.json"])["mode"] == "offline"

    # other parts' results: perf (JSON, CSV, chart), verify and checklists, rollback records
    for name in ("data/perf/compare-1.json", "data/perf/compare-1.png", "data/perf/samples.csv",
                 "data/rollbacks/r1/record.json", "data/rollbacks/r1/console-before.log"):
        assert name in names, name
    assert any(n.startswith("data/verify/20250910T120000-demo-") for n in names)
    assert [n for n in names if n.startswith("data/checklists/")] == [f"data/checklists/{slug_of(names)}.json"]
    for other in ("data/verify/other.json", "data/rollbacks/r2/record.json"):  # other targets' results
        assert other not in names
    assert "«redacted:bearer»" in files["data/rollbacks/r1/console-before.log"].decode()
    report = files["data/report.html"].decode()
    assert "No data loss" in report and "3 topics missing" in report and "save-error-logs" in report
    assert report.count("data:image/png;base64,") == 1  # the chart
    system = json.loads(files["data/system.json"])
    assert system["app_version"] == "flagdeck-demo 0.1.0" and system["app_processes"] == []
    assert_no_secret(out, files, (KEY, BEARER, SECRET))


FLAG_TOKEN = "k3Wp8"  # short: masked where found, never searched for verbatim
FLAG_KEY = "flag-document-secret-0123456"
NOTE_KEY = "sk-notekey0123456789abcdef"


def test_report_shows_only_redacted_text_and_the_redaction_report_counts_it_all(demo_profile: Path,
                                                                                 tmp_path: Path) -> None:
    """The report is rendered from the redacted files: a secret in the flag document or in a note
    is masked there by the rules that see its structure, and the redaction report, written last,
    counts every mask the bundle holds."""
    from flagdeck.storage.leveldb_store import LevelDBStore

    doc = json.dumps({"USE_UNIFIED_DB_SERVICE": True, "token": FLAG_TOKEN, "apiKey": FLAG_KEY})
    with LevelDBStore.open_write(demo_profile / "Local Storage" / "leveldb") as store:
        store.put("file://", "featureFlags", doc)
    stale = demo_profile / "logs" / f"demo-error.{NOTE_KEY}.log"  # its name comes back in a note
    stale.write_text("old\n")
    _old(stale, 30)
    result = export(resolve(TargetOptions()), out=tmp_path / "r.zip", since=timedelta(days=1), window=0)
    _, files = unzip(result.path, tmp_path / "x")
    report = files["data/report.html"].decode()
    for secret in (FLAG_TOKEN, FLAG_KEY, NOTE_KEY):
        assert secret not in report, secret
    notes = files["data/notes.txt"].decode()
    assert "log demo-error.«redacted:openai-key».log skipped" in notes
    assert "<li>log demo-error.«redacted:openai-key».log skipped" in report
    assert "«redacted:token»" in report and "«redacted:apiKey»" in report  # the flag document, as stored

    redaction = json.loads(files["data/redaction-report.json"])
    assert redaction["by_path"]["notes.txt"] == {"openai-key": 1}
    assert redaction["by_path"]["flags/status.json"]["field:token"] >= 1
    assert "report.html" not in redaction["by_path"]
    (row,) = history.query(kind="evidence-export")
    assert redaction["total"] == result.redaction.total == row.details["masked"]
    assert files["data/redaction-report.txt"].decode() == result.redaction.text()
    assert_no_secret(result.path, files, (FLAG_KEY, NOTE_KEY, KEY, SECRET))


def test_a_har_file_in_the_data_dir_is_redacted_as_har(demo_profile: Path, tmp_path: Path) -> None:
    """A HAR another tool saved (a browser's "Save all as HAR") gets HAR redaction: credential
    headers masked, cookie lists emptied, their values searched for everywhere."""
    cookie, api_key = "cookie-value-0123456789", "xak-0123456789abcdef"
    data = Path(os.environ["FLAGDECK_DATA_DIR"])
    write_json(data / "perf" / "session.har", {"log": {"version": "1.2", "entries": [{
        "request": {"method": "GET", "url": "https://app.example/api", "headers": [
            {"name": "Cookie", "value": f"sid={cookie}"}, {"name": "X-Api-Key", "value": api_key},
            {"name": "Accept", "value": "application/json"}], "cookies": [{"name": "sid", "value": cookie}]},
        "response": {"status": 200, "headers": [], "cookies": []}}]}})
    (data / "perf" / "notes.txt").write_text(f"the key was {api_key}\n")
    result = export(resolve(TargetOptions()), out=tmp_path / "h.zip", window=0)
    _, files = unzip(result.path, tmp_path / "x")
    request = json.loads(files["data/perf/session.har"])["log"]["entries"][0]["request"]
    assert request["headers"] == [{"name": "Cookie", "value": "«redacted:cookie»"},
                                  {"name": "X-Api-Key", "value": "«redacted:x-api-key»"},
                                  {"name": "Accept", "value": "application/json"}]
    assert request["cookies"] == []
    assert "«redacted:known-secret»" in files["data/perf/notes.txt"].decode()
    assert_no_secret(result.path, files, (cookie, api_key))


def test_rollback_records_newest_of_this_target_only(user_dirs: Path) -> None:
    """The newest :data:`MAX_ROLLBACKS` records of the target, each file read once; other targets'
    records are skipped, however new."""
    from flagdeck.evidence import files

    data = Path(os.environ["FLAGDECK_DATA_DIR"])
    target = SimpleNamespace(name="flagdeck demo target", slug="demo-0123456789", preset=None)
    for n in range(files.MAX_ROLLBACKS + 5):
        slug = target.slug if n % 5 else "chromium-0123456abc"
        write_json(data / "rollbacks" / f"r{n:02d}" / "record.json", {"id": n, "target": {"slug": slug}})
        (data / "rollbacks" / f"r{n:02d}" / "console.log").write_text(f"line {n}\n")
        _old(data / "rollbacks" / f"r{n:02d}" / "record.json", (100 - n) / 1000)
    found = files.rollback_records(target)
    records = [a for a in found if a.rel.endswith("/record.json")]
    assert len(records) == files.MAX_ROLLBACKS and len(found) == 2 * files.MAX_ROLLBACKS
    assert [a.value["id"] for a in records] == [n for n in reversed(range(25)) if n % 5][:files.MAX_ROLLBACKS]
    assert all(a.kind == "json" for a in records) and {a.kind for a in found} == {"json", "text"}


def test_usage_errors(tmp_path: Path) -> None:
    proc = run_flagdeck("evidence", "export", "--window", "-1")
    assert proc.returncode == 2 and "--window" in proc.stderr
    proc = run_flagdeck("evidence", "export", "--out", str(tmp_path))
    assert proc.returncode == 2 and "folder" in proc.stderr
    proc = run_flagdeck("evidence", "export", "--since", "soon")
    assert proc.returncode == 2
    proc = run_flagdeck("evidence", "export")  # the demo target was never started here
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
