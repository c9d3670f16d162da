"""Live Level-1 rollback end to end against a bare ``Page.reload`` of the same page.

Figure:   ``flagdeck rollback`` in-process (plan, capture, flag write with backup, reload, fast
          verification, record) on the demo target with the unified path on.
Baseline: ``Page.reload`` and its load event on the same page (what a person does in DevTools,
          minus typing).
Aim: rollback <= 1.5 x reload + 0.3 s. The runbook's budget is one minute.

    .venv/bin/python benchmarks/bench_rollback.py [--n 7] [--seed-messages 3000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flagdeck import flag_ops
from flagdeck.rollback import plan as rollback_plan
from flagdeck.rollback.run import run
from flagdeck.storage import cdp
from flagdeck.storage.live_store import connect_live
from flagdeck.targets.resolve import TargetOptions, resolve
from tests.demo_support import DemoTarget


def bare_reload(port: int) -> float:
    page = next(p for p in cdp.list_targets(port) if p.origin == "file://")
    with cdp.CDPSession(page.ws_url) as s:
        s.call("Page.enable")
        seen = s.event_count("Page.loadEventFired")
        start = time.perf_counter()
        s.call("Page.reload")
        s.wait_event("Page.loadEventFired", after=seen)
        return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=7)
    ap.add_argument("--seed-messages", type=int, default=3000)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="flagdeck-bench-rollback-"))
    os.environ["FLAGDECK_DATA_DIR"] = str(work / "data")
    target_proc = DemoTarget.start(work / "profile", "--seed-messages", str(args.seed_messages), "--fault",
                                   "data-loss", home=work / "home")
    try:
        target_proc.wait_ready()
        target = resolve(TargetOptions(user_data_dir=work / "profile", debug_port=target_proc.port,
                                       origin="file://"))
        reloads, rollbacks, steps, mitigated = [], [], [], []
        for i in range(args.n + 1):
            with connect_live(target.debug_port or 0, leveldb_dir=target.leveldb_dir) as live:  # not timed
                flag_ops.write_flags(target, assignments=[("USE_UNIFIED_DB_SERVICE", True)], live_store=live,
                                     reload=True, reason="bench: unified on")
            target_proc.wait_ready()
            reload_s = bare_reload(target.debug_port or 0)
            target_proc.wait_ready()
            start = time.perf_counter()
            result = run(rollback_plan.prepare(target))
            took = time.perf_counter() - start
            assert result.outcome == "verified", (result.outcome, result.error)
            if i:  # the first round warms imports and caches
                reloads.append(reload_s)
                rollbacks.append(took)
                steps.append({s.id: s.seconds for s in result.steps})
                flag = result.verify.result("flag") if result.verify else None
                mitigated.append(sum(s.seconds for s in result.steps if s.id in ("capture", "set-flag", "reload"))
                                 + (flag.seconds if flag else 0.0))
    finally:
        target_proc.kill()
    r, b, m = statistics.median(rollbacks), statistics.median(reloads), statistics.median(mitigated)
    aim = 1.5 * b + 0.3
    print(f"demo target: {args.seed_messages} messages, fault data-loss on the unified path")
    print(f"bare Page.reload: {b * 1000:.0f} ms  median of {args.n}; aim 1.5x + 0.3 s = {aim * 1000:.0f} ms")
    print(f"rolled back (capture, flag write, reload, flag in effect): {m * 1000:.0f} ms, ratio {m / b:.2f}x "
          f"-> {'met' if m <= aim else 'missed'}")
    print(f"end to end with the functional verification: {r * 1000:.0f} ms, ratio {r / b:.2f}x "
          f"-> {'met' if r <= aim else 'missed'}; runbook budget 60 s")
    for step in steps[0]:
        print(f"  {step:9} {statistics.median(s[step] for s in steps) * 1000:6.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
