"""The demo's git repository, made afresh in flagdeck's data dir for ``flagdeck demo --level 2|3``.

``<data>/demo-repo/``:

- ``demo-studio/``: the work tree. ``main`` holds Demo Studio 1.0.0 (the shipped web app of
  ``resources/demo`` with its build, test and deploy tools from ``resources/demo-repo``), then the
  bad release 1.1.0: the unified DB path on by default in its flag configuration (the edit the
  runbook's "Via Code (Emergency)" undoes) and the ``flag-ignored`` fault in its release manifest
  (the build ignores the localStorage override, so Level 1 cannot help).
  ``feature/unified-db-service`` holds more migration work, never released.
- ``origin.git``: a local bare repository, its remote, with both branches pushed.

The installed build the demo target serves is ``<data>/demo-app`` (the preset's deploy command
puts it there; ``--app-dir`` points the target at it).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from flagdeck import paths
from flagdeck.errors import UsageError
from flagdeck.resources_path import resource_file
from flagdeck.runbooks import git

FEATURE = "feature/unified-db-service"
MARKER = ".flagdeck-demo-repo"
AUTHOR = ("-c", "user.name=Demo Studio release bot", "-c", "user.email=release@demo-studio.invalid")

_BAD_FLAGS = ("export const DEFAULT_FLAGS = Object.freeze({ USE_UNIFIED_DB_SERVICE: false });",
              "export const DEFAULT_FLAGS = Object.freeze({ USE_UNIFIED_DB_SERVICE: true });")
_BAD_RELEASE = ("  version: '1.0.0',\n  faults: Object.freeze({}),",
                "  version: '1.1.0',\n  faults: Object.freeze({ flagIgnored: true }),")
_MIGRATION = """/**
 * Unified DB migration, step 2 (work in progress): move agent sessions into the unified layout.
 * Not released: it lives on feature/unified-db-service only.
 */

export async function migrateAgentSessions(repository) {
  const sessions = await repository.all('agent_sessions');
  return sessions.map((session) => ({ ...session, schema: 'unified-v2' }));
}
"""


@dataclass(frozen=True)
class DemoRepo:
    root: Path
    work: Path
    remote: Path
    app_dir: Path  # where the deploy installs the build the demo target serves


def root() -> Path:
    return paths.data_dir() / "demo-repo"


def app_dir() -> Path:
    return paths.data_dir() / "demo-app"


def _git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *AUTHOR, *args], cwd=cwd, capture_output=True, text=True, env=git.env(),
                          stdin=subprocess.DEVNULL, timeout=120)
    if proc.returncode != 0:
        raise UsageError(f"making the demo repository: git {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    if old not in text:
        raise UsageError(f"making the demo repository: {path.name} no longer holds the line the bad release edits")
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def create() -> DemoRepo:
    """Make the demo repository afresh (an earlier one, flagdeck's own, is removed first)."""
    if shutil.which("git") is None:
        raise UsageError("the demo of Level 2 and 3 needs git", hint="install git (apt-get install git)")
    base = root()
    if base.exists():
        if not (base / MARKER).exists():
            raise UsageError(f"{base} exists and is not flagdeck's demo repository: not touched",
                             hint="move it away, then run the demo again")
        shutil.rmtree(base)
    base.mkdir(mode=0o700, parents=True)
    (base / MARKER).write_text("made by flagdeck demo --level 2|3; removed and made again by each run\n")
    remote, work = base / "origin.git", base / "demo-studio"
    _git(base, "init", "-q", "--bare", "-b", "main", str(remote))
    _git(base, "init", "-q", "-b", "main", str(work))
    for key, value in (("user.name", "Demo Studio developer"), ("user.email", "dev@demo-studio.invalid"),
                       ("commit.gpgsign", "false"), ("core.hooksPath", ".git/hooks")):  # no global hooks
        _git(work, "config", key, value)
    _git(work, "remote", "add", "origin", str(remote))

    shutil.copytree(resource_file("demo"), work, dirs_exist_ok=True)
    shutil.copytree(resource_file("demo-repo"), work, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    (work / ".gitignore").write_text("dist/\n__pycache__/\n", encoding="utf-8")
    _git(work, "add", "-A")
    _git(work, "commit", "-q", "-m", "Demo Studio 1.0.0",
         "-m", "The original data path, and the unified DbService behind USE_UNIFIED_DB_SERVICE (off).")

    _git(work, "checkout", "-q", "-b", FEATURE)
    (work / "js" / "paths" / "unified" / "migrate.js").write_text(_MIGRATION, encoding="utf-8")
    _git(work, "add", "-A")
    _git(work, "commit", "-q", "-m", "Unified DB: migrate agent sessions (work in progress)")
    _git(work, "checkout", "-q", "main")

    _edit(work / "js" / "featureFlags.js", *_BAD_FLAGS)
    _edit(work / "js" / "release.js", *_BAD_RELEASE)
    _git(work, "commit", "-q", "-a", "-m", "Release 1.1.0: unified DB service on by default",
         "-m", "USE_UNIFIED_DB_SERVICE defaults to true; the release build drops the localStorage override.")
    _git(work, "push", "-q", "-u", "origin", "main", FEATURE)
    return DemoRepo(base, work, remote, app_dir())
