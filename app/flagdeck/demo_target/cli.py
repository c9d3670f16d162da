"""``flagdeck demo-target`` / ``python -m flagdeck.demo_target``: options, checks, then the Qt host.

Imports no Qt until the options are valid and the environment QtWebEngine reads at start-up is
set, so a bad option costs milliseconds and prints one line, never a traceback.
"""

from __future__ import annotations

import sys

from flagdeck.demo_target.options import DemoOptions, parse_options
from flagdeck.errors import ExitCode, FlagdeckError, TargetBusy, UsageError
from flagdeck.targets import process

PROG = "flagdeck demo-target"


def make_profile_dir(opts: DemoOptions) -> None:
    try:
        opts.profile_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the profile folder {opts.profile_dir}: {exc.strerror or exc}") from None


def check_profile_free(opts: DemoOptions) -> None:
    """Refuse a profile another running target holds (its localStorage LevelDB is locked)."""
    lock = opts.profile_dir / "Local Storage" / "leveldb" / "LOCK"
    if process.lock_probe(lock):
        holder = process.lock_holder(lock)
        who = f"pid {holder.pid}" if holder else "another process"
        raise TargetBusy(f"profile {opts.profile_dir} is in use by {who}")


def main(argv: list[str] | None = None) -> int:
    """Run the demo target; returns the process exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        opts = parse_options(args)
        check_profile_free(opts)
        make_profile_dir(opts)
    except SystemExit as exc:  # --help
        return int(exc.code or 0) if isinstance(exc.code, int) else ExitCode.USAGE
    except FlagdeckError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    from flagdeck.demo_target.environment import prepare_environment

    prepare_environment(opts)
    from flagdeck.demo_target.host import run_host

    return run_host(opts)
