"""A simulated fleet on one machine: 50 flagdeck agents following one Unleash.

Figure:   time from a flag flipped in Unleash (the admin API call) until all 50 workstations' profiles
          hold the new value on disk; the CPU and memory of one idle agent; the Unleash server's
          CPU per poll, extrapolated to 1,000 workstations.
Setup:    a real Unleash 6 with its own PostgreSQL on loopback (``tests/unleash_server.py``); 50 small
          profiles (copies of one written by a real QtWebEngine, the app closed: offline writes);
          50 agents as separate processes (``flagdeck fleet sync --watch``), each with its own data
          and config dir, keyring file and machine id (``FLAGDECK_MACHINE_ID``), polling every
          ``--interval`` seconds.
Baseline: the polling interval itself (a change waits for the next poll: on average half an
          interval, at most one), and, for the idle agent, a bare ``UnleashClient`` polling the same
          server at the same interval in its own process.

    .venv/bin/python benchmarks/bench_fleet.py [--agents 50] [--interval 5] [--idle 30]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flagdeck.storage.flags import FlagDocument
from flagdeck.storage.leveldb_store import LevelDBStore
from tests import unleash_server
from tests.conftest import write_qtwebengine_profile

FLAG = "USE_UNIFIED_DB_SERVICE"
REPO = Path(__file__).resolve().parents[1]

BARE_CLIENT = """
import sys, time, tempfile
from UnleashClient import UnleashClient
c = UnleashClient(url=sys.argv[1], app_name="bare", custom_headers={"Authorization": sys.argv[2]},
                  refresh_interval=int(sys.argv[3]), disable_metrics=True, cache_directory=tempfile.mkdtemp())
c.initialize_client()
print("ready", flush=True)
while True:
    time.sleep(3600)
"""


def agent_env(base: Path, i: int) -> dict[str, str]:
    home = base / f"agent-{i}"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(HOME=str(home), FLAGDECK_DATA_DIR=str(home / "data"), FLAGDECK_CONFIG_DIR=str(home / "config"),
               XDG_DATA_HOME=str(home / "xdg-data"), XDG_CONFIG_HOME=str(home / "xdg-config"),
               XDG_CACHE_HOME=str(home / "xdg-cache"), FLAGDECK_MACHINE_ID=f"ws-{i}",
               PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring", FLAGDECK_NOTIFY_EXIT_WAIT="0")
    return env


def holds(profile: Path, value: bool) -> bool:
    try:
        with LevelDBStore.open_read(profile / "Local Storage" / "leveldb") as store:
            return (FlagDocument.parse(store.get("file://", "featureFlags")).values or {}).get(FLAG) is value
    except Exception:
        return False


def wait_all(profiles: list[Path], value: bool, t0: float, timeout: float) -> list[float]:
    """Seconds from ``t0`` until each profile held ``value`` (read from private copies, round robin)."""
    done: dict[int, float] = {}
    deadline = t0 + timeout
    while len(done) < len(profiles):
        for i, p in enumerate(profiles):
            if i not in done and holds(p, value):
                done[i] = time.monotonic() - t0
        if time.monotonic() > deadline:
            raise SystemExit(f"only {len(done)} of {len(profiles)} profiles hold {value} after {timeout:.0f} s")
        time.sleep(0.05)
    return [done[i] for i in range(len(profiles))]


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its descendants, those it has reaped included (PostgreSQL's
    backends come and go)."""
    try:
        root = psutil.Process(pid)
        t = root.cpu_times()
        total = t.user + t.system + t.children_user + t.children_system
        kids = root.children(recursive=True)
    except psutil.NoSuchProcess:
        return 0.0
    for kid in kids:
        try:
            k = kid.cpu_times()
            total += k.user + k.system
        except psutil.NoSuchProcess:
            pass
    return total


def sample(pids: list[int], seconds: float) -> list[tuple[float, float]]:
    """(CPU % of one core over ``seconds``, RSS MB at the end) of each process tree."""
    before = [tree_cpu(pid) for pid in pids]
    t0 = time.monotonic()
    time.sleep(seconds)
    spent = time.monotonic() - t0
    return [((tree_cpu(pid) - b) / spent * 100, psutil.Process(pid).memory_info().rss / 2**20)
            for pid, b in zip(pids, before, strict=True)]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--agents", type=int, default=50)
    ap.add_argument("--interval", type=int, default=5, help="seconds between an agent's polls")
    ap.add_argument("--idle", type=float, default=30.0, help="seconds of idle sampling")
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="flagdeck-bench-fleet-"))
    server = unleash_server.start()
    agents: list[subprocess.Popen[str]] = []
    bare: subprocess.Popen[str] | None = None
    try:
        if not server.has_flag(FLAG):
            server.create_flag(FLAG)
        server.switch(FLAG, False)
        template = base / "template"
        write_qtwebengine_profile(template, {"file://": {"featureFlags": json.dumps({FLAG: False}),
                                                         "language": "en"}})
        profiles = []
        for i in range(args.agents):
            p = base / f"profile-{i}"
            shutil.copytree(template, p, ignore=shutil.ignore_patterns("LOCK"))
            profiles.append(p)

        def connect(i: int) -> None:
            proc = subprocess.run([sys.executable, "-m", "flagdeck", "--user-data-dir", str(profiles[i]), "fleet",
                                   "connect", "unleash", "--url", server.url, "--token-stdin", "--interval",
                                   str(args.interval)], input=server.client_token + "\n", capture_output=True,
                                  text=True, env=agent_env(base, i), cwd=REPO, timeout=120)
            if proc.returncode != 0:
                raise SystemExit(f"agent {i}: connect failed: {proc.stderr}")

        t = time.monotonic()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(connect, range(args.agents)))
        print(f"connected {args.agents} agents in {time.monotonic() - t:.1f} s", flush=True)

        for i in range(args.agents):
            agents.append(subprocess.Popen([sys.executable, "-m", "flagdeck", "--user-data-dir", str(profiles[i]),
                                            "fleet", "sync", "--watch"], stdout=subprocess.PIPE,
                                           stderr=subprocess.DEVNULL, text=True, env=agent_env(base, i), cwd=REPO,
                                           start_new_session=True))
        for i, a in enumerate(agents):
            line = a.stdout.readline() if a.stdout else ""
            if "fleet: connected" not in line:
                raise SystemExit(f"agent {i} did not connect: {line!r}")
        time.sleep(args.interval)  # every agent past its first sync and polling
        bare = subprocess.Popen([sys.executable, "-c", BARE_CLIENT, server.api, server.client_token,
                                 str(args.interval)], stdout=subprocess.PIPE, text=True, cwd=REPO)
        assert bare.stdout is not None and bare.stdout.readline().strip() == "ready"

        idle = sample([agents[0].pid, bare.pid, server.node_pid, server.pg_pid], args.idle)
        (agent_cpu, agent_rss), (bare_cpu, bare_rss), (node_cpu, _), (pg_cpu, _) = idle
        all_rss = sum(psutil.Process(a.pid).memory_info().rss for a in agents) / 2**20

        t0 = time.monotonic()
        server.admin("POST", f"/projects/default/features/{FLAG}/environments/development/on")
        on = wait_all(profiles, True, t0, 6 * args.interval + 60)
        for a in agents:
            a.stdout.readline() if a.stdout else None  # its outcome line

        polls = (args.agents + 1) / args.interval  # polls per second the server answered while idle
        server_cpu = node_cpu + pg_cpu
        per_poll_ms = server_cpu / 100 / polls * 1000
        print(f"\nflip to all {args.agents} profiles holding it on disk: {max(on):.2f} s "
              f"(median {statistics.median(on):.2f} s, first {min(on):.2f} s)")
        print(f"  baseline: the polling interval {args.interval} s (a change waits for the next poll); "
              f"ratio {max(on) / args.interval:.2f}x")
        print(f"idle agent: {agent_cpu:.2f} % of a core, {agent_rss:.0f} MB RSS "
              f"(all {args.agents}: {all_rss / 1024:.2f} GB)")
        print(f"  baseline: bare UnleashClient at the same interval {bare_cpu:.2f} % of a core, {bare_rss:.0f} MB "
              f"RSS; ratio {agent_rss / bare_rss:.2f}x memory")
        print(f"server while {args.agents} agents (+1) poll every {args.interval} s: {polls:.1f} polls/s, "
              f"Unleash {node_cpu:.1f} % + PostgreSQL {pg_cpu:.1f} % of a core = {per_poll_ms:.2f} ms CPU per poll")
        for interval in (5, 15, 60):
            rate = 1000 / interval
            print(f"  1,000 workstations every {interval:>2} s: {rate:6.1f} polls/s -> about "
                  f"{rate * per_poll_ms / 10:.0f} % of one core; a flip reaches a workstation within {interval} s "
                  f"(on average {interval / 2:.1f} s)")
        return 0
    finally:
        for a in agents:
            a.terminate()
        for a in agents:
            try:
                a.wait(20)
            except subprocess.TimeoutExpired:
                a.kill()
        if bare is not None:
            bare.kill()
            bare.wait(10)
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
