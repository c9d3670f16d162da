"""flagdeck's own cost inside a performance comparison, against the real demo target.

Per run, flagdeck's overhead is the flag switch (one read and one write over DevTools), the
collection (timings, CDP metrics, renderer CPU/RSS, the app's performanceMonitor) and its
bookkeeping; the baseline is what the app itself spends in that run: the reload until it is
ready, plus the workload. Target: overhead under 5 % of a run. Also prints how long the whole
comparison took (10 pairs by default, plus the warm-up pair).

    .venv/bin/python benchmarks/bench_compare_overhead.py [--runs 10] [--fault slow=1.35] [--seed-messages 1000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flagdeck.perf.runner import compare
from flagdeck.perf.stats import median
from flagdeck.targets.resolve import TargetOptions, resolve
from tests.demo_support import DemoTarget

TARGET_RATIO = 0.05


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="measured pairs (default 10)")
    parser.add_argument("--fault", default="slow=1.35", help="demo target fault (default slow=1.35; 'none')")
    parser.add_argument("--seed-messages", default="1000")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="flagdeck-bench-compare-") as tmp:
        os.environ["FLAGDECK_DATA_DIR"] = str(Path(tmp) / "data")  # results land here, not in the user's data
        fault = () if args.fault == "none" else ("--fault", args.fault)
        demo = DemoTarget.start(Path(tmp) / "profile", "--seed-messages", args.seed_messages, *fault)
        try:
            demo.wait_ready()
            target = resolve(TargetOptions(user_data_dir=demo.profile, debug_port=demo.port))
            t0 = time.monotonic()
            result = compare(target, runs=args.runs, seed=1, save=False)
            seconds = time.monotonic() - t0
        finally:
            demo.kill()
    runs = result.samples
    own = median([s.overhead_ms for s in runs])
    app = median([s.target_ms for s in runs])
    parts = {k: median([s.timing[k] for s in runs]) for k in ("switch", "collect", "bookkeeping", "reload", "ready",
                                                                  "workload")}
    ratio = own / app
    print(f"flagdeck overhead per run: {own:.1f} ms (switch {parts['switch']:.1f}, collect {parts['collect']:.1f}, "
          f"bookkeeping {parts['bookkeeping']:.2f}); median of {len(runs)} runs")
    print(f"baseline, the app's reload + workload per run: {app:.0f} ms (reload {parts['reload']:.0f}, ready "
          f"{parts['ready']:.0f}, workload {parts['workload']:.0f})")
    verdict_ok = "ok" if ratio < TARGET_RATIO else "TOO HIGH"
    print(f"ratio {ratio * 100:.2f} % (target < {TARGET_RATIO * 100:.0f} %): {verdict_ok}")
    head = result.head
    verdict = head.verdict.summary if head else "no headline"
    print(f"whole comparison: {seconds:.1f} s for {args.runs} pairs + warm-up ({result.headline}: {verdict})")
    return 0 if ratio < TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
