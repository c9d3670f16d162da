"""Running demo targets with ``--fault slow=F`` for the performance tests (no tests of its own).

The profile is seeded once per test process (``SEED_MESSAGES``: the largest topic ~150 messages,
a load of ~10 ms, stable enough, quick to seed) and copied per target; one target runs at a time
(an idle second target would add its own noise to the timings).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.demo_support import DemoTarget

SEED_MESSAGES = "1000"
_seeded: Path | None = None


def seeded_profile(factory: pytest.TempPathFactory) -> Path:
    global _seeded
    if _seeded is None or not _seeded.is_dir():
        profile = factory.mktemp("perf-seeded") / "profile"
        target = DemoTarget.start(profile, "--seed-messages", SEED_MESSAGES)
        try:
            target.wait_ready()
            assert target.stop() == 0
        finally:
            target.kill()
        _seeded = profile
    return _seeded


class SlowTargets:
    """``get(F)``: a running target with ``--fault slow=F`` (none for 1.0) on its own copy of the
    seeded profile; asking for another F stops the previous target."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self.factory = factory
        self.running: dict[float, DemoTarget] = {}

    def get(self, factor: float) -> DemoTarget:
        if factor in self.running and self.running[factor].proc.poll() is None:
            return self.running[factor]
        self.stop()
        profile = self.factory.mktemp(f"slow-{factor}") / "profile"
        leftovers = shutil.ignore_patterns("LOCK", "demo-target.json", "DevToolsActivePort")
        shutil.copytree(seeded_profile(self.factory), profile, ignore=leftovers)
        fault = () if factor == 1.0 else ("--fault", f"slow={factor}")
        target = DemoTarget.start(profile, *fault)
        target.wait_ready()
        self.running[factor] = target
        return target

    def stop(self) -> None:
        for target in self.running.values():
            target.kill()
        self.running.clear()
