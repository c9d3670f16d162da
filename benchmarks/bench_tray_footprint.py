"""The tray's footprint: cold start to the icon shown, idle memory, idle CPU.

Figure:   ``flagdeck tray --hidden`` on the demo target running with a debug port (so the tray reads
          it live and keeps a DevTools watch open), under Xvfb with ``trayer`` as the tray host.
Baseline: an empty PySide6 tray app (a QApplication, a QSystemTrayIcon with a menu) started the
          same way: a new Python process with the same environment.
Limits:   start < 1.5 s, idle RSS < 150 MB, idle CPU < 0.5 % of a core over a minute.

Start is measured from outside, the same way for both: from ``Popen`` until the icon's window is
embedded in the tray panel (``xwininfo``). Both start ``--starts`` times, alternating (median; a
first start of each, not counted, leaves Python's bytecode cache written as an installed app has
it); then both idle side by side for ``--idle`` seconds, sampled with psutil. One run prints all
three, each with its ratio to the baseline. Aim for the start: <= 2x.

    .venv/bin/python benchmarks/bench_tray_footprint.py [--idle 60] [--starts 3]
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

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.demo_support import DemoTarget
from tests.ui.xserver import XSession, stop_process

START_LIMIT_S, RSS_LIMIT_MB, CPU_LIMIT_PCT = 1.5, 150.0, 0.5

EMPTY_TRAY = """
import sys
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon
app = QApplication(sys.argv)
app.setQuitOnLastWindowClosed(False)
pixmap = QPixmap(22, 22)
pixmap.fill(QColor("#2e7d32"))
tray = QSystemTrayIcon(QIcon(pixmap))
menu = QMenu()
menu.addAction("Quit", app.quit)
tray.setContextMenu(menu)
tray.show()
sys.exit(app.exec())
"""


def start_and_wait_icon(x: XSession, argv: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[bytes], float]:
    before = {icon[0] for icon in x.tray_icons()}
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = t0 + 30
    while time.perf_counter() < deadline:
        if any(icon[0] not in before for icon in x.tray_icons()):
            return proc, time.perf_counter() - t0
        if proc.poll() is not None:
            raise RuntimeError(f"{argv} exited with {proc.returncode} before showing its icon")
        time.sleep(0.005)
    proc.kill()
    raise RuntimeError(f"{argv}: no tray icon after 30 s")


def ratio(figure: float, baseline: float) -> str:
    return f"{figure / baseline:.2f}x" if baseline > 0 else "n/a (baseline 0)"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--idle", type=float, default=60.0, help="seconds of idle CPU sampling (default 60)")
    ap.add_argument("--starts", type=int, default=3, help="starts of each, alternating (median; default 3)")
    ap.add_argument("--seed-messages", type=int, default=300)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="flagdeck-bench-tray-"))
    home = work / "home"
    base_env = dict(os.environ)
    base_env.update(HOME=str(home), FLAGDECK_DATA_DIR=str(home / "data"), FLAGDECK_CONFIG_DIR=str(home / "config"),
                    XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"),
                    XDG_CACHE_HOME=str(home / ".cache"))
    base_env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode as an installed app has it, kept out of the tree:
    base_env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    x = XSession.start(tray=True)
    env = x.env(base_env)
    demo = DemoTarget.start(work / "profile", "--seed-messages", str(args.seed_messages), home=work / "demo-home")
    empty_script = work / "empty_tray.py"
    empty_script.write_text(EMPTY_TRAY)
    flagdeck_argv = [sys.executable, "-m", "flagdeck", "--user-data-dir", str(work / "profile"), "tray", "--hidden"]
    empty_argv = [sys.executable, str(empty_script)]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        demo.wait_ready()
        starts: dict[str, list[float]] = {"flagdeck": [], "empty": []}
        for argv in (empty_argv, flagdeck_argv):  # warm-up: bytecode written, files in the page cache
            stop_process(start_and_wait_icon(x, argv, env)[0], 15)
            time.sleep(0.3)
        for i in range(args.starts):
            for name, argv in (("empty", empty_argv), ("flagdeck", flagdeck_argv)):
                proc, seconds = start_and_wait_icon(x, argv, env)
                starts[name].append(seconds)
                if i < args.starts - 1:
                    stop_process(proc, 15)
                    time.sleep(0.3)
                else:
                    procs.append(proc)
        empty, flagdeck = procs
        time.sleep(5.0)  # the first read, the DevTools watch, the thread pool's first work all settle
        handles = {"empty": psutil.Process(empty.pid), "flagdeck": psutil.Process(flagdeck.pid)}
        maps = Path(f"/proc/{flagdeck.pid}/maps").read_text()
        rss = {name: p.memory_info().rss / 2**20 for name, p in handles.items()}
        cpu0 = {name: sum(p.cpu_times()[:2]) for name, p in handles.items()}
        t0 = time.monotonic()
        time.sleep(args.idle)
        elapsed = time.monotonic() - t0
        cpu = {name: (sum(p.cpu_times()[:2]) - cpu0[name]) / elapsed * 100 for name, p in handles.items()}
        rss_end = {name: p.memory_info().rss / 2**20 for name, p in handles.items()}
    finally:
        for proc in procs:
            stop_process(proc, 15)
        demo.kill()
        x.stop()

    start_f, start_b = statistics.median(starts["flagdeck"]), statistics.median(starts["empty"])
    ok = {"start": start_f < START_LIMIT_S, "rss": rss_end["flagdeck"] < RSS_LIMIT_MB,
          "cpu": cpu["flagdeck"] < CPU_LIMIT_PCT, "webengine": "WebEngine" not in maps}
    print(f"tray footprint, flagdeck vs an empty PySide6 tray app (Xvfb + trayer, demo target live; "
          f"{args.starts} starts each, {elapsed:.0f} s idle)")
    print(f"  cold start to icon shown: {start_f:.3f} s vs {start_b:.3f} s  ratio {ratio(start_f, start_b)}  "
          f"(aim <= 2x; limit {START_LIMIT_S} s: {'ok' if ok['start'] else 'OVER'}; all: "
          f"{', '.join(f'{s:.3f}' for s in starts['flagdeck'])} vs {', '.join(f'{s:.3f}' for s in starts['empty'])})")
    print(f"  idle RSS:                 {rss_end['flagdeck']:.1f} MB vs {rss_end['empty']:.1f} MB  ratio "
          f"{ratio(rss_end['flagdeck'], rss_end['empty'])}  (limit {RSS_LIMIT_MB:.0f} MB: "
          f"{'ok' if ok['rss'] else 'OVER'}; {rss['flagdeck']:.1f} MB at the start of the idle minute)")
    print(f"  idle CPU:                 {cpu['flagdeck']:.3f} % vs {cpu['empty']:.3f} % of a core  ratio "
          f"{ratio(cpu['flagdeck'], cpu['empty'])}  (limit {CPU_LIMIT_PCT} %: {'ok' if ok['cpu'] else 'OVER'})")
    print(f"  QtWebEngine mapped into the tray process: {'no' if ok['webengine'] else 'YES'}")
    return 0 if all(ok.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
