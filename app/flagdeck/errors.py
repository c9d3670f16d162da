"""Every failure flagdeck reports, as a type, with its exit code and a one-line message.

The CLI maps these to exit codes in one place (``cli.main``); the UI shows ``str(error)``.
Nothing else in the code base decides an exit code.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    CHECK_FAILED = 1
    USAGE = 2
    BUSY = 3
    UNREADABLE = 4
    INTERNAL = 70  # a bug in flagdeck (sysexits' EX_SOFTWARE): the traceback is in flagdeck's log file
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as the shell reports a process it interrupted)
    BROKEN_PIPE = 141  # the reader of the output went away (128 + SIGPIPE, as any Unix tool)


class FlagdeckError(Exception):
    """Base of all expected failures: a message a user can act on, and an exit code."""

    exit_code: ExitCode = ExitCode.USAGE
    kind = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "message": self.message, "hint": self.hint, "exit_code": int(self.exit_code)}


class UsageError(FlagdeckError):
    """Bad arguments or input: a missing folder, an unknown flag, an ambiguous origin."""

    exit_code = ExitCode.USAGE
    kind = "usage"


class TargetNotFound(UsageError):
    kind = "target-not-found"


class NotALevelDB(UsageError):
    kind = "not-leveldb"


class OriginError(UsageError):
    kind = "origin"


class UnknownFlag(UsageError):
    kind = "unknown-flag"


class UnsafeDebugPort(UsageError):
    """A debug port that is not on loopback or not owned by the target's own process."""

    kind = "unsafe-debug-port"


class BackupNotFound(UsageError):
    kind = "backup-not-found"


class NeedsConfirmation(UsageError):
    kind = "needs-confirmation"


class RepoNotReady(UsageError):
    """A Level-2/3 rollback refused before anything happened: a dirty work tree, a detached HEAD
    where a branch is needed, a missing remote or branch."""

    kind = "repo-not-ready"


class TargetBusy(FlagdeckError):
    """The running app (or another flagdeck) holds the storage."""

    exit_code = ExitCode.BUSY
    kind = "busy"


class NeedsRestart(TargetBusy):
    """The app runs without a usable debug port: only a restart (close, write, relaunch) reaches it."""

    kind = "needs-restart"


class StorageUnreadable(FlagdeckError):
    """The storage exists but cannot be read or written: corrupt, permission denied, read-only."""

    exit_code = ExitCode.UNREADABLE
    kind = "unreadable"


class InvalidFlagDocument(StorageUnreadable):
    """The stored flag value is not a JSON object; writes need ``--repair``."""

    kind = "invalid-flag-document"


class LiveError(FlagdeckError):
    """The DevTools connection failed or the page did not answer."""

    exit_code = ExitCode.UNREADABLE
    kind = "live"


class AppStartFailed(LiveError):
    """The app exited (or reported a crash) while starting: a failed outcome, not unreadable storage."""

    exit_code = ExitCode.CHECK_FAILED
    kind = "app-start-failed"


class NoDebugPort(LiveError):
    """Nothing listens on the debug port: the app is closed or started without one (use offline)."""

    kind = "no-debug-port"


class CheckFailed(FlagdeckError):
    exit_code = ExitCode.CHECK_FAILED
    kind = "check-failed"
