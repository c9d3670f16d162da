"""The trigger board of ``flagdeck demo --fault slow=F``: what it shows and how long it takes.

Figures:  per fault, the board's performance trigger (aim: slow=1.8 CRITICAL, slow=1.35 MAJOR,
          slow=1.0 none), how it measured (against the baseline of the original path the demo
          saved when it started), the runs it took, and the seconds of the baseline and of the
          board's measurement; then the whole demo's wall time.
Baseline: the demo's other steps (start, verification, rollback), which the measurement adds to.
One ``python -m flagdeck --json demo --headless --fault slow=F`` process per fault, each in its own
data dir (a fresh demo profile, seeded as a user's first demo is), from one run of this script.

    .venv/bin/python benchmarks/bench_demo_triggers.py [--faults 1.8 1.35 1.0]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--faults", type=float, nargs="+", default=[1.8, 1.35, 1.0])
    args = ap.parse_args()
    for factor in args.faults:
        with tempfile.TemporaryDirectory(prefix="flagdeck-bench-demo-") as tmp:
            env = {**os.environ, "FLAGDECK_DATA_DIR": str(Path(tmp) / "data"),
                   "FLAGDECK_CONFIG_DIR": str(Path(tmp) / "config"), "QT_QPA_PLATFORM": "offscreen"}
            env.pop("DISPLAY", None)
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "flagdeck", "--json", "demo", "--headless", "--fault",
                                   f"slow={factor}"], capture_output=True, text=True, env=env, cwd=REPO)
            seconds = time.perf_counter() - t0
        if proc.returncode not in (0, 1):
            print(f"slow={factor}: demo failed (exit {proc.returncode}): {proc.stderr[-600:]}")
            continue
        demo = json.loads(proc.stdout)
        board = demo["board"]
        perf = board["perf"] or {}
        fired = [t for t in board["triggers"] if t["source"] == "perf"]
        shown = f"{fired[0]['severity'].upper()}: {fired[0]['observed']}" if fired else "no performance trigger"
        print(f"slow={factor}: {shown}")
        print(f"  {demo['baseline']}; board measured {perf.get('how')} in {perf.get('seconds')} s: "
              f"{perf.get('detail')}")
        print(f"  whole demo {seconds:.1f} s, rollback {demo['rollback']['outcome'] if demo['rollback'] else '-'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
