"""The PyInstaller bundle against a venv: size on disk and cold start of the CLI.

Figure:   the bundle (``./flagdeck.sh package``): size of ``dist/flagdeck/``; wall time of
          ``flagdeck --version`` and ``flagdeck --json --user-data-dir P status`` (a new process each,
          on a closed Chromium profile): the first run, then the median wall and CPU (user +
          system) time of ``--n`` runs.
          Also ``flagdeck tray --hidden`` from start to its icon embedded in the tray (Xvfb and
          trayer, as tests/ui do; no target found, so it reads nothing), median of ``--n`` starts.
Baseline: the same commands through a venv's ``flagdeck`` script (``--venv``, default ``.venv``),
          and the size of that venv's ``lib/`` (its Python packages; the interpreter is the system's).

    .venv/bin/python benchmarks/bench_bundle.py [--bundle dist/flagdeck/flagdeck] [--venv DIR] [--n 5]

Both run with ``env -i PATH=/usr/bin:/bin HOME=<temp>`` so neither finds the other's settings.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


def timed(argv: list[str], home: Path) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run: CPU time is what a loaded machine
    disturbs least."""
    start = time.perf_counter()
    proc = subprocess.Popen(["env", "-i", "PATH=/usr/bin:/bin", f"HOME={home}", *argv],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{argv}: exit status {status}: {proc.stderr.read().decode()[-500:]}")  # type: ignore[union-attr]
    return took, usage.ru_utime + usage.ru_stime


def tray_start(exe: Path, home: Path, x: object) -> float:
    """Seconds from ``Popen`` to the tray icon embedded in the panel (one instance at a time)."""
    from tests.ui.xserver import stop_process

    start = time.perf_counter()
    proc = subprocess.Popen(["env", "-i", "PATH=/usr/bin:/bin", f"HOME={home}", f"DISPLAY={x.display}",  # type: ignore[attr-defined]
                             str(exe), "tray", "--hidden"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        while not x.tray_icons():  # type: ignore[attr-defined]
            if proc.poll() is not None or time.perf_counter() - start > 60:
                raise SystemExit(f"{exe} tray: no icon (exit {proc.poll()})")
            time.sleep(0.01)
        return time.perf_counter() - start
    finally:
        stop_process(proc)
        while x.tray_icons():  # type: ignore[attr-defined]
            time.sleep(0.05)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bundle", type=Path, default=REPO / "dist" / "flagdeck" / "flagdeck")
    ap.add_argument("--venv", type=Path, default=REPO / ".venv")
    ap.add_argument("--n", type=int, default=5)
    args = ap.parse_args()
    from tests.conftest import PROFILE_CONTENT
    from tests.engines import chromium

    with tempfile.TemporaryDirectory() as tmp:
        profile = Path(tmp) / "profile"
        chromium.write_profile(profile, PROFILE_CONTENT)
        home = Path(tmp) / "home"
        home.mkdir()
        rows = []
        for label, exe in (("bundle", args.bundle), ("venv", args.venv / "bin" / "flagdeck")):
            for what, tail in (("--version", ["--version"]),
                               ("--json status", ["--json", "--user-data-dir", str(profile), "status"])):
                first = timed([str(exe), *tail], home)[0]
                runs = [timed([str(exe), *tail], home) for _ in range(args.n)]
                rows.append((label, what, first, statistics.median(r[0] for r in runs),
                             statistics.median(r[1] for r in runs)))
        from tests.ui.xserver import XSession

        x = XSession.start(tray=True)
        try:
            starts: dict[str, list[float]] = {"bundle": [], "venv": []}
            for _ in range(args.n):
                for label, exe in (("bundle", args.bundle), ("venv", args.venv / "bin" / "flagdeck")):
                    starts[label].append(tray_start(exe, home, x))
        finally:
            x.stop()
        print(f"size: bundle {size_mb(args.bundle.parent):.0f} MB, venv lib/ {size_mb(args.venv / 'lib'):.0f} MB")
        for label, runs in starts.items():
            print(f"{label:6} tray --hidden to icon shown: median of {args.n} {statistics.median(runs) * 1000:5.0f} ms "
                  f"(runs: {', '.join(f'{r:.2f}' for r in runs)} s)")
        for label, what, first, median, cpu in rows:
            print(f"{label:6} {what:14} first {first * 1000:5.0f} ms  median of {args.n}: "
                  f"wall {median * 1000:5.0f} ms, CPU {cpu * 1000:5.0f} ms")


if __name__ == "__main__":
    main()
