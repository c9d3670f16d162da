"""The runbook's rollback triggers, classified from measured signals, with the level to act on.

Signals come from a verification report and a performance measurement made for the board
(:func:`measure_perf`): the running path against the saved baseline of the original path when
one exists (the runbook's "Performance degradation baseline: original implementation metrics"),
else an early-stopping comparison of the flag on vs off; the board says which it used, or why it
measured nothing (``quick``, the flag already off, no live app). Each trigger keeps the runbook's
wording, so the board reads like the runbook a release engineer already knows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from flagdeck import paths
from flagdeck.errors import FlagdeckError, LiveError, OriginError
from flagdeck.private_files import write_json
from flagdeck.storage.leveldb_store import LevelDBStore
from flagdeck.targets.resolve import Target
from flagdeck.verify.checks_app import MESSAGE_LOAD_LIMIT_MS
from flagdeck.verify.result import VerifyReport

Severity = Literal["critical", "major", "minor"]
SEVERITY_ORDER = {"critical": 0, "major": 1, "minor": 2}


@dataclass(frozen=True)
class Trigger:
    severity: Severity
    runbook: str  # the runbook line
    observed: str  # what flagdeck measured
    source: str  # check id or "perf"


@dataclass(frozen=True)
class PerfCheck:
    """How the board measured the performance triggers, or why it did not."""

    how: Literal["baseline", "comparison", "quick", "flag-off", "not-measurable"]
    detail: str  # one line for people
    severity: str | None = None  # the comparison's tier (critical/major/minor/none) when measured
    seconds: float | None = None
    saved: str | None = None  # the saved comparison (perf/compare-*.json)

    @property
    def measured(self) -> bool:
        return self.how in ("baseline", "comparison")

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "measured": self.measured}


@dataclass(frozen=True)
class TriggerBoard:
    target: str
    flag_state: dict[str, Any]
    triggers: tuple[Trigger, ...]
    recommendation: str
    level: str  # "level-1-now" | "level-1-within-hour" | "consider" | "none" | "level-2"
    checked: tuple[str, ...] = field(default_factory=tuple)  # signals that were measured
    not_checked: tuple[str, ...] = field(default_factory=tuple)  # could not be measured (manual)
    perf: PerfCheck | None = None

    @property
    def worst(self) -> Severity | None:
        return min((t.severity for t in self.triggers), key=SEVERITY_ORDER.__getitem__, default=None)


# check id → (severity when it fails, runbook line)
_FROM_CHECKS: dict[str, tuple[Severity, str]] = {
    "data-loss": ("critical", "Data loss or corruption"),
    "renderer": ("critical", "Application crashes on startup"),
    "agent-session": ("critical", "Agent sessions completely broken"),
    "error-rate": ("major", "Intermittent message loading failures (> 10% error rate)"),
    "memory": ("major", "Memory leaks detected"),
    "attachment": ("major", "File upload/attachment issues"),
    "edit-delete": ("major", "Message editing/deletion not working"),
    "cpu": ("minor", "Non-critical features affected (CPU usage not normal)"),
}


def _message_load(report: VerifyReport) -> Trigger | None:
    """Message loading: total failure is critical; loads over 500 ms are the runbook's performance
    check. Incomplete loads are the data-loss check's to judge, errors the error rate's."""
    result = report.result("message-load")
    if result is None or result.status != "fail":
        return None
    rate = report.result("error-rate")
    if rate is not None and (rate.figure or 0) >= 100:
        return Trigger("critical", "Complete failure to load messages", rate.detail, "message-load")
    if result.figure is not None and result.figure >= MESSAGE_LOAD_LIMIT_MS:
        return Trigger("minor", "Message load time over 500ms (Performance Check)", result.detail, "message-load")
    return None


def perf_trigger(data: dict[str, Any], how: str = "") -> Trigger | None:
    """The trigger a comparison's JSON document (``CompareResult.to_json()``) fires, if any."""
    from flagdeck.perf.tiers import RUNBOOK_LINE, level_text

    severity = data.get("severity")
    if severity not in ("critical", "major", "minor"):
        return None
    band = str(RUNBOOK_LINE[severity]).split(" (")[0]
    level = level_text(float(data.get("ci_level") or 0.95))
    ci = f" ({level} CI {data['ci_low']:+.1f} to {data['ci_high']:+.1f} %)" if data.get("ci_low") is not None else ""
    return Trigger(severity, band, f"{data.get('metric', 'headline metric')} {data.get('degradation_pct'):+.1f} % "
                   f"slower{ci}{', ' + how if how else ''}", "perf")


def measure_perf(target: Target, flag_state: dict[str, Any], *, progress: Callable[[Any], None] | None = None,
                 cancel: Any = None) -> tuple[Trigger | None, PerfCheck]:
    """The performance triggers, measured now on the live app: the flag's path against the saved
    baseline of the original path when one exists (on-side runs only, unpaired), else an
    early-stopping comparison of the flag on vs off (``compare --runs auto``). Nothing is
    measured while the flag is off: that would switch the path back on in the app."""
    from flagdeck.perf import baseline as baselines
    from flagdeck.perf.runner import compare
    from flagdeck.targets.resolve import default_flag

    if target.debug_port is None:
        return None, PerfCheck("not-measurable", "not measured: the app is not live (no debug port), and a "
                               "comparison reloads the running app")
    try:
        flag = default_flag(target)
    except FlagdeckError as exc:
        return None, PerfCheck("not-measurable", f"not measured: {exc}")
    if flag_state.get(flag) is False:
        return None, PerfCheck("flag-off", f"not measured: {flag} is off, the app runs the original path")
    base = baselines.latest_for(target.slug, flag)
    try:
        result = compare(target, flag=flag, baseline=base.name if base else None, progress=progress, cancel=cancel)
    except FlagdeckError as exc:
        return None, PerfCheck("not-measurable", f"not measured: {exc}")
    data = result.to_json()
    if base is not None:
        how: Literal["baseline", "comparison"] = "baseline"
        detail = (f"measured against the saved baseline {base.name} of the original path ({len(base.samples)} runs, "
                  f"{base.created[:19].replace('T', ' ')}): {result.runs} on-side run(s); {data['stopped']}")
        short = f"against baseline {base.name}"
    else:
        how = "comparison"
        detail = (f"measured with an early-stopping comparison (no saved baseline of the original path): "
                  f"{result.runs} pair(s) on/off; {data['stopped']}")
        short = f"comparison of {result.runs} pairs"
    check = PerfCheck(how, detail, result.severity, round(result.seconds, 1), result.saved_path)
    return perf_trigger(data, short), check


def save_board(target: Target, board: TriggerBoard) -> Path:
    """Keep the board beside the verification reports (evidence bundles pick it up)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return write_json(paths.sub_dir("verify") / f"{stamp}-triggers-{target.slug}.json", {
        "target_slug": target.slug, "board": board.target, "level": board.level,
        "recommendation": board.recommendation, "flag_state": board.flag_state,
        "triggers": [t.__dict__ for t in board.triggers], "not_checked": list(board.not_checked),
        "perf": board.perf.to_json() if board.perf else None})


def check(target: Target, *, window: float = 2.0, quick: bool = False,
          progress: Callable[[Any], None] | None = None, cancel: Any = None) -> TriggerBoard:
    """Measure the signals now (a verification with a short watch, and the performance triggers
    unless ``quick``: :func:`measure_perf`) and classify them; the board is saved. The flag state
    is what the running page uses when it tells, else what is stored.

    An app whose page crashed on start (the runbook's first critical trigger) has a debug port
    and no page to ask: its stored flags are read from a snapshot of the disk, and a flag nothing
    stores is *unknown* (None), since the app's build env may turn it on."""
    from flagdeck import access, flag_ops
    from flagdeck.verify.runner import verify

    opened = access.open_read(target)
    with opened.store as store:
        try:
            status = flag_ops.status_from(target, store, opened.notes)
            no_page = False
        except (OriginError, LiveError):
            if store.mode != "live":
                raise
            with LevelDBStore.open_read(target.leveldb_dir) as disk:
                status = flag_ops.status_from(target, disk, opened.notes)
            no_page = True
        flags = _flag_state(status, no_page=no_page)
        report = verify(target, watch=True, window=window, save=False, store=store)
    if quick:
        perf, how = None, PerfCheck("quick", "not measured (--quick): no comparison was run")
    elif no_page:
        perf, how = None, PerfCheck("not-measurable", "not measured: the app's page does not answer")
    else:
        perf, how = measure_perf(target, flags, progress=progress, cancel=cancel)
    board = classify(target, report, flags, perf=perf, perf_check=how)
    save_board(target, board)
    return board


def _flag_state(status: Any, *, no_page: bool) -> dict[str, Any]:
    """Each flag as the running page uses it, else as stored (its default when nothing is stored);
    None when a live app's page cannot tell and nothing is stored."""
    page = status.page_flags or {}
    out: dict[str, Any] = {}
    for flag in status.report.flags:
        if flag.name in page:
            out[flag.name] = page[flag.name]
        elif no_page and not flag.stored:
            out[flag.name] = None
        else:
            out[flag.name] = flag.effective
    return out


def classify(target: Target, report: VerifyReport, flag_state: dict[str, Any], *, perf: Trigger | None = None,
             perf_check: PerfCheck | None = None) -> TriggerBoard:
    triggers: list[Trigger] = []
    for result in report.results:
        if result.status == "fail" and result.id in _FROM_CHECKS:
            severity, line = _FROM_CHECKS[result.id]
            triggers.append(Trigger(severity, line, result.detail, result.id))
    load = _message_load(report)
    if load:
        triggers.append(load)
    if perf:
        triggers.append(perf)
    logger = report.result("error-rate")
    if not triggers and logger and logger.status == "pass" and (logger.figure or 0) > 0:
        triggers.append(Trigger("minor", "Increased error logs but functionality intact", logger.detail, "error-rate"))
    triggers.sort(key=lambda t: SEVERITY_ORDER[t.severity])
    worst = triggers[0].severity if triggers else None
    flag_on = any(v is None or bool(v) for v in flag_state.values())  # unknown: maybe on (its build env)
    if worst is None:
        level, text = "none", "No rollback trigger fired."
    elif not flag_on:
        level, text = "level-2", ("Triggers fire with the flag already off: the feature flag is not sufficient. "
                                  "Level 2: code revert (git revert, rebuild, deploy).")
    elif worst == "critical":
        level, text = "level-1-now", "Critical: Level 1 rollback now (flagdeck rollback)."
    elif worst == "major":
        level, text = "level-1-within-hour", "Major: Level 1 rollback within 1 hour (flagdeck rollback)."
    else:
        level, text = "consider", "Minor: consider a rollback; watch the signals."
    checked = tuple(r.id for r in report.results if r.status != "manual")
    if perf_check is not None and perf_check.measured:
        checked += ("performance",)
    not_checked = tuple(r.id for r in report.results if r.status == "manual")
    return TriggerBoard(report.target, flag_state, tuple(triggers), text, level, checked, not_checked, perf_check)
