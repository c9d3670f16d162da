"""Offline flip of a closed profile holding ~50 MB of localStorage over 13 origins, as a whole process.

Figure:   ``flagdeck --user-data-dir P flags set USE_UNIFIED_DB_SERVICE=false``: a new process
          (interpreter start, imports, lock, folder backup, checks on a snapshot, one synced write
          batch, history row, retention), what a user waits for.
Baseline: the floor process any safe offline write pays: start the same Python, copy the LevelDB
          folder (the backup), open the folder, one synced ``put`` (flagdeck's batch is synced
          too), close.
Both run on fresh copies of the same QtWebEngine-written profile (the copy is not timed), the two
interleaved, ``--n`` times each; medians and their ratio come from one run. Aim: <= 2x.

Two states of the same profile, each its own line:

- settled: the data in LevelDB tables, as after the app's next start (the usual state; the issue's
  452 ms vs 57 ms was measured so);
- as written: ~50 MB still in LevelDB's logs, as QtWebEngine left them; opening the folder replays
  them, and flagdeck opens it twice (its snapshot, then the write) where the floor opens it once.

    .venv/bin/python benchmarks/bench_offline_flip.py [--mb 50] [--origins 13] [--n 5]

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
import plyvel_next as plyvel

from tests.conftest import write_qtwebengine_profile

FLAGS = '{"USE_UNIFIED_DB_SERVICE":true}'
REPO = Path(__file__).resolve().parents[1]

FLOOR = """
import shutil, sys
import plyvel_next as plyvel
leveldb, copy = sys.argv[1], sys.argv[2]
shutil.copytree(leveldb, copy, ignore=shutil.ignore_patterns("LOCK"))
db = plyvel.DB(leveldb, create_if_missing=False)
db.put(b"_file://\\x00\\x01featureFlags", b'\\x01{"USE_UNIFIED_DB_SERVICE":false}', sync=True)
db.close()
"""


def cached_profile(mb: int, origins: int) -> Path:
    cache = Path(platformdirs.user_cache_dir("flagdeck-bench")) / f"profile-{mb}mb-{origins}o"
    if not (cache / "Local Storage" / "leveldb" / "CURRENT").exists():
        shutil.rmtree(cache, ignore_errors=True)
        cache.parent.mkdir(parents=True, exist_ok=True)
        per_origin = mb * 1_000_000 // (origins - 1)
        fill = {f"https://app{i:03d}.example.com": per_origin for i in range(origins - 1)}  # + file://
        print(f"writing a {mb} MB profile with QtWebEngine ({origins} origins)...", file=sys.stderr)
        write_qtwebengine_profile(cache, {"file://": {"featureFlags": FLAGS, "language": "en"}}, fill)
    return cache


def settled_copy(source: Path, dest: Path) -> Path:
    """``source`` as the app leaves it after its next start: the logs replayed into tables."""
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("LOCK"))
    plyvel.DB(str(dest / "Local Storage" / "leveldb"), create_if_missing=False).close()
    return dest


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:4]}... failed (exit {proc.returncode}): {proc.stderr[-800:]}")
    return took


def flagdeck_once(profile: Path, env: dict[str, str]) -> float:
    return timed([sys.executable, "-m", "flagdeck", "--user-data-dir", str(profile), "flags", "set",
                  "USE_UNIFIED_DB_SERVICE=false"], env)


def floor_once(profile: Path, scratch: Path, env: dict[str, str]) -> float:
    return timed([sys.executable, "-c", FLOOR, str(profile / "Local Storage" / "leveldb"), str(scratch / "copy")], env)


def measure(source: Path, work: Path, n: int, env: dict[str, str]) -> tuple[list[float], list[float]]:
    ours, floor = [], []
    for i in range(n + 1):  # the first pair warms the page cache and the interpreter's files: dropped
        for kind in ("flagdeck", "floor") if i % 2 else ("floor", "flagdeck"):
            run = work / f"run-{i}-{kind}"
            shutil.copytree(source, run / "profile", ignore=shutil.ignore_patterns("LOCK"))
            took = flagdeck_once(run / "profile", env) if kind == "flagdeck" else floor_once(run / "profile", run, env)
            if i:
                (ours if kind == "flagdeck" else floor).append(took)
            shutil.rmtree(run)
    return ours, floor


def line(name: str, ours: list[float], floor: list[float]) -> str:
    a, b = statistics.median(ours), statistics.median(floor)
    return (f"{name}: flagdeck {a * 1000:.0f} ms, floor {b * 1000:.0f} ms, ratio {a / b:.2f}x  "
            f"(medians of {len(ours)}; flagdeck {', '.join(f'{x * 1000:.0f}' for x in ours)}; "
            f"floor {', '.join(f'{x * 1000:.0f}' for x in floor)})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=int, default=50)
    ap.add_argument("--origins", type=int, default=13)
    ap.add_argument("--n", type=int, default=5)
    args = ap.parse_args()

    source = cached_profile(args.mb, args.origins)
    work = Path(tempfile.mkdtemp(prefix="flagdeck-bench-"))
    home = work / "home"
    # flagdeck's own folders where a user has them (platformdirs under HOME), not FLAGDECK_DATA_DIR
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / ".local/share"),
           "XDG_CONFIG_HOME": str(home / ".config"), "XDG_CACHE_HOME": str(home / ".cache")}
    for name in ("FLAGDECK_DATA_DIR", "FLAGDECK_CONFIG_DIR", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")  # bytecode as an installed app has it (warm-up pair)
    try:
        settled = settled_copy(source, work / "settled")
        sizes = {name: folder_size(p / "Local Storage" / "leveldb") for name, p in
                 (("settled", settled), ("as written", source))}
        results = {"settled": measure(settled, work, args.n, env), "as written": measure(source, work, args.n, env)}
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"offline flip, whole process, {args.mb} MB of localStorage over {args.origins} origins "
          f"(written by QtWebEngine; LevelDB files: settled {sizes['settled'] / 1e6:.1f} MB, "
          f"as written {sizes['as written'] / 1e6:.1f} MB)")
    for name, (ours, floor) in results.items():
        print("  " + line(name, ours, floor))
    print("  aim: <= 2x (floor: start Python, copy the folder, open it, one synced put)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
