"""A/B runs on the live app: flag on vs off, interleaved, and the flag put back whatever happens.

Schedule: one warm-up pair (discarded: the first loads after attaching pay for caches, JIT and
DevTools domains), then ``runs`` pairs; each pair runs on and off back to back in an order drawn
from the seed, so neither side always follows the other. A run is: switch the flag (one read,
one write on the open live store), reload, wait for the load event and the preset's ``ready``
expression, run the workload, collect. ``cancel`` is checked between runs (the console's Cancel
button); Ctrl-C, errors and cancellation all end in :meth:`FlagSwitch.restore` and one more
reload, so the app is left running with the flags it had.

The whole comparison, every flip and the restore included, holds the target's writer lock: no other
flagdeck writes the flag in between (and gets overwritten by the next flip). Another writer that
asks for the lock (a rollback) is not kept waiting for the whole comparison: it stops before its
next run, puts the flag back and lets the writer go first.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flagdeck import history, interrupts, target_lock
from flagdeck.backups import BackupStore
from flagdeck.errors import ExitCode, FlagdeckError, TargetBusy, UsageError
from flagdeck.perf import baseline as baselines
from flagdeck.perf import saved, sequential, workload
from flagdeck.perf.analysis import analyse
from flagdeck.perf.app_page import page_origin, ready_expression, wait_ready
from flagdeck.perf.collect import Collector
from flagdeck.perf.flag_switch import FlagSwitch, Restored, Side
from flagdeck.perf.result import CompareResult, RunSample, Stopping
from flagdeck.probe.page import PageProbe
from flagdeck.storage.live_store import LiveStore, connect_live
from flagdeck.targets.resolve import Target, default_flag
from flagdeck.verify.result import now_iso

MAX_RUNS = 500
BASELINE_RUNS = 6  # off-side runs a measured baseline keeps (plus a warm-up run)


class CompareInterrupted(UsageError):
    """Ctrl-C during a comparison (after the flag was put back): exit 130, as every Ctrl-C."""

    exit_code = ExitCode.INTERRUPTED
    kind = "interrupted"


@dataclass(frozen=True)
class RunEvent:
    step: int  # 1-based
    total: int
    pair: int  # 0 = warm-up
    side: Side
    sample: RunSample | None  # None: the run is starting
    headline: str = ""  # the metric the comparison is judged by
    look: sequential.Look | None = None  # --runs auto: the headline's interval once this pair is complete
    auto: bool = False  # --runs auto: ``total`` is the most it may take (``sequential.MAX_PAIRS`` pairs)

    @property
    def warmup(self) -> bool:
        return self.pair == 0


Progress = Callable[[RunEvent], None]


def schedule(runs: int, rng: random.Random, *, on_only: bool = False, off_only: bool = False
             ) -> list[tuple[int, Side]]:
    """(pair, side) in run order: the warm-up pair 0, then ``runs`` pairs in random order each
    (one side only against a saved baseline, or when measuring one)."""
    out: list[tuple[int, Side]] = []
    for pair in range(runs + 1):
        sides: list[Side] = ["on"] if on_only else ["off"] if off_only else ["on", "off"]
        rng.shuffle(sides)
        out += [(pair, side) for side in sides]
    return out


class _Comparison:
    """One comparison in progress: the open live store, the measured page, the flag switch."""

    def __init__(self, target: Target, store: LiveStore, *, flag: str, runs: int, auto: bool, seed: int,
                 save_baseline: str | None, use_baseline: baselines.Baseline | None, metric: str | None,
                 progress: Progress | None, cancel: threading.Event | None, ready_timeout: float,
                 workload_timeout: float, backups: BackupStore | None, off_only: bool = False) -> None:
        self.target, self.store, self.flag, self.runs, self.auto = target, store, flag, runs, auto
        self.off_only = off_only
        self.save_baseline, self.use_baseline, self.metric = save_baseline, use_baseline, metric
        self.progress = progress or (lambda event: None)
        self.cancel = cancel or threading.Event()
        self.ready_timeout, self.workload_timeout = ready_timeout, workload_timeout
        self.ready_js = ready_expression(target)
        self.rng = random.Random(seed)
        self.switch = FlagSwitch(target, store, flag, backups=backups)
        self.page: PageProbe | None = None
        self.collector: Collector | None = None
        self.workload: workload.Workload | None = None
        self.t0 = time.monotonic()
        self.reloaded = False  # the page has run with a value of ours: reload it again at the end
        self.where = "before the first run"

    # --- set-up --------------------------------------------------------------------------------

    def prepare(self, probe_js: str | None, probe_name: str, repeat: int | None) -> workload.Workload:
        """Find the page and the workload (a bad probe stops here, before anything is backed up
        or written), then back up and check the flag."""
        if self.target.origin is None:
            self.target = self.target.with_origin(page_origin(self.target, self.store))
            self.switch.target = self.target
        origin = self.target.origin or ""
        self.page = PageProbe(self.store.page_session(origin), origin)
        wait_ready(self.page, self.ready_js, self.ready_timeout)
        owner = self.store.owner
        self.collector = Collector(self.page, owner.pid if owner else None)
        if probe_js is not None:
            self.workload = workload.from_probe(probe_js, probe_name, self.page.session, repeat)
        elif self.page.evaluate(workload.DEMO_DETECT) is True:
            self.workload = workload.demo(repeat)
        else:
            self.workload = workload.load_only()
        self.switch.prepare()
        return self.workload

    # --- one run -------------------------------------------------------------------------------

    def reload(self) -> None:
        assert self.page is not None
        self.store.reload(self.switch.origin, timeout=self.ready_timeout)
        wait_ready(self.page, self.ready_js, self.ready_timeout)

    def wait_ready(self) -> None:
        """Wait for the app after its page was loaded again (by a commit that parked it)."""
        if self.page is not None:
            wait_ready(self.page, self.ready_js, self.ready_timeout)

    def run_one(self, step: int, pair: int, side: Side) -> RunSample:
        """One page load with ``side``'s flag value; ``timing`` splits its time between flagdeck
        (switch, collect, bookkeeping) and the app (reload, ready, workload)."""
        assert self.page is not None and self.collector is not None and self.workload is not None
        marks = [time.perf_counter()]
        self.switch.set(side)
        marks.append(time.perf_counter())
        self.reloaded = True
        self.store.reload(self.switch.origin, timeout=self.ready_timeout)
        marks.append(time.perf_counter())
        wait_ready(self.page, self.ready_js, self.ready_timeout)
        marks.append(time.perf_counter())
        self.collector.start()
        marks.append(time.perf_counter())
        reps: list[Any] = []
        if self.workload.call_js is not None:
            reps = self.page.evaluate(self.workload.expression(), await_promise=True,
                                      timeout=self.workload_timeout) or []
        marks.append(time.perf_counter())
        values, comparisons, _ = self.collector.finish()
        marks.append(time.perf_counter())
        problems: list[str] = []
        parsed = []
        for rep in reps:
            numbers, issues = workload.numbers_of(rep, f"the workload ({self.workload.description})")
            parsed.append(numbers)
            problems += issues
        values.update(workload.best_of(parsed))
        if pair == 0 and self.metric and self.metric not in values:
            raise UsageError(f"no metric named {self.metric!r} in this comparison",
                             hint=f"measured: {', '.join(sorted(values))}")
        span = [(b - a) * 1000 for a, b in itertools.pairwise(marks)]
        timing = {"switch": span[0], "reload": span[1], "ready": span[2], "workload": span[4],
                  "collect": span[3] + span[5]}
        sample = RunSample(step, pair, side, values, timing, marks[0] - self.t0, sorted(set(problems)), comparisons)
        sample.timing["bookkeeping"] = (time.perf_counter() - marks[-1]) * 1000
        return sample

    def look(self, result: CompareResult) -> sequential.Look | None:
        """The headline's interval over the pairs measured so far (on-side runs against a baseline)."""
        name = result.headline
        on = {s.pair: s.values[name] for s in result.measured("on") if name in s.values}
        if self.use_baseline is not None:
            return sequential.look(list(on.values()), self.use_baseline.values(name), paired=False)
        off = {s.pair: s.values[name] for s in result.measured("off") if name in s.values}
        pairs = [p for p in sorted(on) if p in off]
        return sequential.look([on[p] for p in pairs], [off[p] for p in pairs], paired=True)

    def run_all(self, result: CompareResult) -> None:
        """Every run of the plan; with ``auto``, a look after each complete pair and a stop once it
        decides the tier (``sequential.py``)."""
        plan = schedule(self.runs, self.rng, on_only=self.use_baseline is not None, off_only=self.off_only)
        stopping = result.stopping = Stopping("auto" if self.auto else "fixed")
        if not self.auto:
            stopping.reason = f"fixed count: {self.runs} pair{'s' if self.runs != 1 else ''} (--runs {self.runs})"
        for step, (pair, side) in enumerate(plan, 1):
            if self.cancel.is_set():
                result.cancelled = True
                result.notes.append(f"cancelled before run {step} of {len(plan)}")
                stopping.reason = f"cancelled after {result.runs} measured pair(s)"
                return
            if target_lock.someone_waits(self.target.slug):
                raise TargetBusy(f"stopped before run {step} of {len(plan)}: another flagdeck (a rollback?) "
                                 "waits to write this target and goes first",
                                 hint="compare again when it has finished")
            self.where = f"run {step} of {len(plan)}"
            self.progress(RunEvent(step, len(plan), pair, side, None, result.headline))
            try:
                sample = self.run_one(step, pair, side)
            except FlagdeckError as exc:
                where = "the warm-up pair" if pair == 0 else f"pair {pair} of {self.runs}"
                raise type(exc)(f"run {step} of {len(plan)} ({where}, flag {side}): {exc.message}",
                                hint=exc.hint) from None
            result.samples.append(sample)
            t = time.perf_counter()
            complete = pair > 0 and (step == len(plan) or plan[step][0] != pair)
            look = self.look(result) if self.auto and complete else None
            if look is not None:
                stopping.looks.append(look)
            self.progress(RunEvent(step, len(plan), pair, side, sample, result.headline, look, self.auto))
            sample.timing["bookkeeping"] += (time.perf_counter() - t) * 1000
            if look is not None and look.decided is not None:
                stopping.reason = sequential.reason(look, paired=self.use_baseline is None)
                return
        if self.auto:
            last = stopping.looks[-1] if stopping.looks else None
            stopping.reason = sequential.reason(last, paired=self.use_baseline is None)


def compare(
    target: Target, *, runs: int | str = sequential.AUTO, flag: str | None = None, probe_js: str | None = None,
    probe_name: str = "probe", repeat: int | None = None, metric: str | None = None,
    baseline: str | None = None, seed: int | None = None, progress: Progress | None = None,
    cancel: threading.Event | None = None, save: bool = True, ready_timeout: float = 30.0,
    workload_timeout: float = 120.0, backups: BackupStore | None = None, off_only: bool = False,
) -> CompareResult:
    """Compare ``flag`` on vs off on the running ``target`` (live, over its debug port).

    ``runs``: ``"auto"`` (the default) measures pairs until the headline's interval decides the
    runbook's tier, between ``sequential.MIN_PAIRS`` and ``sequential.MAX_PAIRS``; a number
    measures exactly that many pairs.
    ``baseline``: ``"save"`` / ``"save=NAME"`` keeps the off side as a named baseline; ``NAME``
    measures only the on side against that saved baseline. ``probe_js``: the source of a probe
    (expression or async function body returning ``{name: ms}``); without it the demo target's
    workload is used when the page has one, else only the page load is compared. The result is
    saved under ``<data>/perf/`` unless ``save`` is false or the comparison was cancelled.
    ``off_only``: measure the off side only (:func:`measure_baseline`).
    """
    auto = runs == sequential.AUTO
    if not auto and (not isinstance(runs, int) or isinstance(runs, bool) or not 1 <= runs <= MAX_RUNS):
        raise UsageError(f"--runs must be auto or a number between 1 and {MAX_RUNS}, not {runs}")
    pairs = sequential.MAX_PAIRS if auto else int(runs)
    if repeat is not None and not 1 <= repeat <= 100:
        raise UsageError(f"--repeat must be between 1 and 100, not {repeat}")
    if target.debug_port is None:
        raise UsageError("compare measures the running app over DevTools: give --debug-port N",
                         hint="start the app with a debug port (flagdeck demo-target does)")
    save_as, use_name = baselines.parse_option(baseline)
    use = baselines.load(use_name) if use_name else None
    flag = flag or (use.flag if use else default_flag(target))
    seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
    store = connect_live(target.debug_port, leveldb_dir=target.leveldb_dir, process_names=target.process_names)
    with store, target_lock.target_lock(target.slug, purpose="perf compare"):
        job = _Comparison(target, store, flag=flag, runs=pairs, auto=auto, seed=seed, save_baseline=save_as,
                          use_baseline=use, metric=metric, progress=progress, cancel=cancel,
                          ready_timeout=ready_timeout, workload_timeout=workload_timeout, backups=backups,
                          off_only=off_only)
        return _run(job, probe_js, probe_name, repeat, seed, save and not off_only)


def measure_baseline(target: Target, name: str, *, runs: int = BASELINE_RUNS, flag: str | None = None,
                     seed: int | None = None, progress: Progress | None = None,
                     cancel: threading.Event | None = None) -> CompareResult:
    """Measure the original path (the flag off) ``runs`` times after a warm-up run and save it as
    baseline ``name``: the runbook's "original implementation metrics", for the trigger board to
    compare the running path against later (``triggers.measure_perf``). The flag is put back."""
    return compare(target, runs=runs, flag=flag, baseline=f"{baselines.SAVE}={name}", seed=seed, progress=progress,
                   cancel=cancel, off_only=True)


def _run(job: _Comparison, probe_js: str | None, probe_name: str, repeat: int | None, seed: int,
         save: bool) -> CompareResult:
    """Prepare, run, and put the flag back whatever happened; then analyse and save."""
    started = now_iso()
    result: CompareResult | None = None
    restored: Restored | None = None
    try:
        wl = job.prepare(probe_js, probe_name, repeat)
        target = job.target
        result = CompareResult(target.name, target.slug, target.to_json(), job.flag, started, wl,
                               job.metric or wl.headline, sequential.AUTO if job.auto else job.runs, seed)
        result.backup_id = job.switch.backup.id if job.switch.backup else None
        job.run_all(result)
    except BaseException as exc:
        try:
            with interrupts.held():
                restored = job.switch.restore(job.reload if job.reloaded else None, ready=job.wait_ready)
        except FlagdeckError as lost:
            first = exc.message if isinstance(exc, FlagdeckError) else (
                "interrupted" if isinstance(exc, KeyboardInterrupt) else str(exc))
            raise type(lost)(f"{first}; {lost.message}", hint=lost.hint) from None
        if isinstance(exc, KeyboardInterrupt):
            raise CompareInterrupted(f"interrupted in {job.where}; {restored.detail}") from None
        if isinstance(exc, FlagdeckError):
            raise type(exc)(f"{exc.message}; {restored.detail}", hint=exc.hint) from None
        raise
    with interrupts.held():
        restored = job.switch.restore(job.reload if job.reloaded else None, ready=job.wait_ready)
    result.restored = {"restored": restored.restored, "reloaded": restored.reloaded, "detail": restored.detail}
    if not restored.restored:
        result.notes.append(restored.detail)
    analyse(result, seed, job.use_baseline.samples if job.use_baseline else None)
    result.seconds = time.monotonic() - job.t0
    _baseline_bookkeeping(job, result)
    if save and not result.cancelled:
        path = saved.save(result)
        head = result.headline_json()
        history.try_record("compare", job.target, message=f"{result.headline}: {result.severity} "
                           f"({head.get('degradation_pct')} %, CI {head.get('ci_low')} to {head.get('ci_high')})",
                           details={"severity": result.severity, "runs": head.get("runs"),
                                    "metric": result.headline}, artifacts=[str(path)])
    return result


def _baseline_bookkeeping(job: _Comparison, result: CompareResult) -> None:
    if job.use_baseline is not None:
        b = job.use_baseline
        result.baseline = {"name": b.name, "action": "compared", "path": str(b.path), "created": b.created}
        result.notes.append(f"off side from baseline {b.name} ({b.created}): unpaired, so the interval is wider")
        if b.target_slug != result.target_slug:
            result.notes.append(f"baseline {b.name} was measured on another target ({b.target_slug})")
        if b.workload.get("description") != result.workload.description:
            result.notes.append(f"baseline {b.name} ran another workload ({b.workload.get('description')})")
    elif job.save_baseline and not result.cancelled:
        samples = [s.values for s in result.measured("off")]
        path: Path = baselines.save(job.save_baseline, target_slug=result.target_slug, flag=result.flag,
                                    workload=result.workload.to_json(), samples=samples, created=result.started)
        result.baseline = {"name": job.save_baseline, "action": "saved", "path": str(path), "created": result.started}
