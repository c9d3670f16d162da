"""Live flag flip through LiveStore vs a bare DevTools round trip, on running Chromium and QtWebEngine.

A flip is what the CLI does: read ``featureFlags`` → toggle a flag in the JSON → put → read back.
The baseline is one ``Runtime.evaluate("1")`` on the same page: the cost of any CDP message. The
ratio says how many round trips a flip costs (DOMStorage path: get + set + get = 3 expected).

    .venv/bin/python benchmarks/bench_live_flip.py [--n 200] [--engine chromium|qtwebengine|both]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flagdeck.storage import cdp
from flagdeck.storage.live_store import LiveStore, connect_live
from tests.live_support import FILE, start_app

KEY = "featureFlags"
FLAG = "USE_UNIFIED_DB_SERVICE"
WARMUP = 10


def flip(store: LiveStore) -> None:
    doc = json.loads(store.get(FILE, KEY) or "{}")
    doc[FLAG] = not doc.get(FLAG, False)
    text = json.dumps(doc, separators=(",", ":"))
    store.put(FILE, KEY, text)
    if store.get(FILE, KEY) != text:
        raise SystemExit("read back a different value: the flip did not take")


def median_ms(action: Callable[[], object], n: int) -> float:
    for _ in range(WARMUP):
        action()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def bench(engine: str, n: int, use_domstorage: bool) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix=f"flagdeck-bench-{engine}-") as tmp:
        app = start_app(engine, Path(tmp) / "profile", {FILE: {KEY: json.dumps({FLAG: False})}})
        try:
            with connect_live(app.port, leveldb_dir=app.leveldb) as store:
                store.use_domstorage = use_domstorage
                page = next(p for p in store.pages() if p.origin == FILE)
                with cdp.CDPSession(page.ws_url) as bare:
                    flip_ms = median_ms(lambda: flip(store), n)
                    bare_ms = median_ms(lambda: bare.evaluate("1"), n)
        finally:
            app.kill()
    return flip_ms, bare_ms


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="repetitions per figure (median reported)")
    parser.add_argument("--engine", choices=["chromium", "qtwebengine", "both"], default="both")
    args = parser.parse_args(argv)
    engines = ["chromium", "qtwebengine"] if args.engine == "both" else [args.engine]
    for engine in engines:
        for use_domstorage, path in ((True, "DOMStorage"), (False, "Runtime.evaluate")):
            flip_ms, bare_ms = bench(engine, args.n, use_domstorage)
            print(f"{engine} ({path}): live flip: {flip_ms:.2f} ms; bare CDP round trip: {bare_ms:.2f} ms; "
                  f"ratio {flip_ms / bare_ms:.1f} (median of {args.n})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
