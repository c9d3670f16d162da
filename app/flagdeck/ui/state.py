"""What the tray shows, derived from what flagdeck last read and what it is doing. Qt-free.

The flag part (on / off / unknown / target not found) comes only from a storage read confirmed by
a live watch; an old read, a dead watch or a failed read is *unknown*, never the last good value.
Activity (busy, rollback running) and the last verification's outcome are drawn as badges over it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flagdeck import flag_ops
from flagdeck.errors import FlagdeckError, NotALevelDB, TargetNotFound
from flagdeck.storage.flags import js_truthy
from flagdeck.targets.resolve import default_flag
from flagdeck.ui.gui_words import for_gui

STALE_AFTER_S = 600.0  # a read no watch confirmed for this long is re-done; until then it stands


class FlagShape(enum.StrEnum):
    """The base icon: what the rollback flag is."""

    ON = "on"
    OFF = "off"
    UNKNOWN = "unknown"
    NOT_FOUND = "missing"


class Badge(enum.StrEnum):
    """Drawn over the base icon: what flagdeck is doing, what waits for the user, or what went
    wrong last."""

    NONE = ""
    BUSY = "busy"
    ROLLBACK = "rollback"
    PENDING_RELOAD = "pending"
    VERIFY_FAILED = "failed"


class Link(enum.StrEnum):
    """How the app is reached, drawn in the icon's top corner: live over DevTools (no mark), or
    only its disk (a drive: the app is closed, or runs without a debug port)."""

    LIVE = "live"
    DISK = "disk"
    NONE = "none"  # not read, or not found: nothing to say


@dataclass(frozen=True)
class Snapshot:
    """One read of the target's flags (or why there is none), with when and how it was watched."""

    target_name: str
    status: flag_ops.StatusResult | None
    error: str | None = None
    error_kind: str | None = None
    checked_at: datetime | None = None
    watched: str | None = None  # "devtools" | "files" | None (no watch: the read is not kept fresh)
    pending_reload: bool = False  # live: a flag was written, the page still runs the old value

    @classmethod
    def failed(cls, target_name: str, exc: BaseException, checked_at: datetime) -> Snapshot:
        kind = exc.kind if isinstance(exc, FlagdeckError) else type(exc).__name__
        return cls(target_name, None, for_gui(str(exc)), kind, checked_at)

    @property
    def not_found(self) -> bool:
        return self.error_kind in (TargetNotFound.kind, NotALevelDB.kind)

    @property
    def mode(self) -> str | None:
        return self.status.mode if self.status else None

    @property
    def page_flags(self) -> dict[str, Any] | None:
        """Live: what the running page uses (read by ``flag_ops.status`` on the same store)."""
        return self.status.page_flags if self.status else None

    @property
    def page_source(self) -> str:
        """How the page told us (``window.featureFlags``, a console line), or why it did not."""
        return (self.status.page_flags_source or "") if self.status else ""

    def flag_states(self) -> list[Any]:
        return list(self.status.report.flags) if self.status else []


def rollback_flag(snapshot: Snapshot) -> Any | None:
    """The flag a Level-1 rollback turns off when none is named (``resolve.default_flag``: the
    catalogue's one boolean flag); None when there is no such flag (none, or several to pick from)."""
    if snapshot.status is None:
        return None
    try:
        name = default_flag(snapshot.status.target)
    except FlagdeckError:
        return None
    return snapshot.status.report.flag(name)


def runs_on(snapshot: Snapshot, flag: Any) -> bool:
    """Whether the app acts on ``flag``: what the running page uses when it tells us (flags it does not
    store come from its defaults or its build env, which only the page knows), else the stored value
    or the default."""
    if snapshot.page_flags is not None and flag.name in snapshot.page_flags:
        return js_truthy(snapshot.page_flags[flag.name])
    return bool(flag.enabled)


def sees_no_page(snapshot: Snapshot) -> bool:
    """Live, but no open page shows the app's storage (it is starting or closing): the read is empty
    because nothing could be seen, not because nothing is stored."""
    status = snapshot.status
    return (status is not None and status.mode == "live" and status.origin is None and not status.origins
            and snapshot.page_flags is None)


def is_stale(snapshot: Snapshot, now: datetime, *, watch_alive: bool) -> bool:
    if snapshot.checked_at is None:
        return True
    if not watch_alive:
        return True
    return (now - snapshot.checked_at).total_seconds() > STALE_AFTER_S


def flags_known(snapshot: Snapshot | None, now: datetime, *, watch_alive: bool) -> bool:
    """The read's flags may be shown as they are: read, confirmed by a live watch, not old, and
    not an empty look at an app with no page."""
    return (snapshot is not None and snapshot.status is not None
            and not is_stale(snapshot, now, watch_alive=watch_alive) and not sees_no_page(snapshot))


def flag_shape(snapshot: Snapshot | None, now: datetime, *, watch_alive: bool) -> FlagShape:
    """The icon: the rollback flag on or off when the flags are known; a catalogue with no single
    boolean flag (none, or several to pick from) shows none: unknown."""
    if snapshot is None:
        return FlagShape.UNKNOWN
    if snapshot.not_found:
        return FlagShape.NOT_FOUND
    if not flags_known(snapshot, now, watch_alive=watch_alive):
        return FlagShape.UNKNOWN
    flag = rollback_flag(snapshot)
    if flag is None:
        return FlagShape.UNKNOWN
    return FlagShape.ON if runs_on(snapshot, flag) else FlagShape.OFF


def badge(*, rollback_running: bool, busy: bool, verify_failed: bool, pending_reload: bool = False) -> Badge:
    """Activity wins over the rest: while work runs the icon says so; then what waits for the
    user (a reload), then the alert of the last verification."""
    if rollback_running:
        return Badge.ROLLBACK
    if busy:
        return Badge.BUSY
    if pending_reload:
        return Badge.PENDING_RELOAD
    if verify_failed:
        return Badge.VERIFY_FAILED
    return Badge.NONE


def pending_flags(snapshot: Snapshot | None) -> list[str]:
    """Live: the flags the running page does not run as stored yet — written without a reload (by
    this flagdeck, the CLI or anyone). A flag the page runs but nothing stores comes from its
    defaults or build env and is never pending; ``snapshot.pending_reload`` (this process wrote, the
    page has not loaded since) covers a removal."""
    if snapshot is None or snapshot.status is None or snapshot.mode != "live":
        return []
    page = snapshot.page_flags
    names = [f.name for f in snapshot.flag_states() if page is not None and f.stored and f.name in page
             and js_truthy(page[f.name]) != bool(f.enabled)]
    if not names and snapshot.pending_reload:
        rollback = rollback_flag(snapshot)
        names = [rollback.name if rollback is not None else "a flag"]
    return names


def link_of(snapshot: Snapshot | None) -> Link:
    """Live (a DevTools watch or a live read) or disk only; none before a read or without a target."""
    if snapshot is None or snapshot.status is None:
        return Link.NONE
    return Link.LIVE if snapshot.mode == "live" else Link.DISK


SHAPE_WORDS = {FlagShape.ON: "ON", FlagShape.OFF: "off", FlagShape.UNKNOWN: "unknown",
               FlagShape.NOT_FOUND: "target not found"}
BADGE_WORDS = {Badge.BUSY: "working…", Badge.ROLLBACK: "rollback running", Badge.VERIFY_FAILED:
               "last verification FAILED", Badge.PENDING_RELOAD: "reload pending: the page runs the old value",
               Badge.NONE: ""}
LINK_WORDS = {Link.LIVE: "live", Link.DISK: "on disk (app closed or not reachable live)", Link.NONE: ""}


def clock(when: datetime | None) -> str:
    return when.astimezone().strftime("%H:%M:%S") if when else "never"


MODE_WORDS = {"live": "live", "offline": "offline (app closed)", "busy": "app holds its storage (read from disk)"}
WATCH_WORDS = {"devtools": "watched over DevTools", "files": "watched on disk"}


def mode_line(snapshot: Snapshot) -> str:
    """How the read was made and what keeps it true: ``live · watched over DevTools``."""
    mode = MODE_WORDS.get(snapshot.mode or "", snapshot.mode or "not read")
    return f"{mode} · {WATCH_WORDS.get(snapshot.watched or '', 'not watched')}"


def state_line(snapshot: Snapshot | None, shape: FlagShape) -> str:
    """The line under the target's name (tray menu, console):
    ``FLAG is ON · live · watched over DevTools · checked 12:00:00``."""
    if snapshot is None:
        return "reading…"
    flag = rollback_flag(snapshot) if shape in (FlagShape.ON, FlagShape.OFF) else None
    what = f"{flag.name} is {'ON' if runs_on(snapshot, flag) else 'off'}" if flag else SHAPE_WORDS[shape]
    return f"{what} · {mode_line(snapshot)} · checked {clock(snapshot.checked_at)}"


def tooltip(snapshot: Snapshot | None, shape: FlagShape, mark: Badge, *, activity: str = "",
            known: bool | None = None) -> str:
    """Plain-text tooltip: target, each flag, mode, the time of the last check, what runs.

    ``known``: the flags are known (``flags_known``); by default, when the shape is on or off."""
    if snapshot is None:
        return "flagdeck: no target read yet"
    lines = [f"flagdeck: {snapshot.target_name}"]
    folder_named = "/" in snapshot.target_name  # a folder target: its path is the name already
    if snapshot.status is not None and not folder_named and snapshot.status.target.user_data_dir is not None:
        lines.append(str(snapshot.status.target.user_data_dir))
    if known is None:
        known = shape in (FlagShape.ON, FlagShape.OFF)
    if snapshot.status is not None and known:
        for f in snapshot.flag_states():
            value = "ON" if runs_on(snapshot, f) else "off"
            if snapshot.page_flags is not None and f.name in snapshot.page_flags:
                source = "the page runs it" + ("" if f.stored else ", not stored: default or build env")
                if f.stored and bool(f.enabled) != runs_on(snapshot, f):
                    source += f"; stored {'ON' if f.enabled else 'off'}: applies at the next reload"
            else:
                source = "stored" if f.stored else "not stored: the app's default, unless its build env differs"
            lines.append(f"{f.name}: {value} ({source})")
    elif snapshot.status is not None and sees_no_page(snapshot):
        lines.append("flags: unknown (the app runs, but no page of it shows its storage; re-checking)")
    elif snapshot.status is not None:
        lines.append("flags: unknown (the watch lost the target; re-checking)")
    else:
        lines.append(f"{SHAPE_WORDS[shape]}: {snapshot.error or 'not read yet'}")
    lines.append(mode_line(snapshot))
    lines.append(f"last check {clock(snapshot.checked_at)}")
    pending = pending_flags(snapshot) if known else []
    if pending:
        lines.append(f"reload pending: the page has not reloaded since {', '.join(pending)} changed")
    if mark is not Badge.NONE:
        lines.append(activity or BADGE_WORDS[mark])
    return "\n".join(lines)


@dataclass
class Activity:
    """The rollback running now (and its step) and the last verification's outcome."""

    rollback_running: bool = False
    rollback_step: str = ""  # the step running now
    verify_failed: bool = False
    verify_failed_ids: tuple[str, ...] = ()
