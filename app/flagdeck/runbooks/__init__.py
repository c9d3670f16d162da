"""Level 2 (code revert) and Level 3 (full rollback) of the runbook, guided and on the record.

The steps come from the target preset's ``[runbook]`` table (argv lists, run without a shell) and
from flagdeck's own actions (capture, export, restart, verify, record). :mod:`plan` builds the
plan, every exact command included, with no side effect (the dry run prints it); :mod:`run` runs it
step by step, asking before each destructive one, streaming every command's output, timing it
against the level's budget, stopping on the first failure and resuming from there
(``--resume ID``). Git is driven through ``subprocess`` with argv lists (:mod:`git`). A run is one
rollback record (``<data>/rollbacks/<id>/record.json``), one history row per attempt and, on
success, an evidence bundle.
"""

from __future__ import annotations

from typing import Literal

Level = Literal[2, 3]
LEVELS: tuple[Level, ...] = (2, 3)
BUDGET_SECONDS: dict[int, float] = {2: 5 * 60.0, 3: 30 * 60.0}
ROLLBACK_TYPES: dict[int, str] = {2: "Level 2 (code revert)", 3: "Level 3 (full rollback)"}


def budget_text(level: int) -> str:
    return f"{BUDGET_SECONDS[level] / 60:g} min"
