"""What the tray says comes from confirmed reads only: on/off from a watched read, unknown when the
read is old, the watch died or the read failed, target-not-found as its own shape. (No Qt.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from flagdeck import flag_ops
from flagdeck.errors import LiveError, TargetNotFound
from flagdeck.storage.flags import SEED_CATALOGUE, FlagDocument, evaluate
from flagdeck.targets.resolve import Target
from flagdeck.ui import state
from flagdeck.ui.state import Badge, FlagShape, Snapshot, badge, flag_shape, tooltip

NOW = datetime(2025, 9, 1, 12, 0, tzinfo=UTC)
FLAG = "USE_UNIFIED_DB_SERVICE"


def snapshot(raw: str | None, *, mode: str = "live", age_s: float = 1.0) -> Snapshot:
    target = Target("Demo", Path("/p/leveldb"), Path("/p"), "featureFlags", "file://", False, 9222, True)
    report = evaluate(FlagDocument.parse(raw), SEED_CATALOGUE)
    status = flag_ops.StatusResult(target, mode, "file://", ["file://"], report)
    return Snapshot("Demo", status, checked_at=NOW - timedelta(seconds=age_s), watched="devtools")


def test_on_and_off_from_a_watched_read() -> None:
    assert flag_shape(snapshot('{"USE_UNIFIED_DB_SERVICE":true}'), NOW, watch_alive=True) is FlagShape.ON
    assert flag_shape(snapshot('{"USE_UNIFIED_DB_SERVICE":false}'), NOW, watch_alive=True) is FlagShape.OFF
    assert flag_shape(snapshot(None), NOW, watch_alive=True) is FlagShape.OFF  # the default


def test_string_false_is_on_as_the_app_sees_it() -> None:
    assert flag_shape(snapshot('{"USE_UNIFIED_DB_SERVICE":"false"}'), NOW, watch_alive=True) is FlagShape.ON


def test_unknown_without_a_live_watch_or_when_old() -> None:
    snap = snapshot('{"USE_UNIFIED_DB_SERVICE":true}')
    assert flag_shape(snap, NOW, watch_alive=False) is FlagShape.UNKNOWN
    old = snapshot('{"USE_UNIFIED_DB_SERVICE":true}', age_s=state.STALE_AFTER_S + 1)
    assert flag_shape(old, NOW, watch_alive=True) is FlagShape.UNKNOWN
    assert flag_shape(None, NOW, watch_alive=True) is FlagShape.UNKNOWN


def test_failed_reads() -> None:
    missing = Snapshot.failed("Demo", TargetNotFound("/p does not exist"), NOW)
    assert flag_shape(missing, NOW, watch_alive=False) is FlagShape.NOT_FOUND
    broken = Snapshot.failed("Demo", LiveError("the page did not answer"), NOW)
    assert flag_shape(broken, NOW, watch_alive=True) is FlagShape.UNKNOWN


def test_badges_activity_before_alert() -> None:
    assert badge(rollback_running=True, busy=True, verify_failed=True) is Badge.ROLLBACK
    assert badge(rollback_running=False, busy=True, verify_failed=True) is Badge.BUSY
    assert badge(rollback_running=False, busy=False, verify_failed=True) is Badge.VERIFY_FAILED
    assert badge(rollback_running=False, busy=False, verify_failed=False) is Badge.NONE


def test_tooltip_says_target_flags_mode_and_time() -> None:
    snap = snapshot('{"USE_UNIFIED_DB_SERVICE":true}')
    text = tooltip(snap, FlagShape.ON, Badge.NONE)
    lines = text.splitlines()
    assert lines[0] == "flagdeck: Demo"
    assert f"{FLAG}: ON (stored)" in lines
    assert "live · watched over DevTools" in lines
    assert "/p" in lines  # the profile's folder
    assert f"last check {state.clock(snap.checked_at)}" in lines
    unknown = tooltip(snap, FlagShape.UNKNOWN, Badge.ROLLBACK, activity="rollback running: Reload")
    assert f"{FLAG}: ON" not in unknown and "unknown" in unknown and "rollback running: Reload" in unknown
    missing = tooltip(Snapshot.failed("Demo", TargetNotFound("/p does not exist"), NOW), FlagShape.NOT_FOUND,
                      Badge.NONE)
    assert "target not found: /p does not exist" in missing


def test_what_the_page_runs_wins_over_the_default() -> None:
    """A flag turned on by the app's build env is not stored: only the running page tells."""
    from dataclasses import replace

    base = snapshot(None)
    snap = replace(base, status=replace(base.status, page_flags={FLAG: True}, page_flags_source="window.featureFlags"))
    assert flag_shape(snap, NOW, watch_alive=True) is FlagShape.ON
    assert f"{FLAG}: ON (the page runs it, not stored: default or build env)" in tooltip(snap, FlagShape.ON,
                                                                                          Badge.NONE)
    offline = snapshot(None, mode="offline")
    assert "not stored: the app's default, unless its build env differs" in tooltip(offline, FlagShape.OFF,
                                                                                     Badge.NONE)


def test_live_without_any_page_is_unknown_not_default() -> None:
    """An app that is closing (or starting) answers on its port with no page: nothing is seen, which
    is not the same as nothing stored."""
    from dataclasses import replace

    snap = snapshot(None)
    empty = replace(snap, status=replace(snap.status, origin=None, origins=[]))
    assert flag_shape(empty, NOW, watch_alive=True) is FlagShape.UNKNOWN
    assert "no page of it shows its storage" in tooltip(empty, FlagShape.UNKNOWN, Badge.NONE)


def test_several_boolean_flags_show_none_without_failing() -> None:
    """Which flag a rollback turns off is ``resolve.default_flag``'s rule: with several booleans the
    user picks one, so the icon shows none (unknown) while the flags themselves stay listed."""
    from dataclasses import replace

    from flagdeck.storage.flags import FlagSpec

    other = FlagSpec("NEW_EDITOR", "boolean", False, "The rewritten editor.")
    base = snapshot('{"USE_UNIFIED_DB_SERVICE":true}')
    catalogue = (*SEED_CATALOGUE, other)
    target = replace(base.status.target, catalogue=catalogue)
    report = evaluate(FlagDocument.parse('{"USE_UNIFIED_DB_SERVICE":true}'), catalogue)
    snap = replace(base, status=replace(base.status, target=target, report=report))
    assert state.rollback_flag(snap) is None
    assert flag_shape(snap, NOW, watch_alive=True) is FlagShape.UNKNOWN
    assert state.flags_known(snap, NOW, watch_alive=True)
    assert state.state_line(snap, FlagShape.UNKNOWN).startswith("unknown · live")
    text = tooltip(snap, FlagShape.UNKNOWN, Badge.NONE, known=True)
    assert f"{FLAG}: ON (stored)" in text and "NEW_EDITOR: off" in text
    assert state.rollback_flag(base).name == FLAG
