"""Offline flip of a profile holding ~50 MB of localStorage across many origins.

Figure:   flagdeck's ``flags set USE_UNIFIED_DB_SERVICE=false`` (in-process: lock, folder backup,
          open, origin backup, put with META, close, retention).
Baseline: the floor any safe offline write pays: copy the LevelDB folder + open + one plain
          synced ``put`` + close.
Each sample runs on a fresh copy of the same QtWebEngine-written profile (the copy is not timed),
flagdeck and floor interleaved; medians and their ratio come from one run. Aim: <= 1.2x, < 0.5 s.

    .venv/bin/python benchmarks/bench_offline_flip.py [--mb 50] [--origins 50] [--n 7]

The profile is written once by a real QtWebEngine and cached under the user cache dir.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import platformdirs
import plyvel_next as plyvel

from tests.conftest import write_qtwebengine_profile

FLAGS = '{"USE_UNIFIED_DB_SERVICE":true}'


def cached_profile(mb: int, origins: int) -> Path:
    cache = Path(platformdirs.user_cache_dir("flagdeck-bench")) / f"profile-{mb}mb-{origins}o"
    if not (cache / "Local Storage" / "leveldb" / "CURRENT").exists():
        shutil.rmtree(cache, ignore_errors=True)
        cache.parent.mkdir(parents=True, exist_ok=True)
        per_origin = mb * 1_000_000 // origins
        fill = {f"https://app{i:03d}.example.com": per_origin for i in range(origins)}
        print(f"writing a {mb} MB profile with QtWebEngine ({origins} origins)...", file=sys.stderr)
        write_qtwebengine_profile(cache, {"file://": {"featureFlags": FLAGS, "language": "en"}}, fill)
    return cache


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def floor_once(profile: Path, scratch: Path) -> float:
    leveldb = profile / "Local Storage" / "leveldb"
    start = time.perf_counter()
    shutil.copytree(leveldb, scratch / "copy", ignore=shutil.ignore_patterns("LOCK"))
    db = plyvel.DB(str(leveldb), create_if_missing=False)
    db.put(b"_file://\x00\x01featureFlags", b'\x01{"USE_UNIFIED_DB_SERVICE":false}', sync=True)
    db.close()
    return time.perf_counter() - start


def flagdeck_once(profile: Path) -> float:
    from flagdeck import flag_ops
    from flagdeck.targets.resolve import TargetOptions, resolve

    start = time.perf_counter()
    target = resolve(TargetOptions(user_data_dir=profile))
    result = flag_ops.write_flags(target, assignments=[("USE_UNIFIED_DB_SERVICE", False)])
    elapsed = time.perf_counter() - start
    assert result.after == '{"USE_UNIFIED_DB_SERVICE":false}', result.after
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=int, default=50)
    ap.add_argument("--origins", type=int, default=50)
    ap.add_argument("--n", type=int, default=7)
    args = ap.parse_args()

    source = cached_profile(args.mb, args.origins)
    work = Path(tempfile.mkdtemp(prefix="flagdeck-bench-"))
    os.environ["FLAGDECK_DATA_DIR"] = str(work / "data")
    size = folder_size(source / "Local Storage" / "leveldb")
    ours, floor = [], []
    try:
        for i in range(args.n + 1):  # the first pair warms caches and imports and is dropped
            for kind in ("flagdeck", "floor") if i % 2 else ("floor", "flagdeck"):
                run = work / f"run-{i}-{kind}"
                shutil.copytree(source, run / "profile", ignore=shutil.ignore_patterns("LOCK"))
                took = flagdeck_once(run / "profile") if kind == "flagdeck" else floor_once(run / "profile", run)
                if i:
                    (ours if kind == "flagdeck" else floor).append(took)
                shutil.rmtree(run)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    a, b = statistics.median(ours), statistics.median(floor)
    print(f"profile: {size / 1e6:.1f} MB of LevelDB files, {args.origins} origins (written by QtWebEngine)")
    print(f"offline flip (flagdeck): {a * 1000:.0f} ms  median of {args.n}")
    print(f"floor (copy folder + plain put): {b * 1000:.0f} ms")
    print(f"ratio: {a / b:.2f}x  (aim <= 1.2x and < 500 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
