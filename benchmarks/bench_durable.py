"""Time to disk of a live flag write: what a user pays for "durable", against what it saves.

Per engine (Debian's Chromium, QtWebEngine), on a running app with a debug port, one run:

- flagdeck: the whole CLI process ``flagdeck flags set USE_UNIFIED_DB_SERVICE=<v> --reload``
  (write, park the page so Chromium commits, read the disk back, load the page again), and the
  "on disk in" figure it reports;
- floor: the same change the runbook's way, ``localStorage.setItem`` + ``Page.reload`` over one bare
  DevTools session (not durable: a crash loses it);
- baseline: how long Chromium itself takes to put that change on disk when nobody parks the page
  (``setItem``, then poll the disk; the delay its commit rate limiter stretches).

    .venv/bin/python benchmarks/bench_durable.py [--n 5] [--engine chromium|qtwebengine|both]
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

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from flagdeck.storage import cdp, durable  # noqa: E402
from tests.live_support import FILE, start_app  # noqa: E402

KEY = "featureFlags"


def doc(value: bool) -> str:
    return json.dumps({"USE_UNIFIED_DB_SERVICE": value}, separators=(",", ":"))


def cli_flip(ud: Path, port: int, value: bool) -> tuple[float, float]:
    """(whole process seconds, the 'on disk in' seconds it reported)."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "flagdeck", "--json", "--user-data-dir", str(ud), "--debug-port", str(port),
         "flags", "set", f"USE_UNIFIED_DB_SERVICE={'true' if value else 'false'}", "--reload"],
        capture_output=True, text=True, cwd=REPO, env=dict(os.environ), timeout=120,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"flagdeck failed ({proc.returncode}): {proc.stderr}")
    return wall, float(json.loads(proc.stdout)["durability"]["seconds"])


def bare_flip(session: cdp.CDPSession, value: bool) -> float:
    start = time.perf_counter()
    session.evaluate(f"localStorage.setItem({json.dumps(KEY)}, {json.dumps(doc(value))})")
    seen = session.event_count("Page.loadEventFired")
    session.call("Page.reload")
    session.wait_event("Page.loadEventFired", timeout=30, after=seen)
    return time.perf_counter() - start


def own_commit(session: cdp.CDPSession, leveldb: Path, value: bool) -> float | None:
    session.evaluate(f"localStorage.setItem({json.dumps(KEY)}, {json.dumps(doc(value))})")
    return durable.wait_on_disk(leveldb, FILE, {KEY: doc(value)}, timeout=90)


def bench(engine: str, n: int) -> None:
    with tempfile.TemporaryDirectory(prefix=f"flagdeck-bench-durable-{engine}-") as tmp:
        home = Path(tmp) / "home"
        os.environ.update(FLAGDECK_DATA_DIR=str(home / "data"), FLAGDECK_CONFIG_DIR=str(home / "config"))
        app = start_app(engine, Path(tmp) / "ud", {FILE: {KEY: doc(True), "other": "x" * 1000}})
        try:
            cli_flip(app.user_data_dir, app.port, False)  # warm-up (imports, first connection)
            walls, disks = [], []
            for i in range(n):
                wall, disk = cli_flip(app.user_data_dir, app.port, i % 2 == 0)
                walls.append(wall)
                disks.append(disk)
            page = next(p for p in cdp.list_targets(app.port) if p.origin == FILE)
            with cdp.CDPSession(page.ws_url) as session:
                session.call("Page.enable")
                bares = [bare_flip(session, i % 2 == 1) for i in range(n)]
                commits = [own_commit(session, app.leveldb, v) for v in (True, False, True)]
        finally:
            app.kill()
    wall, disk, bare = statistics.median(walls), statistics.median(disks), statistics.median(bares)
    waited = [c for c in commits if c is not None]
    print(f"{engine}: flagdeck flags set --reload, whole process {wall:.2f} s, of which on disk in {disk:.2f} s "
          f"(median of {n}); floor setItem + Page.reload {bare:.2f} s (not durable); ratio {wall / bare:.1f}x")
    print(f"{engine}: Chromium's own commit without parking: "
          + ", ".join(f"{c:.1f} s" if c is not None else "> 90 s" for c in commits)
          + (f"; parking is {statistics.median(waited) / disk:.0f}x faster to disk" if waited else ""))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5)
    parser.add_argument("--engine", choices=["chromium", "qtwebengine", "both"], default="both")
    args = parser.parse_args(argv)
    for engine in ["chromium", "qtwebengine"] if args.engine == "both" else [args.engine]:
        bench(engine, args.n)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
