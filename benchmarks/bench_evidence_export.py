"""Evidence export with a 10,000-line app-error log and 5 open pages (5 screenshots) on a running
Chromium, against zipping the same raw files (the log and the 5 PNGs) without manifest,
redaction or report. Target: the export in < 3 s.

The capture window is 0 s here (``--window 0``): the window is time the user chooses to watch the
app, not work flagdeck does. Two figures: the product's default tail limit (last 2,000 lines of
each log), and every one of the 10,000 lines through redaction and the manifest.

    .venv/bin/python benchmarks/bench_evidence_export.py
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import zipfile
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

LINES = 10_000
PAGES = 5
TARGET_S = 3.0
# Something to draw, so screenshots weigh what an app window's do (~100-300 KB), not a blank page's.
FILL_JS = ("(() => { const colors = ['#e63946', '#f1faee', '#a8dadc', '#457b9d', '#1d3557'];"
           " let html = ''; for (let i = 0; i < 600; i++) html += `<div style=\"display:inline-block;"
           "width:37px;height:23px;margin:1px;background:${colors[i % 5]};font:9px sans-serif\">${i}</div>`;"
           " document.body.innerHTML = '<h1>Topics</h1>' + html; return 1; })()")


def write_log(user_data_dir: Path) -> Path:
    logs = user_data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    now = datetime.now().astimezone()
    path = logs / f"app-error.{now:%Y-%m-%d}.log"
    with open(path, "w", encoding="utf-8") as fh:
        for n in range(LINES):
            fh.write(f"{now.isoformat(timespec='milliseconds')} [error] [DbService] message load failed "
                     f"topic={n:05d} err=TimeoutError: IndexedDB transaction aborted after 5000 ms\n")
    return path


def baseline_zip(files: list[Path], out: Path) -> float:
    """The floor: deflate the raw evidence files into a zip, nothing else."""
    start = time.perf_counter()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for path in files:
            zf.write(path, path.name)
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="flagdeck-bench-evidence-") as tmp_name:
        tmp = Path(tmp_name)
        os.environ["FLAGDECK_DATA_DIR"] = str(tmp / "data")
        os.environ["FLAGDECK_CONFIG_DIR"] = str(tmp / "config")
        from flagdeck.evidence import files
        from flagdeck.evidence.export import export
        from flagdeck.targets.resolve import TargetOptions, resolve
        from tests.live_support import FILE, start_app

        pages = {FILE: {"featureFlags": '{"USE_UNIFIED_DB_SERVICE":true}'}}
        for n in range(1, PAGES):
            pages[f"https://app{n}.example"] = {"k": str(n)}
        app = start_app("chromium", tmp / "ud", pages)
        try:
            log = write_log(app.user_data_dir)
            for origin in pages:
                app.page_eval(origin, FILL_JS)
            target = resolve(TargetOptions(target="cherry-studio", user_data_dir=app.user_data_dir,
                                           debug_port=app.port))
            export(target, out=tmp / "warmup.zip", window=0)  # imports, first DevTools sessions
            default = export(target, out=tmp / "default.zip", window=0)
            files.MAX_LINES, files.MAX_BYTES = LINES, 64_000_000
            full = export(target, out=tmp / "full.zip", window=0)
        finally:
            app.kill()
        assert default.screenshots == PAGES and full.screenshots == PAGES, (default.notes, full.notes)
        shots = tmp / "shots"
        with zipfile.ZipFile(full.path) as zf:
            zf.extractall(shots)
        kept = max(len(p.read_text(errors="replace").splitlines()) for p in shots.rglob("logs/*.log"))
        assert kept >= LINES, f"the 'all lines' export kept only {kept} log lines"
        raw = [log, *sorted(shots.rglob("screenshots/*.png"))]
        floor = baseline_zip(raw, tmp / "baseline.zip")
        shot_bytes = sum(p.stat().st_size for p in raw[1:])
        print(f"raw evidence: {LINES} log lines ({log.stat().st_size / 1e6:.2f} MB) + {PAGES} screenshots "
              f"({shot_bytes / 1e6:.2f} MB)")
        for label, result in (("default tail (2,000 lines)", default), (f"all {LINES} lines", full)):
            verdict = "OK" if result.seconds < TARGET_S else "OVER"
            print(f"evidence export, {label}: {result.seconds:.2f} s ({verdict}, target < {TARGET_S:g} s), "
                  f"{result.files} files, {result.zip_bytes / 1e6:.2f} MB; zip of the raw files: "
                  f"{floor * 1000:.0f} ms; ratio {result.seconds / floor:.1f}x (one run)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
