"""The durability options and outcome every live-capable write command shares."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from flagdeck.errors import ExitCode
from flagdeck.storage import durable

if TYPE_CHECKING:
    from flagdeck.cli.context import Context


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"out of range (0 to 3600 s): {value:g}")
    return value


def add_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--durable-timeout", type=seconds, default=durable.DEFAULT_TIMEOUT, metavar="S",
                   help="live: how long to wait until the change is on the app's disk before reporting it "
                        f"as in memory only (exit 1; default {durable.DEFAULT_TIMEOUT:g} s)")


def line(d: durable.Durability | None) -> str | None:
    """The one line a person reads about it, or None when nothing was written."""
    if d is None:
        return None
    if d.ok:
        return d.detail
    return f"NOT DURABLE: {d.detail}"


def check(ctx: Context, result: Any) -> None:
    """A write that is not confirmed on the app's disk fails the command (exit 1), loudly on stderr
    also with ``--json`` (whose document carries the same ``durability``)."""
    d: durable.Durability | None = getattr(result, "durability", None)
    if d is not None and not d.ok:
        if ctx.json:
            print(f"flagdeck: {line(d)}", file=sys.stderr)
        ctx.exit_code = max(ctx.exit_code, int(ExitCode.CHECK_FAILED))
