"""Every command form the README shows, run as written (placeholders such as ``ID`` or ``N`` filled
with real values) against the demo target and real profiles: a sane exit code, never a traceback.

``readme_forms()`` reads README.md: each line of a shell code block that starts with ``flagdeck``
or ``./flagdeck.sh``, the first column of the CLI's two tables (target options, commands), and every
inline code span that starts with ``flagdeck`` or ``./flagdeck.sh``. The runs below name the form
each one exercises; ``test_every_readme_form_is_run`` fails when the README shows a form no run
exercises (a new form needs a run here) or a run names a form the README no longer shows.

Forms run as the ``flagdeck`` program of this environment (``./flagdeck.sh`` forms through the
script itself), each phase on its own copy of the demo target's profile in flagdeck's default
place (``<data dir>/demo-target``), so a form without target options reaches it as a user's would.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from flagdeck.targets import process
from tests import system_deps
from tests.conftest import REPO
from tests.demo_support import DemoTarget, free_port

README = REPO / "README.md"
FLAG = "USE_UNIFIED_DB_SERVICE"
PROGRAM = Path(sys.executable).with_name("flagdeck")

# --- the forms the README shows -------------------------------------------------------------------

_SPAN = re.compile(r"`([^`]+)`")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def _is_command(text: str) -> bool:
    return text in ("flagdeck", "./flagdeck.sh") or text.startswith(("flagdeck ", "./flagdeck.sh "))


def readme_forms(text: str | None = None) -> set[str]:
    forms: set[str] = set()
    lang: str | None = None  # inside a code block: its language
    cli_table = False
    for line in (README.read_text(encoding="utf-8") if text is None else text).splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            lang = None if lang is not None else stripped[3:].strip()
            continue
        if lang is not None:
            if lang in ("", "sh", "bash", "console"):
                command = re.sub(r"\s+#.*$", "", stripped)
                if _is_command(command):
                    forms.add(command)
            continue
        if stripped.startswith("|"):
            cells = [c.strip() for c in _CELL_SPLIT.split(stripped)[1:-1]]
            if cells and cells[0] in ("option", "command"):
                cli_table = True
            elif cells and cli_table and not set(cells[0]) <= set("-: "):
                forms.update(s.replace("\\|", "|") for s in _SPAN.findall(cells[0]))
        else:
            cli_table = False
        forms.update(s for s in _SPAN.findall(line.replace("\\|", "|")) if _is_command(s))
    return forms


# --- runs ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    form: str  # as the README shows it
    line: str  # what is typed after the program; {placeholders} are filled when it runs
    codes: tuple[int, ...] = (0,)
    stdin: str = "devnull"  # or "closed" (<&-), or "input" (``input`` typed in)
    input: str = ""


SET = "flags set NAME=VALUE ... [--force] [--repair] [--reload] [--note T]"
RESTORE = "restore ID [--scope flags|entries|folder] [--yes]"
ROLLBACK = "rollback [--flag N] [--no-reload] [--restart] [--yes] [--dry-run] [--watch] [--thorough]"
VERIFY = "verify [--full] [--window S] [--no-watch] [--only IDS] [--expect N=V]"
CHECKLIST = "checklist [list|mark ID pass|fail|n/a|open [--note]|reset]"
LAUNCH = "launch [--port N] [--restart]"
COMPARE = "compare [--runs auto|N] [--flag N] [--probe FILE.js] [--baseline save|NAME] [--csv F] [--chart F.png]"
EXPORT = "evidence export [--out F.zip] [--since D] [--window S] [--no-redact]"
HISTORY = "history [--kind K] [--since D] [--markdown]"
NOTIFY_SETUP = "notify setup --url URL [--kind slack|json]"
NOTIFY = "notify test|status|retry|remove"
TRAY = "tray [--hidden]"
DEMO = "demo [--fault SPEC] [--level 1|2|3] [--keep-running]"
LEVEL2 = "rollback --level 2 [--repo DIR] [--to COMMIT] [--dry-run] [--yes] [--note T]"
LEVEL3 = "rollback --level 3 [--repo DIR] [--branch NAME] [--remote NAME] [--dry-run] [--yes]"
RESUME = "rollback --resume ID [--yes]"
TIMED_SET = "flags set NAME=VALUE ... --for DURATION"
TIMED_UNSET = "flags unset NAME ... --for DURATION"
DEMO_TARGET = ("demo-target [--profile-dir D] [--debug-port N] [--fault SPEC] [--seed-messages N] "
               "[--env VITE_NAME=VALUE]")
FLEET_FLAGD = "fleet connect flagd --file PATH"
FLEET_UNLEASH = "fleet connect unleash --url URL [--token-stdin] [--interval S]"
FLEET_SYNC = "fleet sync [--watch] [--no-reload]"
FLEET_RELEASE = "fleet release NAME ...|--all"

# The demo target's profile, closed.
OFFLINE = [
    Run("status", "status"),
    Run("flagdeck [TARGET OPTIONS] [--json] COMMAND ...", "--target demo --json status"),
    Run("./flagdeck.sh --target demo status", "./flagdeck.sh --target demo status"),
    Run("--target NAME", "--target demo status"),
    Run("--user-data-dir DIR", "--user-data-dir {profile} status"),
    Run("--leveldb DIR", "--leveldb {leveldb} status"),
    Run("--storage-key KEY", "--storage-key featureFlags status"),
    Run("--origin ORIGIN", "--origin file:// status"),
    Run("--json", "--json status"),
    Run("flags get [NAME]", "flags get"),
    Run("flags get [NAME]", f"flags get {FLAG}"),
    Run(SET, f"flags set {FLAG}=true --note 'readme: turned on'"),
    Run(TIMED_SET, f"flags set {FLAG}=false --for 1h"),
    Run("timers", "timers"),
    Run("flagdeck timers", "timers"),
    Run("timers cancel ID", "timers cancel {timer}"),
    Run(TIMED_UNSET, f"flags unset {FLAG} --for 1h"),
    Run("flagdeck timers cancel 3fa9c1", "timers cancel {timer}"),
    Run("flagdeck timers wait ID", "timers wait 0a0a0a"),  # no such timer: the process ends at once
    Run("desktop install [--user] [--autostart]", "desktop install --user --autostart"),
    Run("flagdeck desktop install --user --autostart", "desktop install --user --autostart"),
    Run("flagdeck desktop install --user", "desktop install --user"),
    Run("desktop uninstall [--user]", "desktop uninstall --user"),
    Run("flagdeck desktop uninstall --user", "desktop uninstall --user"),
    Run(SET, "flags set EXTRA_NUMBER=1 EXTRA_TEXT='\"x\"' --force"),
    Run(SET, f"flags set {FLAG}=true --repair"),
    Run("flags unset NAME ...", "flags unset EXTRA_NUMBER EXTRA_TEXT"),
    Run("backup [--note T]", "backup"),
    Run("backup [--note T]", "backup --note 'before the restores'"),
    Run("backups [--all]", "backups"),
    Run("backups [--all]", "backups --all"),
    Run("diff ID", "diff latest"),
    Run(RESTORE, "restore latest", codes=(2,), stdin="closed"),  # asks; nobody can answer
    Run(RESTORE, "restore {backup} --yes"),
    Run(RESTORE, "restore latest --scope entries --yes"),
    Run(RESTORE, "restore latest --scope folder --yes"),
    Run("targets", "targets"),
    Run("flagdeck targets", "targets"),
    Run(ROLLBACK, "rollback --dry-run"),
    Run(ROLLBACK, "rollback", codes=(2,)),  # asks; stdin is not a terminal
    Run(ROLLBACK, "rollback --yes"),  # the app is closed: written on disk
    Run(HISTORY, "history"),
    Run(HISTORY, "history --kind rollback --since 1d --markdown"),
    Run("history annotate ID --issue URL --resolution T",
        "history annotate {history_id} --issue https://github.com/org/app/issues/1 --resolution 'readme run'"),
    Run(EXPORT, "evidence export --out {tmp}/offline.zip --since 1h"),
    Run("evidence verify F.zip", "evidence verify {tmp}/offline.zip"),
    Run(CHECKLIST, "checklist"),
    Run(CHECKLIST, "checklist list"),
    Run(CHECKLIST, "checklist mark affected-users n/a --note 'a desktop app: every user'"),
    Run(CHECKLIST, "checklist mark notify-dev-team pass"),
    Run(CHECKLIST, "checklist mark status-page fail"),
    Run(CHECKLIST, "checklist mark user-communication open"),
    Run(CHECKLIST, "checklist reset"),
    Run(LAUNCH, "launch"),  # starts it: the live runs come next
]

# The demo target running on that profile with a debug port (found through DevToolsActivePort).
LIVE = [
    Run("status", "status"),
    Run("--debug-port N", "--debug-port {port} status"),
    Run(SET, f"flags set {FLAG}=true --reload"),
    Run(SET, f"flags set {FLAG}=false --reload"),  # so the timed write below changes it
    Run("flagdeck --target demo flags set USE_UNIFIED_DB_SERVICE=true --for 30m --reload",
        f"--target demo flags set {FLAG}=true --for 30m --reload"),
    Run("timers cancel ID", "timers cancel {timer}"),
    Run(VERIFY, f"verify --no-watch --only flag,data-loss --expect {FLAG}=true"),
    Run(VERIFY, "verify --window 1", codes=(0, 1)),  # a busy machine may fail the CPU/memory watch
    Run(VERIFY, "verify --full --no-watch --only flag,error-rate"),
    # --quick: the measured board is tests/test_triggers_perf.py's (a comparison here would cost a minute)
    Run("triggers [--quick]", "triggers --quick", codes=(0, 1)),
    Run(COMPARE, f"compare --runs 2 --flag {FLAG} --baseline save --csv {{tmp}}/runs.csv --chart {{tmp}}/runs.png",
        codes=(0, 1)),  # 1: a tier of major or worse (two runs give wide intervals)
    Run(COMPARE, "compare --runs 2 --probe {tmp}/probe.js --baseline {baseline}", codes=(0, 1)),
    Run(EXPORT, "evidence export --out {tmp}/live.zip --window 1 --no-redact"),
    Run("evidence verify F.zip", "evidence verify {tmp}/live.zip"),
    # 1 when the write is still in the app's memory only (nothing made Chromium commit it: no reload)
    Run(ROLLBACK, "rollback --yes --no-reload", codes=(0, 1)),
    Run(SET, f"flags set {FLAG}=true --reload"),
    Run(ROLLBACK, f"rollback --flag {FLAG} --yes --watch --thorough", codes=(0, 1)),
    Run(SET, f"flags set {FLAG}=true --reload"),
    Run(ROLLBACK, "rollback --restart --yes"),
    Run(LAUNCH, "launch --restart --port {free_port}"),
]

NOTIFY_RUNS = [
    Run(NOTIFY_SETUP, "notify setup --url {hook} --kind json"),
    Run(NOTIFY, "notify test"),
    Run(NOTIFY, "notify status"),
    Run(NOTIFY, "notify retry"),
    Run(NOTIFY, "notify remove"),
    Run(NOTIFY_SETUP, "notify setup --url {hook}"),  # slack, the default kind
    Run(NOTIFY, "notify remove"),
]

# With a display: the tray (ended with SIGTERM, as a session ends it).
DESKTOP = [
    Run("flagdeck", ""),
    Run(TRAY, "tray --hidden"),
    Run("flagdeck tray [--hidden] [--page NAME]", "tray --hidden --page flags"),
]

# The main job, headless (no display): it exits 0 once the rollback is verified.
DEMO_RUNS = [
    Run("./flagdeck.sh demo", "./flagdeck.sh demo"),
    Run(DEMO, "demo --fault slow=1.8 --keep-running"),
]

# Level 2 and 3 on the demo's own git repository (what `demo --level 2` made), headless. {repo} is
# that repository, {good} its first commit, {level_id} the Level-2 run the demo finished.
LEVEL_RUNS = [
    Run("./flagdeck.sh demo --level 2", "./flagdeck.sh demo --level 2"),
    Run("flagdeck rollback --level 2 --dry-run", "rollback --level 2 --dry-run"),
    Run(LEVEL2, "rollback --level 2 --repo {repo} --to {good} --dry-run --note 'readme: planned only'"),
    Run("flagdeck rollback --level 2", "rollback --level 2", codes=(2,)),  # asks; stdin is not a terminal
    Run("flagdeck rollback --level 3 --dry-run", "rollback --level 3 --dry-run"),
    Run(LEVEL3, "rollback --level 3 --repo {repo} --branch feature/unified-db-service --remote origin --dry-run"),
    Run("flagdeck rollback --resume ID", "rollback --resume {level_id}", codes=(2,)),  # it ended: nothing to resume
    Run(RESUME, "rollback --resume {level_id} --yes", codes=(2,)),
    Run("./flagdeck.sh demo --level 3", "./flagdeck.sh demo --level 3"),
]

TARGET_RUNS = [
    Run(DEMO_TARGET, "demo-target --profile-dir {tmp}/own --debug-port {free_port} --fault data-loss "
                     "--seed-messages 300 --env VITE_USE_UNIFIED_DB_SERVICE=true"),
]

# README's Fleet walk-through, in its order, against the session's Unleash (its URL for the README's
# 127.0.0.1:4242) and the demo target it starts first; then the CLI table's fleet forms.
FLEET_WALK_TARGET = Run("./flagdeck.sh demo-target --debug-port 9222", "./flagdeck.sh demo-target --debug-port {port}")
FLEET_WALK = [
    Run("./flagdeck.sh fleet connect unleash --url http://127.0.0.1:4242 --token-stdin",
        "./flagdeck.sh fleet connect unleash --url {unleash} --token-stdin", stdin="input", input="{token}\n"),
    Run("./flagdeck.sh fleet sync", "./flagdeck.sh fleet sync"),
    # here Unleash turns the flag on
    Run("./flagdeck.sh fleet sync", "./flagdeck.sh fleet sync"),
    Run("./flagdeck.sh fleet status", "./flagdeck.sh fleet status"),
]
FLEET_RUNS = [
    Run(FLEET_UNLEASH, "fleet connect unleash --url {unleash_api} --token-stdin --interval 5", stdin="input",
        input="{token}\n"),
    Run("fleet status", "fleet status"),
    Run(FLEET_SYNC, "fleet sync --no-reload"),
    Run(FLEET_FLAGD, "fleet connect flagd --file {flags}"),
    Run(FLEET_SYNC, "fleet sync"),
    Run(FLEET_RELEASE, "fleet release --all"),  # nothing pinned: said so, exit 0
    Run(FLEET_RELEASE, f"fleet release {FLAG}", codes=(2,)),  # not pinned
    Run("fleet disconnect", "fleet disconnect"),
    Run(FLEET_SYNC, "fleet sync --watch"),  # started and ended (SIGTERM) by test_fleet_forms, after a connect
]

# `./flagdeck.sh test` without arguments is this very suite (CI runs it so: .ci/run); here the
# script runs one small test file, which exercises everything the form does but pytest's selection.
ENTRY_RUNS = [
    Run("./flagdeck.sh test", "./flagdeck.sh test tests/test_codec.py -q"),
]

# The bundle: tests/test_bundle.py's session fixture runs exactly this (built once per session).
PACKAGE_RUNS = [
    Run("./flagdeck.sh package", "./flagdeck.sh package"),
]

ALL_RUNS = [*OFFLINE, *LIVE, *NOTIFY_RUNS, *DESKTOP, *DEMO_RUNS, *TARGET_RUNS, *ENTRY_RUNS, FLEET_WALK_TARGET,
            *FLEET_WALK, *FLEET_RUNS, *PACKAGE_RUNS]


def test_every_readme_form_is_run() -> None:
    shown, run = readme_forms(), {r.form for r in [*ALL_RUNS, *LEVEL_RUNS]}
    assert not shown - run, f"README forms no run here exercises (add one): {sorted(shown - run)}"
    assert not run - shown, f"runs of forms the README no longer shows: {sorted(run - shown)}"


def test_the_reader_finds_forms_in_every_place_they_appear() -> None:
    text = ("```sh\n./flagdeck.sh new-thing   # a comment\nls -l\n```\n"
            "| command | what it does |\n|---|---|\n| `frob [--x]`, `frob y\\|z` | frobs `flagdeck frob` |\n\n"
            "Run `flagdeck quux --all` or `flagdeck.sh`; `--fault x` is no command.\n"
            "```toml\nflagdeck = 1\n```\n")
    assert readme_forms(text) == {"./flagdeck.sh new-thing", "frob [--x]", "frob y|z", "flagdeck frob",
                                  "flagdeck quux --all"}


# --- running them -----------------------------------------------------------------------------------


def argv_of(line: str, values: dict[str, Any]) -> list[str]:
    words = shlex.split(line.format(**{k: shlex.quote(str(v)) for k, v in values.items()}))
    if words[:1] == ["./flagdeck.sh"]:
        return [str(REPO / "flagdeck.sh"), *words[1:]]
    program = [str(PROGRAM)] if PROGRAM.exists() else [sys.executable, "-m", "flagdeck"]
    return [*program, *words]


def headless_env(**extra: str) -> dict[str, str]:
    """The test's environment with no display (so `flagdeck demo` runs straight through), and this
    interpreter's environment for ./flagdeck.sh."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["FLAGDECK_VENV"] = sys.prefix
    env.update(extra)
    return env


def run(r: Run, values: dict[str, Any], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    argv = argv_of(r.line, values)
    if r.stdin == "closed":
        argv = ["/bin/sh", "-c", 'exec "$@" <&-', "sh", *argv]
    typed = r.input.format(**values) if r.stdin == "input" else None
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL if r.stdin == "devnull" else None, capture_output=True,
                          input=typed, text=True, timeout=600, cwd=REPO, env=env or headless_env())
    said = f"{r.line!r} (README: {r.form!r}): exit {proc.returncode}\nstdout:\n{proc.stdout[-3000:]}\n" \
           f"stderr:\n{proc.stderr[-3000:]}"
    assert proc.returncode in r.codes, said
    assert "Traceback" not in proc.stdout + proc.stderr, said
    return proc


@pytest.fixture
def demo_profile(demo_template: Path, user_dirs: Path) -> Iterator[Path]:
    """A copy of the seeded demo profile where flagdeck looks by default; whatever holds it is
    stopped afterwards (launch and rollback --restart start the app outside the test)."""
    profile = user_dirs / "data" / "demo-target"
    shutil.copytree(demo_template, profile, ignore=shutil.ignore_patterns("LOCK", "DevToolsActivePort"))
    yield profile
    stop_holder(profile)


def stop_holder(profile: Path) -> None:
    for _ in range(3):
        holder = process.lock_holder(profile / "Local Storage" / "leveldb" / "LOCK")
        if holder is None:
            return
        try:
            os.killpg(holder.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            os.kill(holder.pid, signal.SIGKILL)
        time.sleep(0.5)


def cli_json(*args: str) -> Any:
    proc = subprocess.run([sys.executable, "-m", "flagdeck", "--json", *args], capture_output=True, text=True,
                          timeout=120, cwd=REPO, env=headless_env())
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_offline_forms(demo_profile: Path, tmp_path: Path) -> None:
    values: dict[str, Any] = {"profile": demo_profile, "leveldb": demo_profile / "Local Storage" / "leveldb",
                              "tmp": tmp_path}
    for r in OFFLINE:
        if "{backup}" in r.line:
            values["backup"] = cli_json("backups")[-1]["id"]  # the oldest of them
        if "{history_id}" in r.line:
            values["history_id"] = cli_json("history")[0]["id"]
        if "{timer}" in r.line:
            values["timer"] = cli_json("timers")[0]["id"]
        run(r, values)
    assert cli_json("status")["mode"] == "live"  # what `launch` left running


def test_live_forms(demo_profile: Path, tmp_path: Path) -> None:
    target = DemoTarget.start(demo_profile, "--env", f"VITE_{FLAG}=true", home=tmp_path / "home")
    try:
        target.wait_ready()
        (tmp_path / "probe.js").write_text("const t0 = performance.now();\n"
                                           "await new Promise(done => setTimeout(done, 5));\n"
                                           "return {wait: performance.now() - t0};\n")
        values: dict[str, Any] = {"tmp": tmp_path, "port": target.port}
        for r in LIVE:
            values["free_port"] = free_port()
            if "{baseline}" in r.line:
                saved = sorted((Path(os.environ["FLAGDECK_DATA_DIR"]) / "perf" / "baselines").glob("*.json"))
                values["baseline"] = saved[-1].stem
            if "{timer}" in r.line:
                values["timer"] = cli_json("timers")[0]["id"]
            run(r, values)
    finally:
        target.kill()


def test_notify_forms(user_dirs: Path, demo_profile: Path) -> None:
    from tests.test_notify import Hook

    hook = Hook()
    env = headless_env(PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring")
    try:
        for r in NOTIFY_RUNS:
            run(r, {"hook": hook.url}, env)
        assert hook.bodies, "notify test sent nothing"
    finally:
        hook.close()


def test_desktop_forms(demo_profile: Path, tmp_path: Path) -> None:
    from tests.ui.xserver import XSession, missing_tools

    lacking = missing_tools()
    if lacking:
        system_deps.require(f"the tray forms need {', '.join(lacking)} (packaging/system-deps.sh ensure)")
    x = XSession.start(tray=True)
    try:
        for r in DESKTOP:
            argv = argv_of(r.line, {})
            err = tmp_path / f"tray-{len(argv)}.err"
            with open(err, "wb") as out:
                proc = subprocess.Popen(argv, env=x.env(), cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                        start_new_session=True)
            try:
                deadline = time.monotonic() + 60
                while not x.tray_icons():
                    assert proc.poll() is None, f"{r.line!r} ended with {proc.returncode}: {err.read_text()}"
                    assert time.monotonic() < deadline, f"{r.line!r}: no tray icon\n{err.read_text()}"
                    time.sleep(0.1)
                os.killpg(proc.pid, signal.SIGTERM)
                code = proc.wait(30)
            finally:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(10)
            text = err.read_text(errors="replace")
            assert code == 0 and "Traceback" not in text, f"{r.line!r}: exit {code}\n{text}"
            while x.tray_icons():  # gone before the next one starts (one instance per user)
                time.sleep(0.1)
    finally:
        x.stop()


def test_demo_forms(user_dirs: Path) -> None:
    profile = user_dirs / "data" / "demo-target"
    try:
        for r in DEMO_RUNS:
            proc = run(r, {})
            assert "rollback VERIFIED" in proc.stdout, proc.stdout[-2000:]
        assert process.lock_holder(profile / "Local Storage" / "leveldb" / "LOCK") is not None  # --keep-running
    finally:
        stop_holder(profile)


def level_forms(user_dirs: Path) -> None:
    """The Level 2/3 forms, in README order (tests/test_readme_levels.py: a file of its own, so the
    whole suite runs it beside the demo forms)."""
    profile = user_dirs / "data" / "demo-target"
    try:
        repo = user_dirs / "data" / "demo-repo" / "demo-studio"
        values: dict[str, Any] = {"repo": repo}
        for r in LEVEL_RUNS:
            if repo.is_dir() and "{good}" in r.line:
                values["good"] = subprocess.run(["git", "rev-list", "--max-parents=0", "HEAD"], cwd=repo,
                                                capture_output=True, text=True, check=True).stdout.strip()
            if "{level_id}" in r.line:
                values["level_id"] = cli_json("history", "--kind", "rollback")[0]["details"]["rollback_id"]
            proc = run(r, values)
            if r.line.startswith("./flagdeck.sh demo --level"):
                assert "rollback VERIFIED" in proc.stdout, proc.stdout[-2000:]
    finally:
        stop_holder(profile)


def test_demo_target_form(tmp_path: Path) -> None:
    for r in TARGET_RUNS:
        port = free_port()
        argv = argv_of(r.line, {"tmp": tmp_path, "free_port": port})
        target = DemoTarget.launch(argv, tmp_path / "own", port, home=tmp_path / "home")
        try:
            target.wait_ready()
            assert target.state()["faults"] == ["data-loss"]
            assert target.stop() == 0 and "Traceback" not in target.output(), target.output()[-3000:]
        finally:
            target.kill()


def test_entry_forms() -> None:
    for r in ENTRY_RUNS:
        proc = run(r, {})
        assert " passed" in proc.stdout, proc.stdout[-2000:]


def test_fleet_forms(user_dirs: Path, unleash: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """README's Fleet walk-through from a fresh demo target to a flag flipped in Unleash reaching it
    (live), then every fleet form of the CLI table."""
    from tests.fleet_support import definitions

    monkeypatch.setenv("FLAGDECK_VENV", sys.prefix)
    env = headless_env(PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring")
    if not unleash.has_flag(FLAG):
        unleash.create_flag(FLAG)
    unleash.switch(FLAG, False)
    port = free_port()
    profile = user_dirs / "data" / "demo-target"
    target = DemoTarget.launch(argv_of(FLEET_WALK_TARGET.line, {"port": port}), profile, port,
                               home=tmp_path / "home")
    values: dict[str, Any] = {"unleash": unleash.url, "unleash_api": unleash.api, "token": unleash.client_token,
                              "flags": definitions(tmp_path / "flags.flagd.json", default="on")}
    try:
        target.wait_ready()
        connect, in_sync, flipped, status = FLEET_WALK
        run(connect, values, env)
        assert "nothing to do" in run(in_sync, values, env).stdout
        unleash.switch(FLAG, True)
        assert f"{FLAG}: applied (apply)" in run(flipped, values, env).stdout
        assert "in-sync" in run(status, values, env).stdout
        assert cli_json("status")["page_flags"][FLAG] is True
        assert cli_json("fleet", "disconnect")["disconnected"]["kind"] == "unleash"

        for r in FLEET_RUNS[:-1]:
            run(r, values, env)
        run(FLEET_RUNS[3], values, env)  # connected again for --watch
        watch = subprocess.Popen(argv_of(FLEET_RUNS[-1].line, values), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 stdin=subprocess.DEVNULL, text=True, cwd=REPO, env=env)
        try:
            assert watch.stdout is not None and "fleet: connected" in watch.stdout.readline()
            watch.send_signal(signal.SIGTERM)
            assert watch.wait(30) == 0
            assert "Traceback" not in (watch.stderr.read() if watch.stderr else "")
        finally:
            if watch.poll() is None:
                watch.kill()
                watch.wait(10)
    finally:
        target.kill()
        stop_holder(profile)
