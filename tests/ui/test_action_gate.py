"""The action gate's rules (``ui/action_gate.py``): one write at a time, a check is a reader that
writes wait for, checks run one after the other, and a waiting write holds its place."""

from __future__ import annotations

import pytest

from flagdeck.ui.action_gate import ActionGate, Busy


def gate_and_log() -> tuple[ActionGate, list[str]]:
    started: list[str] = []
    return ActionGate(), started


def test_a_write_runs_alone() -> None:
    gate, started = gate_and_log()
    assert gate.admit("Set A", "write", lambda: started.append("Set A"))
    assert gate.writing == "Set A" and started == ["Set A"]
    with pytest.raises(Busy, match="Set A is running; wait for it to finish"):
        gate.admit("Restore", "write", lambda: started.append("Restore"))
    with pytest.raises(Busy):
        gate.admit("Verify", "check", lambda: started.append("Verify"))  # a check would see the write
    gate.release("Set A", "write")
    assert gate.writing is None
    assert gate.admit("Verify", "check", lambda: started.append("Verify"))
    assert started == ["Set A", "Verify"]


def test_a_write_waits_for_a_running_check_and_holds_its_place() -> None:
    gate, started = gate_and_log()
    assert gate.admit("Verify", "check", lambda: started.append("Verify"))
    assert not gate.admit("Rollback", "write", lambda: started.append("Rollback"))  # accepted, waiting
    assert gate.writing == "Rollback" and gate.waiting() == ["Rollback"] and started == ["Verify"]
    with pytest.raises(Busy, match="Rollback is running"):  # nothing slips in before it
        gate.admit("Check triggers", "check", lambda: started.append("Check triggers"))
    gate.release("Verify", "check")
    assert started == ["Verify", "Rollback"] and gate.writing == "Rollback" and not gate.checking
    gate.release("Rollback", "write")
    assert gate.writing is None and gate.waiting() == []


def test_checks_run_one_after_the_other_then_the_write() -> None:
    gate, started = gate_and_log()
    gate.admit("Check triggers", "check", lambda: started.append("Check triggers"))
    assert not gate.admit("Verify", "check", lambda: started.append("Verify"))
    assert not gate.admit("Set A", "write", lambda: started.append("Set A"))
    assert gate.waiting() == ["Verify", "Set A"]
    gate.release("Check triggers", "check")
    assert started == ["Check triggers", "Verify"] and gate.checking
    gate.release("Verify", "check")
    assert started == ["Check triggers", "Verify", "Set A"]


def test_release_of_an_unknown_action_changes_nothing() -> None:
    gate, started = gate_and_log()
    gate.admit("Set A", "write", lambda: started.append("Set A"))
    gate.release("Set B", "write")
    gate.release("Verify", "check")
    assert gate.writing == "Set A"


def test_every_change_is_told() -> None:
    told: list[tuple[str | None, bool]] = []
    gate = ActionGate(on_change=lambda: told.append((gate.writing, gate.checking)))
    gate.admit("Verify", "check", lambda: None)
    gate.admit("Set A", "write", lambda: None)
    gate.release("Verify", "check")
    gate.release("Set A", "write")
    assert told == [(None, True), ("Set A", True), ("Set A", False), (None, False)]
