"""Many flags in one ``flags set --force``: the whole CLI process, 1,000 / 3,000 / 10,000 flags.

Figure:   wall time of ``flagdeck --user-data-dir P flags set --force FLAG_00001=true ...`` (a new
          process: start, lock, folder backup, open, one edit of the document, write, history,
          retention) on a closed profile, for each size.
Baseline: the same command with one flag (what every write pays whatever its size), and the time
          per flag at 1,000. The ratio of the per-flag time at 10,000 to the one at 1,000 says
          whether the cost grows linearly (<= 1) or faster; it was 8x when each flag re-parsed the
          document (1,000: 1.2 s, 3,000: 8.3 s, 10,000: 96 s).
Each sample runs on a fresh copy of the same QtWebEngine-written profile (the copy is not timed);
medians of ``--n`` runs, all from one run of this script.

    .venv/bin/python benchmarks/bench_many_flags.py [--n 3] [--sizes 1000 3000 10000]

The profile is written once by a real QtWebEngine and cached under the user cache dir.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import platformdirs

from tests.conftest import write_qtwebengine_profile

FLAGS = '{"USE_UNIFIED_DB_SERVICE":true}'
REPO = Path(__file__).resolve().parents[1]


def cached_profile() -> Path:
    cache = Path(platformdirs.user_cache_dir("flagdeck-bench")) / "profile-flags-only"
    if not (cache / "Local Storage" / "leveldb" / "CURRENT").exists():
        shutil.rmtree(cache, ignore_errors=True)
        cache.parent.mkdir(parents=True, exist_ok=True)
        print("writing a profile with QtWebEngine...", file=sys.stderr)
        write_qtwebengine_profile(cache, {"file://": {"featureFlags": FLAGS, "language": "en"}})
    return cache


def run_once(source: Path, work: Path, count: int) -> float:
    """One CLI process setting ``count`` flags on a fresh copy of ``source``; its wall time."""
    profile = work / "profile"
    shutil.copytree(source, profile, ignore=shutil.ignore_patterns("LOCK"))
    args = [f"FLAG_{i:05d}={'true' if i % 2 else 'false'}" for i in range(1, count + 1)]
    env = {**os.environ, "FLAGDECK_DATA_DIR": str(work / "data"), "FLAGDECK_CONFIG_DIR": str(work / "config")}
    cmd = [sys.executable, "-m", "flagdeck", "--user-data-dir", str(profile), "flags", "set", "--force", *args]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"flags set of {count} flags failed (exit {proc.returncode}): {proc.stderr[-500:]}")
    shutil.rmtree(work)
    return took


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=3, help="runs per size (median)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000, 10000])
    args = ap.parse_args()

    source = cached_profile()
    scratch = Path(tempfile.mkdtemp(prefix="flagdeck-bench-"))
    sizes = [1, *args.sizes]
    samples: dict[int, list[float]] = {n: [] for n in sizes}
    try:
        run_once(source, scratch / "warm-up", 1)  # imports and caches warm, not counted
        for i in range(args.n):
            for n in sizes if i % 2 == 0 else list(reversed(sizes)):
                samples[n].append(run_once(source, scratch / f"run-{i}-{n}", n))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    median = {n: statistics.median(v) for n, v in samples.items()}
    fixed = median[1]
    print(f"one flag (the fixed cost of a write): {fixed:.2f} s  median of {args.n}")
    for n in args.sizes:
        beyond = max(median[n] - fixed, 0.0)
        print(f"{n:>6,} flags: {median[n]:6.2f} s  ({median[n] / n * 1000:.3f} ms a flag; "
              f"{beyond / n * 1000:.3f} ms a flag beyond the fixed cost)")
    low, high = min(args.sizes), max(args.sizes)
    ratio = (median[high] / high) / (median[low] / low)
    print(f"per-flag time at {high:,} vs {low:,}: {ratio:.2f}x  (aim <= 1x: linear; was 8x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
