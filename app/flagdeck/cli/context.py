"""What every command gets: the parsed global options, the target (resolved on first use), output."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flagdeck.cli import output, streams
from flagdeck.targets.resolve import Target, TargetOptions, resolve


@dataclass
class Context:
    args: argparse.Namespace
    _target: Target | None = field(default=None, init=False)
    exit_code: int = 0  # a command that printed its result but must still fail (a check failed)

    @property
    def json(self) -> bool:
        return bool(self.args.json)

    def options(self) -> TargetOptions:
        a = self.args
        return TargetOptions(
            target=a.target,
            user_data_dir=Path(a.user_data_dir) if a.user_data_dir else None,
            leveldb=Path(a.leveldb) if a.leveldb else None,
            storage_key=a.storage_key,
            origin=a.origin,
            debug_port=a.debug_port,
        )

    def target(self) -> Target:
        if self._target is None:
            self._target = resolve(self.options())
        return self._target

    def emit(self, result: Any, render: Callable[[Any], str]) -> None:
        output.emit(result, self.json, render)

    def info(self, text: str) -> None:
        """Progress and notes for people: stderr, so ``--json`` stdout stays one document."""
        streams.say(text)

    def confirm(self, question: str) -> bool:
        """Ask ``question`` (a yes/no) on the terminal; no unless the answer is y/yes.

        Nobody can answer when stdin is closed (``<&-``), not a terminal (a script must pass
        ``--yes``) or at its end (Ctrl-D): that is a no, never an error. With ``--json`` the question
        goes to stderr, so stdout stays one document."""
        stdin = sys.stdin
        out = sys.stderr if self.json else sys.stdout
        try:
            if stdin is None or stdin.closed or not stdin.isatty():
                return False
            if out is not None:
                out.write(question)
                out.flush()
            answer = stdin.readline()
        except (OSError, ValueError):
            return False
        if not answer.endswith("\n") and out is not None:  # end of input: finish the prompt's line
            streams.say("")
        return answer.strip().lower() in ("y", "yes")
