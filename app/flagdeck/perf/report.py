"""A comparison for people (a terminal table and a verdict) and for spreadsheets (CSV of the runs)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from flagdeck.describe import table
from flagdeck.perf.result import CompareResult, MetricResult, RunSample
from flagdeck.perf.sequential import MAX_PAIRS, Look
from flagdeck.perf.tiers import level_text


def number(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "nodes":
        return f"{value:.0f}"
    return f"{value:.1f}" if abs(value) < 1000 else f"{value:.0f}"


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f} %"


def _side(m: MetricResult, side: str) -> str:
    s = m.stats.on if side == "on" else m.stats.off
    if s.median is None:
        return "-"
    return f"{number(s.median, m.unit)} ({number(s.q1, m.unit)}-{number(s.q3, m.unit)})"


def _outliers(m: MetricResult) -> str:
    parts = [f"{side} {len(s.outliers)}" for side, s in (("on", m.stats.on), ("off", m.stats.off)) if s.outliers]
    return ", ".join(parts)


def metric_rows(result: CompareResult) -> list[list[str]]:
    rows = []
    for m in result.metrics.values():
        ci = "-" if m.stats.ci_low is None else f"{m.stats.ci_low:+.1f} .. {m.stats.ci_high:+.1f} %"
        if m.stats.method != "bootstrap" and m.stats.ci_low is not None:
            ci += f" ({level_text(m.stats.level)})"
        tier = m.verdict.severity + (" (better)" if m.verdict.improvement else "")
        rows.append([m.name, m.unit, _side(m, "off"), _side(m, "on"), pct(m.stats.degradation_pct), ci, tier,
                     _outliers(m)])
    return rows


def render(result: CompareResult) -> str:
    against = f"baseline {result.baseline['name']}" if result.baseline and result.baseline["action"] == "compared" \
        else "off"
    lines = [f"{result.target_name}: {result.flag} on vs {against}, {result.runs} measured run(s) per side "
             f"(+ warm-up), {result.workload.description}; {result.seconds:.1f} s"]
    if result.metrics:
        lines.append(table(metric_rows(result), ["METRIC", "UNIT", "OFF median (IQR)", "ON median (IQR)", "CHANGE",
                                                 "95% CI", "TIER", "OUTLIERS"]))
        head = result.head
        paired = head is not None and head.stats.paired
        legend = ("CHANGE: " + ("median of the per-pair on/off ratios" if paired else "ratio of the medians")
                  + "; 95% CI: percentile bootstrap; TIER from the interval's lower bound")
        if head is not None and head.stats.method == "t-log":
            legend = (f"{head.name}: " + ("geometric mean of the per-pair on/off ratios" if paired else
                                          "ratio of the geometric means (unpaired)")
                      + f", t interval at {level_text(head.stats.level)} (the 5% of a 95% interval shared by "
                      "the looks of an automatic comparison); other metrics: " + legend[len("CHANGE: "):])
        lines.append(legend)
    if result.stopping is not None and result.stopping.reason:
        lines.append(f"stopped: {result.stopping.reason}")
    head = result.head
    if head is None:
        lines.append(f"headline {result.headline}: not measured")
    else:
        lines.append(f"headline {head.name}: {head.verdict.summary}")
        if head.verdict.runbook:
            lines.append(f"runbook: {head.verdict.runbook}")
    for side, rows in result.page_comparisons.items():
        if rows:
            shown = ", ".join(f"{r['operation']} {pct(r['diff_pct'])}" for r in rows if r["diff_pct"] is not None)
            lines.append(f"app's performanceMonitor (flag {side}): {shown or 'no differences reported'}")
    over = result.overhead()
    if over["ratio"] is not None:
        lines.append(f"flagdeck overhead: {over['overhead_ms']:.1f} ms per run vs {over['target_ms']:.0f} ms of "
                     f"reload and workload ({over['ratio'] * 100:.1f} %)")
    if result.restored:
        lines.append(f"flag: {result.restored.get('detail')} (backup {result.backup_id})")
    if result.baseline and result.baseline["action"] == "saved":
        lines.append(f"baseline saved: {result.baseline['name']} ({result.baseline['path']})")
    if result.saved_path:
        lines.append(f"saved: {result.saved_path}")
    lines += [f"note: {n}" for n in result.notes]
    return "\n".join(lines)


def progress_line(step: int, total: int, sample: RunSample, headline: str, *, auto: bool = False) -> str:
    value = sample.values.get(headline)
    shown = f"{headline} {value:.1f}" if value is not None else f"{headline} -"
    warm = " warm-up" if sample.warmup else ""
    where = f"run {step:>{len(str(total))}}/{total}" if not auto else (
        f"run {step:>2}, pair {sample.pair:>2} of at most {MAX_PAIRS}")
    return (f"  {where} {sample.side:>3}{warm}: {shown}  "
            f"(reload {sample.timing.get('reload', 0) + sample.timing.get('ready', 0):.0f} ms, "
            f"workload {sample.timing.get('workload', 0):.0f} ms)")


def look_line(look: Look) -> str:
    """The interval after a look of an automatic comparison, and whether it decides the tier."""
    unit = "pair" if look.paired else "on-side run"
    state = f"decides {look.decided}" if look.decided else "not decided yet"
    return (f"  after {look.pairs} {unit}{'s' if look.pairs != 1 else ''}: {look.degradation_pct:+.1f} % "
            f"({level_text(look.level)} CI {look.ci_low:+.1f} to {look.ci_high:+.1f} %): {state}")


def write_csv(result: CompareResult, path: Path) -> Path:
    """One row per run (warm-up included, marked), one column per metric; 0600."""
    names = list(result.metrics) or sorted({k for s in result.samples for k in s.values})
    extra = sorted({k for s in result.samples for k in s.values} - set(names))
    columns = names + extra
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["step", "pair", "side", "warmup", "at_s", *columns])
        for s in result.samples:
            writer.writerow([s.step, s.pair, s.side, int(s.warmup), f"{s.at:.3f}",
                             *("" if c not in s.values else f"{s.values[c]:.4f}" for c in columns)])
    return path
