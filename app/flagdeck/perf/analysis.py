"""From a comparison's runs to per-metric statistics and tiers (pure; re-runnable on saved runs)."""

from __future__ import annotations

from flagdeck.perf import sequential, workload
from flagdeck.perf.collect import comparison_rows
from flagdeck.perf.flag_switch import Side
from flagdeck.perf.result import CompareResult, MetricResult
from flagdeck.perf.stats import summarize
from flagdeck.perf.tiers import classify


def analyse(result: CompareResult, seed: int, baseline: list[dict[str, float]] | None = None) -> None:
    """Fill ``result.metrics`` (headline first) and the app's comparisons from its samples.

    Pairs are matched by pair number; against a ``baseline`` (off-side samples saved earlier)
    the sides are unpaired. An automatic comparison (``--runs auto``) judges its headline by the
    interval its stopping rule used (``sequential.py``); the other metrics, which decide nothing,
    keep the median and bootstrap of a fixed comparison.
    """
    on_runs = {s.pair: s.values for s in result.measured("on")}
    paired = baseline is None
    off_runs = dict(enumerate(baseline, 1)) if baseline is not None else {
        s.pair: s.values for s in result.measured("off")}
    names = sorted({k for v in on_runs.values() for k in v} & {k for v in off_runs.values() for k in v})
    names.sort(key=lambda n: (n != result.headline, not n.startswith(workload.PREFIX), n))
    result.metrics.clear()
    for name in names:
        if paired:
            pairs = [(on_runs[p][name], off_runs[p][name]) for p in sorted(on_runs)
                     if p in off_runs and name in on_runs[p] and name in off_runs[p]]
            on, off = [a for a, _ in pairs], [b for _, b in pairs]
        else:
            on = [v[name] for v in on_runs.values() if name in v]
            off = [v[name] for v in off_runs.values() if name in v]
        stats = summarize(on, off, seed, paired=paired)
        if name == result.headline and result.stopping is not None and result.stopping.mode == "auto":
            last = sequential.look(on, off, paired=paired)
            if last is not None:
                stats = sequential.metric_stats(on, off, last, paired=paired, seed=seed)
        result.metrics[name] = MetricResult(name, stats, classify(stats), tuple(on), tuple(off))
    sides: tuple[Side, ...] = ("on", "off")
    for side in sides:
        runs = result.measured(side)
        newest = next((s for s in reversed(runs) if s.comparisons is not None), None)
        if newest is not None:
            result.page_comparisons[side] = comparison_rows(newest.comparisons)
        troubled = [s for s in runs if s.problems]
        if troubled:
            result.notes.append(f"{len(troubled)} {side}-side run(s) reported workload errors, e.g. "
                                f"{troubled[0].problems[0]}: their timings measure failing operations")
