"""Git, read-only questions for the plan: every call is an argv list run with ``subprocess`` (no
shell), ``--no-optional-locks`` so not even ``git status`` refreshes the index: planning (the dry
run) changes nothing in the repository."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from flagdeck.errors import UsageError

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's empty tree: a diff against it is a removal


def env() -> dict[str, str]:
    """The environment every git command of a rollback runs in: never a prompt (no editor, no
    password question on a terminal nobody watches), messages in English (they are parsed)."""
    return {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_EDITOR": "true", "GIT_MERGE_AUTOEDIT": "no",
            "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"}


@dataclass(frozen=True)
class Answer:
    code: int
    out: str
    err: str

    @property
    def ok(self) -> bool:
        return self.code == 0


class Repo:
    """A work tree, asked questions with ``git -C``-free argv lists run in its folder."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def open(cls, path: Path) -> Repo:
        if shutil.which("git") is None:
            raise UsageError("git is not installed", hint="install git (apt-get install git)")
        path = path.expanduser()
        if not path.is_dir():
            raise UsageError(f"repository {path} does not exist", hint="give the app's source checkout with --repo DIR")
        repo = cls(path.resolve())
        top = repo.ask("rev-parse", "--show-toplevel")
        if not top.ok:
            raise UsageError(f"{path} is not a git work tree", hint="give the app's source checkout with --repo DIR")
        return cls(Path(top.out.strip()))

    def ask(self, *args: str, timeout: float = 60.0) -> Answer:
        proc = subprocess.run(["git", "--no-optional-locks", *args], cwd=self.path, capture_output=True, text=True,
                              env=env(), timeout=timeout, stdin=subprocess.DEVNULL)
        return Answer(proc.returncode, proc.stdout, proc.stderr.strip())

    def value(self, *args: str) -> str | None:
        """The command's first output line, or None when it failed."""
        a = self.ask(*args)
        return a.out.strip().splitlines()[0] if a.ok and a.out.strip() else None

    # --- state ------------------------------------------------------------------------------------

    def head(self) -> str | None:
        return self.value("rev-parse", "--verify", "-q", "HEAD")

    def branch(self) -> str | None:
        """The checked-out branch; None on a detached HEAD."""
        return self.value("symbolic-ref", "-q", "--short", "HEAD")

    def dirty(self) -> list[str]:
        """``git status --porcelain`` lines: changed, staged and untracked files (ignored ones are not)."""
        return [line for line in self.ask("status", "--porcelain").out.splitlines() if line.strip()]

    def commit(self, rev: str) -> str | None:
        return self.value("rev-parse", "--verify", "-q", f"{rev}^{{commit}}")

    def local_branch(self, name: str) -> str | None:
        return self.value("rev-parse", "--verify", "-q", f"refs/heads/{name}")

    def remote_url(self, remote: str) -> str | None:
        return self.value("remote", "get-url", remote)

    def remote_branch(self, remote: str, name: str) -> str | None:
        """The branch's tip on the remote itself (``git ls-remote``: reads the remote, writes nothing)."""
        a = self.ask("ls-remote", "--heads", remote, f"refs/heads/{name}", timeout=120)
        if not a.ok:
            raise UsageError(f"cannot read remote {remote!r}: {a.err.splitlines()[-1] if a.err else 'git failed'}",
                             hint="check the remote is reachable (git ls-remote " + remote + ")")
        for line in a.out.splitlines():
            sha, _, ref = line.partition("\t")
            if ref == f"refs/heads/{name}":
                return sha
        return None

    def is_ancestor(self, older: str, newer: str) -> bool:
        return self.ask("merge-base", "--is-ancestor", older, newer).ok

    def commits(self, rev_range: str) -> list[tuple[str, int, str]]:
        """(sha, number of parents, subject) of each commit in ``rev_range``, newest first."""
        out = []
        for line in self.ask("log", "--format=%H %P%x09%s", rev_range).out.splitlines():
            ids, _, subject = line.partition("\t")
            sha, *parents = ids.split()
            out.append((sha, len(parents), subject))
        return out

    def subject(self, rev: str) -> str:
        return self.value("log", "-1", "--format=%s", rev) or ""

    def tracked(self, rev: str, paths: tuple[str, ...]) -> list[str]:
        """Files of ``paths`` (files or folders) in the tree of ``rev``."""
        if not paths:
            return []
        a = self.ask("ls-tree", "-r", "--name-only", rev, "--", *[p.rstrip("/") for p in paths])
        return [line for line in a.out.splitlines() if line]

    def has_file(self, rev: str, path: str) -> bool:
        return self.ask("cat-file", "-e", f"{rev}:{path}").ok

    def show(self, rev: str, path: str) -> str | None:
        a = self.ask("show", f"{rev}:{path}")
        return a.out if a.ok else None
