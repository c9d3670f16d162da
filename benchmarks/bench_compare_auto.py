"""The early-stopping comparison (``compare``, ``--runs auto``) repeated on the real demo target.

Figures:  out of ``--n`` comparisons at ``--fault slow=1.0`` (no change), how many were judged major
          or critical (false alarms; aim: none); out of ``--n`` at ``slow=1.7``, how many critical
          (aim: at least 9 of 10); the wall time of each 1.7x critical verdict, from the ``compare``
          process's start to its exit (aim: <= 15 s); pairs each took and why it stopped.
Baseline: the same comparison with a fixed count (``--runs 10``, the former default), once per fault,
          for its wall time.
Each comparison is a whole ``python -m flagdeck ... compare`` process against one running demo target
per fault (seeded once); the figures come from one run of this script.

    .venv/bin/python benchmarks/bench_compare_auto.py [--n 10] [--faults 1.0 1.7] [--seed-messages 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.demo_support import DemoTarget

REPO = Path(__file__).resolve().parents[1]


def one(demo: DemoTarget, env: dict[str, str], *runs: str) -> tuple[dict[str, object], float]:
    cmd = [sys.executable, "-m", "flagdeck", "--json", "--user-data-dir", str(demo.profile), "--debug-port",
           str(demo.port), "compare", "--no-chart", *runs]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)
    seconds = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"compare failed (exit {proc.returncode}): {proc.stderr[-800:]}")
    return json.loads(proc.stdout), seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10, help="automatic comparisons per fault (default 10)")
    ap.add_argument("--faults", type=float, nargs="+", default=[1.0, 1.7])
    ap.add_argument("--seed-messages", default="1000")
    args = ap.parse_args()
    lines = []
    with tempfile.TemporaryDirectory(prefix="flagdeck-bench-auto-") as tmp:
        env = {**os.environ, "FLAGDECK_DATA_DIR": str(Path(tmp) / "data"),
               "FLAGDECK_CONFIG_DIR": str(Path(tmp) / "config")}
        for factor in args.faults:
            fault = () if factor == 1.0 else ("--fault", f"slow={factor}")
            demo = DemoTarget.start(Path(tmp) / f"profile-{factor}", "--seed-messages", args.seed_messages, *fault)
            try:
                demo.wait_ready()
                fixed, fixed_s = one(demo, env, "--runs", "10")
                rows = []
                for i in range(args.n):
                    data, seconds = one(demo, env)
                    rows.append((str(data["severity"]), int(data["runs"]), seconds, float(data["degradation_pct"]),
                                 float(data["ci_low"]), float(data["ci_high"]), str(data["stopped"])))
                    print(f"slow={factor} #{i + 1}: {rows[-1][0]} after {rows[-1][1]} pairs in {seconds:.1f} s "
                          f"({rows[-1][3]:+.1f} %, CI {rows[-1][4]:+.1f} .. {rows[-1][5]:+.1f} %)", flush=True)
            finally:
                demo.kill()
            tiers = {t: sum(r[0] == t for r in rows) for t in ("critical", "major", "minor", "none")}
            secs = [r[2] for r in rows]
            crit = [r[2] for r in rows if r[0] == "critical"]
            lines.append(f"slow={factor}: {args.n} automatic comparisons: " + ", ".join(f"{t} {n}" for t, n in
                                                                                       tiers.items() if n))
            pairs = [r[1] for r in rows]
            lines.append(f"  pairs {statistics.median(pairs):.0f} median ({min(pairs)}-{max(pairs)}); wall time "
                         f"{statistics.median(secs):.1f} s median ({min(secs):.1f}-{max(secs):.1f})"
                         + (f"; critical verdicts in {statistics.median(crit):.1f} s median, {max(crit):.1f} s worst"
                            if crit else ""))
            lines.append(f"  baseline, --runs 10: {fixed['severity']} in {fixed_s:.1f} s "
                         f"(ratio of medians, auto/fixed: {statistics.median(secs) / fixed_s:.2f}x)")
            if factor == 1.0:
                alarms = tiers["major"] + tiers["critical"]
                lines.append(f"  false alarms (major or critical): {alarms} of {args.n} (aim: 0)")
            if factor >= 1.7:
                lines.append(f"  critical: {tiers['critical']} of {args.n} (aim: >= 9 of 10); "
                             f"aim <= 15 s per critical verdict")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
