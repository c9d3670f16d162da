"""A throwaway Unleash server with its own PostgreSQL, on loopback only: for the fleet tests, the
fleet benchmark, and anyone who wants to try fleet mode on one machine.

- ``unleash-server@6`` (6.x runs on Debian's Node 20; 8.x needs Node 22) is installed from the npm
  registry once into a cache folder outside the repo (``~/.cache/flagdeck-tests/unleash-server-6``,
  or ``FLAGDECK_UNLEASH_DIR``); later runs reuse it.
- PostgreSQL is the system's (Debian's ``postgresql``): a new cluster in a temporary folder, run as
  the ``postgres`` user when this runs as root (PostgreSQL refuses root), trust auth, listening
  on 127.0.0.1 only, stopped (and removed) by :meth:`Unleash.stop`, by the pids started here.
- Unleash listens on 127.0.0.1 too, with an admin and a client API token made at start, update
  checks and telemetry off (nothing leaves the machine).

Command line (README's Fleet section)::

    python -m tests.unleash_server start --dir DIR [--port N]   # prints URL and tokens, keeps running
    python -m tests.unleash_server flag NAME on|off --dir DIR    # create the flag if needed, switch it
    python -m tests.unleash_server stop --dir DIR
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VERSION = "6"
ADMIN_TOKEN = "*:*.flagdeck-admin-token"
CLIENT_TOKEN = "*:development.flagdeck-client-token"


class Unavailable(Exception):
    """What is missing to run Unleash here (node/npm, PostgreSQL), in words a person can act on."""


def install_dir() -> Path:
    env = os.environ.get("FLAGDECK_UNLEASH_DIR")
    if env:
        return Path(env)
    home = Path(pwd.getpwuid(os.getuid()).pw_dir)  # not $HOME: tests move it per test
    return home / ".cache" / "flagdeck-tests" / f"unleash-server-{VERSION}"


def ensure_installed() -> Path:
    """``npm install unleash-server@6`` into the cache folder, once (a lock for parallel runs)."""
    folder = install_dir()
    marker = folder / "node_modules" / "unleash-server" / "package.json"
    if marker.is_file():
        return folder
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise Unavailable(f"{tool} not installed (apt-get install nodejs npm): the Unleash tests need it")
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not marker.is_file():
            proc = subprocess.run(["npm", "install", "--prefix", str(folder), f"unleash-server@{VERSION}",
                                   "--no-audit", "--no-fund", "--loglevel=error"],
                                  capture_output=True, text=True, timeout=900)
            if proc.returncode != 0 or not marker.is_file():
                raise Unavailable(f"npm install unleash-server@{VERSION} failed: {proc.stderr[-1500:]}")
    return folder


def pg_bin() -> Path:
    roots = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if roots:
        return roots[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise Unavailable("PostgreSQL not installed (apt-get install postgresql): the Unleash tests need it")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_pg(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, its commands run as the ``postgres`` user."""
    if os.geteuid() != 0:
        return argv
    if shutil.which("runuser") is None:
        raise Unavailable("runuser not installed (apt-get install util-linux)")
    return ["runuser", "-u", "postgres", "--", *argv]


def _pg_owner(path: Path) -> None:
    if os.geteuid() == 0:
        ent = pwd.getpwnam("postgres")
        os.chown(path, ent.pw_uid, ent.pw_gid)


@dataclass
class Unleash:
    folder: Path  # the cluster, logs and state.json
    port: int
    pg_port: int
    node_pid: int
    pg_pid: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api(self) -> str:
        return f"{self.url}/api"

    admin_token = ADMIN_TOKEN
    client_token = CLIENT_TOKEN

    # --- admin API ---------------------------------------------------------------------------

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.url}/api/admin{path}", data=data, method=method,
                                     headers={"Authorization": ADMIN_TOKEN, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                text = resp.read().decode()
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"{method} {path}: HTTP {exc.code}: {exc.read().decode()[:500]}") from None
        return json.loads(text) if text.strip() else None

    def create_flag(self, name: str, *, rollout: int = 100, kind: str = "kill-switch") -> None:
        """A flag in the default project, with a gradual rollout to ``rollout`` % of workstations
        (stickiness: the workstation's id) in the development environment, off."""
        self.admin("POST", "/projects/default/features", {"name": name, "type": kind})
        self.admin("POST", f"/projects/default/features/{name}/environments/development/strategies",
                   {"name": "flexibleRollout",
                    "parameters": {"rollout": str(rollout), "stickiness": "default", "groupId": name}})

    def has_flag(self, name: str) -> bool:
        try:
            self.admin("GET", f"/projects/default/features/{name}")
        except RuntimeError:
            return False
        return True

    def switch(self, name: str, on: bool) -> None:
        """Switch the flag in the development environment and return once the client API says so:
        Unleash serves clients from a cache that follows the admin API within about a second."""
        self.admin("POST", f"/projects/default/features/{name}/environments/development/{'on' if on else 'off'}")
        deadline = time.monotonic() + 30
        while self.client_view(name) != on:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the client API still shows {name} {'off' if on else 'on'} after 30 s")
            time.sleep(0.1)

    def client_view(self, name: str) -> bool | None:
        """Whether the client API (what workstations poll) shows the flag enabled."""
        req = urllib.request.Request(f"{self.api}/client/features", headers={"Authorization": CLIENT_TOKEN})
        with urllib.request.urlopen(req, timeout=10) as resp:
            features = json.loads(resp.read())["features"]
        return next((bool(f["enabled"]) for f in features if f["name"] == name), None)

    # --- life ----------------------------------------------------------------------------------

    def save(self) -> None:
        (self.folder / "state.json").write_text(json.dumps(
            {"port": self.port, "pg_port": self.pg_port, "node_pid": self.node_pid, "pg_pid": self.pg_pid}))

    @classmethod
    def load(cls, folder: Path) -> Unleash:
        s = json.loads((folder / "state.json").read_text())
        return cls(folder, s["port"], s["pg_port"], s["node_pid"], s["pg_pid"])

    def stop(self, *, remove: bool = True) -> None:
        """Stop Unleash, then PostgreSQL (fast shutdown), by the pids this started."""
        for pid, sig in ((self.node_pid, signal.SIGTERM), (self.pg_pid, signal.SIGINT)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
            _wait_gone(pid, 30)
        if remove:
            shutil.rmtree(self.folder, ignore_errors=True)


def _wait_gone(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def start(folder: Path | None = None, *, port: int | None = None, detach: bool = False) -> Unleash:
    """PostgreSQL and Unleash on loopback; returns once ``/health`` answers (about 5 s)."""
    install = ensure_installed()
    pg = pg_bin()
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="flagdeck-unleash-"))
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)
    data = folder / "pg"
    data.mkdir()
    _pg_owner(data)
    pg_port, port = free_port(), port or free_port()
    subprocess.run(_as_pg([str(pg / "initdb"), "-D", str(data), "-A", "trust", "-U", "unleash"]),
                   check=True, capture_output=True, timeout=120)
    pg_log = folder / "postgres.log"
    pg_log.touch()
    _pg_owner(pg_log)
    subprocess.run(_as_pg([str(pg / "pg_ctl"), "-D", str(data), "-l", str(pg_log), "-w", "-t", "60", "-o",
                           f"-p {pg_port} -k {data} -c listen_addresses=127.0.0.1", "start"]),
                   check=True, capture_output=True, timeout=120)
    pg_pid = int((data / "postmaster.pid").read_text().split()[0])
    try:
        subprocess.run(_as_pg([str(pg / "createdb"), "-h", "127.0.0.1", "-p", str(pg_port), "-U", "unleash",
                               "unleash"]), check=True, capture_output=True, timeout=60)
        options = {
            "db": {"user": "unleash", "password": "", "host": "127.0.0.1", "port": pg_port, "database": "unleash",
                   "ssl": False},
            "server": {"host": "127.0.0.1", "port": port},
            "versionCheck": {"enable": False},
            "authentication": {"initApiTokens": [
                {"environment": "*", "project": "*", "secret": ADMIN_TOKEN, "type": "admin", "tokenName": "admin"},
                {"environment": "development", "project": "*", "secret": CLIENT_TOKEN, "type": "client",
                 "tokenName": "client"}]},
        }
        script = (f"require('unleash-server').start({json.dumps(options)})"
                  ".catch(e => { console.error(e); process.exit(1); });")
        env = {**os.environ, "LOG_LEVEL": "warn", "SEND_TELEMETRY": "false", "CHECK_VERSION": "false"}
        with open(folder / "unleash.log", "wb") as log:
            node = subprocess.Popen(["node", "-e", script], cwd=install, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=detach)
        server = Unleash(folder, port, pg_port, node.pid, pg_pid)
        server.save()
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pg_pid, signal.SIGINT)
        raise
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{server.url}/health", timeout=2) as resp:
                if json.loads(resp.read()).get("health") == "GOOD":
                    return server
        except (OSError, ValueError):
            pass
        if node.poll() is not None or time.monotonic() > deadline:
            log_text = (folder / "unleash.log").read_text(errors="replace")[-3000:]
            server.stop(remove=False)
            raise RuntimeError(f"Unleash did not start (exit {node.poll()}):\n{log_text}")
        time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.unleash_server", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("start", help="start PostgreSQL and Unleash on loopback (they keep running)")
    s.add_argument("--dir", required=True, type=Path, help="a new folder for the database, logs and pids")
    s.add_argument("--port", type=int, default=4242)
    f = sub.add_parser("flag", help="create the flag (100 %% rollout) if needed and switch it on or off")
    f.add_argument("name")
    f.add_argument("state", choices=["on", "off"])
    f.add_argument("--dir", required=True, type=Path)
    t = sub.add_parser("stop", help="stop both and remove the folder")
    t.add_argument("--dir", required=True, type=Path)
    args = p.parse_args(argv)
    try:
        if args.cmd == "start":
            if (args.dir / "state.json").exists():
                print(f"{args.dir} holds a server already (stop it first)", file=sys.stderr)
                return 2
            server = start(args.dir, port=args.port, detach=True)
            print(f"Unleash:       {server.url} (UI login admin / unleash4all)")
            print(f"client API:    {server.api}")
            print(f"client token:  {server.client_token}")
            print(f"admin token:   {server.admin_token}")
        elif args.cmd == "flag":
            server = Unleash.load(args.dir)
            if not server.has_flag(args.name):
                server.create_flag(args.name)
            server.switch(args.name, args.state == "on")
            print(f"{args.name}: {args.state}")
        else:
            Unleash.load(args.dir).stop()
            print("stopped")
    except (Unavailable, RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        print(f"unleash_server: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
