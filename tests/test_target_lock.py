"""The writer lock: one writer per target across processes and threads, free to take again in the
thread that holds it, and a waiter its holder can see."""

from __future__ import annotations

import threading
import time

from flagdeck.target_lock import someone_waits, target_lock


def test_nested_blocks_are_free_and_another_thread_waits_visibly() -> None:
    got = threading.Event()

    def other() -> None:
        with target_lock("t", wait=60, purpose="second"):
            got.set()

    thread = threading.Thread(target=other)
    with target_lock("t", purpose="first"):
        with target_lock("t", wait=0):  # the same thread again: no wait, no TargetBusy
            pass
        assert not someone_waits("t")
        thread.start()
        deadline = time.monotonic() + 30
        while not someone_waits("t") and time.monotonic() < deadline:
            time.sleep(0.01)
        assert someone_waits("t") and not got.is_set()
    thread.join(60)
    assert got.is_set() and not someone_waits("t")
