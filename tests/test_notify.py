"""Team alerts against a real local HTTP server (threaded ``http.server`` on 127.0.0.1) and a real
file keyring (``keyrings.alt``'s PlaintextKeyring in the test's data dir): setup, payloads, retry,
outbox when the server is down and delivery on the next run, a slow server, exit behaviour,
https-only, no usable keyring, and no secret in config, stderr or history."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import keyring
import pytest

from flagdeck import notify
from flagdeck.errors import CheckFailed, UsageError
from flagdeck.notify import config, outbox
from tests.conftest import REPO, needs_chromium
from tests.test_evidence_support import flagdeck_json, run_flagdeck

SECRET_PATH = "/services/T0FLAG/B0DECK/s3cr3t-webhook-token"
SUMMARY = notify.RollbackSummary(
    target="Cherry Studio", target_slug="cherry-studio-0123", flag="USE_UNIFIED_DB_SERVICE: true → false",
    outcome="ok", message="messages load again", user="alice", version="CherryStudio 1.9.3",
    steps=(notify.Step("capture evidence", 2.4), notify.Step("set flag", 0.05), notify.Step("reload", 1.2),
           notify.Step("verify", 3.1)),
    bundle="flagdeck-evidence-cherry-studio-0123-20250910T120000Z.zip")


class Hook:
    """A webhook receiver: answers from ``plan`` (status codes, then 200), after ``delay`` seconds."""

    def __init__(self, port: int = 0) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.plan: list[int] = []
        self.delay = 0.0
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                time.sleep(hook.delay)
                status = hook.plan.pop(0) if hook.plan else 200
                if status == 200:
                    hook.bodies.append(body)
                hook.paths.append(self.path)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}{SECRET_PATH}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def keyring_of_the_test(file_keyring: Path) -> Path:
    """Every test here keeps its webhook URLs in a real keyring of its own (tests/conftest.py)."""
    return file_keyring


@pytest.fixture
def hook() -> Iterator[Hook]:
    server = Hook()
    try:
        yield server
    finally:
        server.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- setup -----------------------------------------------------------------------------------------


def test_setup_keeps_the_url_in_the_keyring_only(hook: Hook, file_keyring: Path) -> None:
    doc = flagdeck_json("notify", "setup", "--url", hook.url, "--name", "team")
    assert doc["url"] == f"http://127.0.0.1:{hook.port}/services/…" and doc["kind"] == "slack"
    cfg = config.config_path()
    assert "s3cr3t" not in cfg.read_text() and "T0FLAG" not in cfg.read_text()
    assert json.loads(cfg.read_text())["webhooks"][0]["keyring"] == {"service": "flagdeck", "user": "webhook:team"}
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o600
    assert "webhook_3ateam" in file_keyring.read_text()  # the keyring file has it (base64-encoded)
    assert keyring.get_password("flagdeck", "webhook:team") == hook.url
    status = flagdeck_json("notify", "status")
    assert [w["name"] for w in status["webhooks"]] == ["team"] and "PlaintextKeyring" in status["keyring"]
    assert "s3cr3t" not in json.dumps(status)


def test_setup_reads_the_url_from_stdin(hook: Hook) -> None:
    proc = run_flagdeck("notify", "setup", "--url", "-", "--kind", "json", input=hook.url + "\n")
    assert proc.returncode == 0, proc.stderr
    assert "s3cr3t" not in proc.stdout + proc.stderr
    assert config.find(None).kind == "json"


@pytest.mark.parametrize("url", ["http://hooks.example.com/x", "ftp://127.0.0.1/x", "https://u:p@hooks.example.com/",
                                 "not a url"])
def test_https_only_except_loopback(url: str) -> None:
    with pytest.raises(UsageError):
        notify.setup(url)
    proc = run_flagdeck("notify", "setup", "--url", url)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    for ok in ("https://hooks.slack.com/services/T/B/x", "http://127.0.0.1:9/x", "http://[::1]:9/x",
               "http://localhost:9/x"):
        assert config.check_url(ok) == ok


def test_display_url_hides_the_secret_part() -> None:
    assert config.display_url("https://hooks.slack.com/services/T0/B0/xyz") == "https://hooks.slack.com/services/…"
    assert config.display_url("https://relay.example/hook?key=abc") == "https://relay.example/…"
    assert config.display_url("https://relay.example") == "https://relay.example/"


TOPIC = "flagdeck-alerts-7f3a9c2e51"
UUID = "0b8f5c1e-4d2a-4c8e-9f6b-3a1d2e7c9b40"


@pytest.mark.parametrize(("url", "shown"), [
    (f"https://ntfy.sh/{TOPIC}", "https://ntfy.sh/…"),
    (f"https://webhook.site/{UUID}", "https://webhook.site/…"),
    (f"https://webhook.site/{UUID}/", "https://webhook.site/…"),
    (f"https://relay.example/hooks/{UUID}", "https://relay.example/hooks/…"),
])
def test_a_lone_path_segment_is_never_shown(url: str, shown: str) -> None:
    """The only segment of a URL is often the credential itself (an ntfy topic, a webhook.site id)."""
    assert config.display_url(url) == shown


def test_no_lone_segment_in_the_config_status_or_delivery_errors() -> None:
    port = free_port()  # nothing listens here
    notify.setup(f"http://127.0.0.1:{port}/{UUID}", name="relay")
    assert UUID not in config.config_path().read_text()
    assert UUID not in json.dumps(notify.status().to_json())
    delivery = notify.rollback_done(SUMMARY)
    assert delivery is not None
    (result,) = delivery.wait(30)
    assert not result.delivered and f"127.0.0.1:{port}/… unreachable" in (result.error or "")
    assert UUID not in (result.error or "") and UUID not in json.dumps([m.to_json() for m in outbox.pending()])


def test_a_config_written_before_keeps_no_lone_segment() -> None:
    """notify.json of version 1 showed the lone segment: it is hidden, and gone from the file."""
    path = config.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    hooks = [{"name": "ntfy", "kind": "json", "url": f"https://ntfy.sh/{TOPIC}/…", "created": "",
              "keyring": {"service": "flagdeck", "user": "webhook:ntfy"}},
             {"name": "relay", "kind": "json", "url": "https://relay.example/", "created": "",
              "keyring": {"service": "flagdeck", "user": "webhook:relay"}}]
    path.write_text(json.dumps({"version": 1, "webhooks": hooks}))
    assert [h.display_url for h in config.load()] == ["https://ntfy.sh/…", "https://relay.example/"]
    assert TOPIC not in path.read_text() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [h.display_url for h in config.load()] == ["https://ntfy.sh/…", "https://relay.example/"]


@pytest.mark.parametrize("backend", ["keyring.backends.fail.Keyring", None])
def test_without_a_usable_keyring_setup_fails_with_a_hint(backend: str | None, hook: Hook) -> None:
    env = dict(os.environ)
    env.pop("PYTHON_KEYRING_BACKEND", None)
    if backend:
        env["PYTHON_KEYRING_BACKEND"] = backend
    # None: only keyrings.alt's plaintext file is installed; flagdeck does not pick it by itself.
    proc = subprocess.run([sys.executable, "-c", "import sys; from tests.test_evidence_support import run_flagdeck"
                           " as r; p = r('notify', 'setup', '--url', sys.argv[1]); print(p.returncode);"
                           " print(p.stderr, end='')", hook.url], capture_output=True, text=True, env=env, cwd=REPO,
                          timeout=60)
    code, *err = proc.stdout.splitlines()
    assert code == "2", proc.stdout + proc.stderr
    assert len(err) == 1 and "keyring" in err[0] and "PYTHON_KEYRING_BACKEND" in err[0]
    assert not config.config_path().exists()


# --- delivery --------------------------------------------------------------------------------------


def test_rollback_alert_slack_payload(hook: Hook) -> None:
    notify.setup(hook.url, name="team")
    start = time.monotonic()
    delivery = notify.rollback_done(SUMMARY)
    assert delivery is not None and time.monotonic() - start < 0.5
    (result,) = delivery.wait(10)
    assert result.delivered and result.attempts == 1
    (body,) = hook.bodies
    assert hook.paths == [SECRET_PATH]
    assert set(body) == {"text", "blocks"}
    assert "Rollback done on Cherry Studio: USE_UNIFIED_DB_SERVICE: true → false in 6.8 s" in body["text"]
    text = json.dumps(body, ensure_ascii=False)
    for part in ("reload  1.20 s", "verify  3.10 s", "Level 1: Feature Flag Toggle", "CherryStudio 1.9.3",
                 "flagdeck-evidence-cherry-studio-0123-20250910T120000Z.zip", "messages load again", "alice"):
        assert part in text, part
    assert outbox.pending() == []


def test_generic_json_payload(hook: Hook) -> None:
    notify.setup(hook.url, kind="json")
    failed = notify.RollbackSummary("Demo", "FLAG: true → false", "failed", message="reload timed out",
                                    steps=(notify.Step("reload", 30.0, ok=False),))
    delivery = notify.rollback_done(failed.to_json())  # a dict works too
    assert delivery is not None and delivery.wait(10)[0].delivered
    (body,) = hook.bodies
    assert body["event"] == "rollback" and body["outcome"] == "failed" and body["target"] == "Demo"
    assert body["steps"] == [{"name": "reload", "seconds": 30.0, "ok": False}]
    assert body["headline"].startswith("Rollback FAILED on Demo")


def test_a_500_is_retried(hook: Hook) -> None:
    notify.setup(hook.url)
    hook.plan = [500, 503]
    delivery = notify.rollback_done(SUMMARY)
    assert delivery is not None
    (result,) = delivery.wait(15)
    assert result.delivered and result.attempts == 3
    assert len(hook.paths) == 3 and len(hook.bodies) == 1
    assert outbox.pending() == []


def test_a_404_is_not_retried_but_kept(hook: Hook) -> None:
    notify.setup(hook.url)
    hook.plan = [404]
    delivery = notify.rollback_done(SUMMARY)
    assert delivery is not None
    (result,) = delivery.wait(15)
    assert not result.delivered and result.attempts == 1 and "HTTP 404" in (result.error or "")
    (msg,) = outbox.pending()
    assert msg.state == "failed"


def test_what_no_retry_can_fix_is_left_to_notify_retry(hook: Hook) -> None:
    """A revoked webhook (404/410) or a URL gone from the keyring stays in the outbox, but the
    next runs do not post it again and again; ``notify retry`` does, when asked."""
    notify.setup(hook.url, name="team")
    hook.plan = [410]
    delivery = notify.rollback_done(SUMMARY)
    assert delivery is not None and not delivery.wait(15)[0].delivered
    (msg,) = outbox.pending()
    assert msg.state == "failed"
    assert notify.resume_pending() is None  # what every flagdeck run does at start
    assert len(hook.paths) == 1 and msg.retryable is False
    assert [r.delivered for r in notify.retry_now()] == [True]
    assert len(hook.paths) == 2 and outbox.pending() == []

    keyring.delete_password("flagdeck", "webhook:team")
    delivery = notify.rollback_done(SUMMARY)
    assert delivery is not None
    (result,) = delivery.wait(15)
    assert not result.delivered and "keyring has no URL" in (result.error or "")
    (msg,) = outbox.pending()
    assert msg.retryable is False and notify.resume_pending() is None


def test_finished_deliveries_are_not_kept() -> None:
    """The tray lives for days: every delivery it ever made must not stay referenced."""
    for _ in range(20):
        notify.Delivery(lambda: [], wait_at_exit=True).wait(5)
    failed = notify.Delivery(lambda: [outbox.DeliveryResult("m", "team", False, 4, "unreachable")],
                             wait_at_exit=True)
    failed.wait(5)
    last = notify.Delivery(lambda: [], wait_at_exit=False)
    last.wait(5)
    with notify._lock:
        kept = list(notify._running)
    assert kept == [failed, last]  # the failed one stays: the exit message names it


def test_server_down_then_delivered_on_the_next_run() -> None:
    port = free_port()  # nothing listens here
    notify.setup(f"http://127.0.0.1:{port}{SECRET_PATH}")
    delivery = notify.rollback_done(SUMMARY)
    assert delivery is not None
    (result,) = delivery.wait(30)
    assert not result.delivered and result.attempts == 4 and "unreachable" in (result.error or "")
    assert "s3cr3t" not in (result.error or "")
    (msg,) = outbox.pending()
    assert msg.state == "failed" and msg.attempts == 4 and msg.headline.startswith("Rollback done")
    assert stat.S_IMODE(msg.path.stat().st_mode) == 0o600

    status = run_flagdeck("notify", "status")
    assert status.returncode == 0 and "0 pending, 1 failed" in status.stdout and "s3cr3t" not in status.stdout

    server = Hook(port)  # the network is back
    try:
        nxt = notify.resume_pending()  # what the next flagdeck run does at start
        assert nxt is not None and not nxt.wait_at_exit
        (again,) = nxt.wait(10)
        assert again.delivered and again.attempts == 5
        assert len(server.bodies) == 1 and outbox.pending() == []
    finally:
        server.close()


def test_retry_command_sends_what_waits(hook: Hook) -> None:
    notify.setup(hook.url)
    outbox.enqueue("default", "rollback", "Rollback done on X", {"text": "queued earlier"})
    doc = flagdeck_json("notify", "retry")
    assert [r["delivered"] for r in doc] == [True]
    assert hook.bodies == [{"text": "queued earlier"}]


def test_a_slow_server_does_not_block_the_caller(hook: Hook) -> None:
    notify.setup(hook.url)
    hook.delay = 2.0
    start = time.monotonic()
    delivery = notify.rollback_done(SUMMARY)
    returned = time.monotonic() - start
    assert delivery is not None and returned < 0.3, returned
    assert not delivery.done
    (result,) = delivery.wait(15)
    assert result.delivered and len(hook.bodies) == 1


_ROLLBACK_AND_EXIT = """
import time, sys
from flagdeck import notify
start = time.monotonic()
notify.rollback_done(notify.RollbackSummary("Demo", "FLAG: true → false", "ok"))
print(f"returned {time.monotonic() - start:.3f}", flush=True)
"""


def test_at_exit_the_process_waits_a_bounded_time(hook: Hook) -> None:
    notify.setup(hook.url)
    env = {**os.environ, "FLAGDECK_NOTIFY_EXIT_WAIT": "5"}
    hook.delay = 1.0  # slower than the rollback, faster than the exit wait: delivered before exit
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", _ROLLBACK_AND_EXIT], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert float(proc.stdout.split()[1]) < 0.5 and proc.stderr == ""
    assert len(hook.bodies) == 1 and outbox.pending() == []
    assert time.monotonic() - start < 5

    hook.delay = 4.0  # slower than the exit wait: the process leaves, the alert stays queued
    env["FLAGDECK_NOTIFY_EXIT_WAIT"] = "1"
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", _ROLLBACK_AND_EXIT], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=60)
    assert time.monotonic() - start < 3.5
    assert "still being sent" in proc.stderr and "s3cr3t" not in proc.stderr
    assert len(outbox.pending()) == 1


def test_resume_pending_is_one_stat_when_nothing_ever_waited() -> None:
    from flagdeck import paths

    assert notify.resume_pending() is None
    assert not (paths.data_dir() / "notify").exists()  # nothing created on disk for it


def test_without_a_webhook_nothing_is_queued() -> None:
    assert notify.rollback_done(SUMMARY) is None
    assert outbox.pending() == []
    assert notify.resume_pending() is None


# --- test, remove, secrets ----------------------------------------------------------------------------


def test_notify_test_command(hook: Hook) -> None:
    notify.setup(hook.url, kind="json")
    doc = flagdeck_json("notify", "test")
    assert doc["delivered"] is True and hook.bodies[0]["event"] == "test"
    hook.plan = [500]
    proc = run_flagdeck("notify", "test")
    assert proc.returncode == 1 and "HTTP 500" in proc.stderr and "s3cr3t" not in proc.stderr
    with pytest.raises(CheckFailed):
        hook.plan = [502]
        notify.send_test()


def test_remove_forgets_config_keyring_and_waiting_alerts(hook: Hook, file_keyring: Path) -> None:
    notify.setup(hook.url, name="team")
    outbox.enqueue("team", "rollback", "x", {"text": "x"})
    doc = flagdeck_json("notify", "remove", "--name", "team")
    assert doc == {"removed": "team", "dropped_alerts": 1}
    assert config.load() == [] and keyring.get_password("flagdeck", "webhook:team") is None
    assert "webhook_3ateam" not in file_keyring.read_text()
    proc = run_flagdeck("notify", "test")
    assert proc.returncode == 2 and "notify setup" in proc.stderr


def test_alert_text_is_redacted_and_no_secret_reaches_history(hook: Hook) -> None:
    from flagdeck import history

    notify.setup(hook.url, kind="json")
    leaky = notify.RollbackSummary("Demo", "FLAG", "failed",
                                   message="reload failed: Authorization: Bearer abcdefghijklmnop0123")
    delivery = notify.rollback_done(leaky)
    assert delivery is not None and delivery.wait(10)[0].delivered
    assert "abcdefghijklmnop0123" not in json.dumps(hook.bodies)
    assert history.query() == []  # alerts write no history rows of their own


@needs_chromium
def test_a_real_rollback_is_recorded_and_alerted(hook: Hook, tmp_path: Path) -> None:
    """A real Level-1 rollback of a Chromium page records itself in the history and alerts the
    team (the run calls ``history.record_rollback`` and ``notify.rollback_done``), then the bundle."""
    from flagdeck import history, rollback
    from flagdeck.evidence.export import export
    from flagdeck.rollback import run as rollback_run
    from flagdeck.targets.resolve import TargetOptions, resolve
    from tests.engines.chromium import page_app
    from tests.test_rollback import ON, SEED_PAGE

    notify.setup(hook.url, name="team")
    browser = page_app(tmp_path, SEED_PAGE)
    try:
        with browser.session() as s:
            s.evaluate(f"localStorage.setItem('featureFlags', {json.dumps(ON)})")
        target = resolve(TargetOptions(user_data_dir=tmp_path / "ud", debug_port=browser.port))
        result = rollback_run.run(rollback.plan.prepare(target))
        bundle = export(target, out=tmp_path / "after.zip", window=0)
    finally:
        browser.close()
    assert result.outcome == "verified"
    assert "team alert queued (flagdeck notify status)" in result.notes
    (row,) = history.query(kind="rollback")
    assert row.outcome == "ok" and row.after == '{"USE_UNIFIED_DB_SERVICE":false}'
    assert row.version and row.version.startswith("Chrome/") and row.details["rollback_id"] == result.id
    assert Path(row.artifacts[0]) == Path(result.record_path).parent
    table = history.markdown_table(history.query())
    assert f"| {row.version} | - | Level 1: Feature Flag Toggle | - |" in table

    deadline = time.monotonic() + 10
    while not hook.bodies and time.monotonic() < deadline:  # posted in the background
        time.sleep(0.05)
    text = hook.bodies[0]["text"]
    assert "Rollback done on" in text and "USE_UNIFIED_DB_SERVICE: true → false" in text
    assert "```" in json.dumps(hook.bodies[0]["blocks"])  # the step timings

    import zipfile

    with zipfile.ZipFile(bundle.path) as zf:
        names = zf.namelist()
    assert any(f"/data/rollbacks/{result.id}/record.json" in n for n in names)
    assert any("/data/verify/" in n for n in names)
