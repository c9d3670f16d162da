"""``fleet connect|sync|status|release|disconnect``: follow a team's flag engine (flagd's flag
definitions, or an Unleash server) on this workstation.

Registering these commands imports nothing of OpenFeature, grpc or UnleashClient: the fleet
package loads them when a fleet command runs.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from flagdeck.cli import durability

if TYPE_CHECKING:
    from flagdeck.cli.context import Context


def _seconds(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    f = sub.add_parser("fleet", help="follow the team's flag engine (flagd definitions or Unleash) on this workstation",
                       description="The target (given by the target options) follows a fleet source through "
                       "OpenFeature: flagd's flag definitions evaluated in-process, or an Unleash server.")
    fsub = f.add_subparsers(dest="fleet_cmd", required=True, metavar="connect|sync|status|release|disconnect")
    c = fsub.add_parser("connect", help="choose the target's fleet source")
    csub = c.add_subparsers(dest="fleet_source", required=True, metavar="flagd|unleash")
    fd = csub.add_parser("flagd", help="flagd's flag definitions file, evaluated in-process (no server)")
    fd.add_argument("--file", required=True, metavar="PATH", help="the flag definitions (JSON or YAML)")
    fd.set_defaults(func=cmd_connect_flagd)
    un = csub.add_parser("unleash", help="an Unleash server (client API token kept in the OS keyring)")
    un.add_argument("--url", required=True, help="its client API, e.g. https://unleash.example.com/api")
    un.add_argument("--token-stdin", action="store_true",
                    help="read the client API token from stdin (else it is asked for on the terminal)")
    un.add_argument("--interval", type=_seconds, default=None, metavar="S",
                    help="seconds between polls (default 15; the trade-off is in README's Fleet section)")
    un.set_defaults(func=cmd_connect_unleash)

    s = fsub.add_parser("sync", help="apply the fleet's values once (or keep following with --watch)")
    s.add_argument("--watch", action="store_true",
                   help="keep running: apply each change of the source, retry pending writes (Ctrl-C stops)")
    s.add_argument("--no-reload", action="store_true",
                   help="live: do not reload the page; wait for Chromium's own commit (up to --durable-timeout)")
    durability.add_options(s)
    s.set_defaults(func=cmd_sync)
    st = fsub.add_parser("status", help="per flag: the fleet's value, the local one, the page's, and why they differ")
    st.set_defaults(func=cmd_status)
    r = fsub.add_parser("release", help="release pinned flags: the fleet's value applies again at the next sync")
    r.add_argument("names", nargs="*", metavar="NAME")
    r.add_argument("--all", action="store_true", help="release every pinned flag")
    r.set_defaults(func=cmd_release)
    d = fsub.add_parser("disconnect", help="stop following the source (the Unleash token leaves the keyring)")
    d.set_defaults(func=cmd_disconnect)


# --- connect -------------------------------------------------------------------------------------


def _connect(ctx: Context, conn: Any, token: str | None) -> Any:
    """Try the source before keeping anything: a wrong file, URL or token changes nothing."""
    from dataclasses import replace

    from flagdeck.fleet import agent, connection
    from flagdeck.fleet.source import Source

    target = ctx.target()
    probe = Source(conn, token=token)
    try:
        result = agent.sync(target, probe, write=False)
    finally:
        probe.close()
    before = connection.load(target.slug)
    kept = connection.save(replace(conn), token)
    if before is not None and before.kind == "unleash" and kept.kind != "unleash":
        connection.delete_token(before)  # the old source's token does not stay behind
    agent.start(target)
    managed = [p.name for p in result.flags if p.action != "unmanaged"]
    payload = {"connected": kept.to_json(), "health": result.health.to_json(),
               "workstation": result.workstation.to_json(), "managed": managed,
               "flags": [p.to_json() for p in result.flags]}
    ctx.emit(payload, lambda p: "\n".join([
        f"{target.name} follows {kept.source}",
        f"source: {result.health.state} ({result.health.detail})",
        f"this workstation: {result.workstation.targeting_key} ({result.workstation.hostname})",
        "flags the fleet manages: " + (", ".join(managed) or "none yet (the source has none of the target's flags)"),
        "apply its values: flagdeck fleet sync (or keep following: flagdeck fleet sync --watch, or the tray)"]))
    return payload


def cmd_connect_flagd(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck.fleet import connection

    target = ctx.target()
    conn = connection.Connection("flagd", target.slug, target.name, connection.options_json(ctx.options()),
                                 file=connection.check_file(args.file), interval=connection.FLAGD_INTERVAL)
    return _connect(ctx, conn, None)


def _read_token(args: argparse.Namespace) -> str:
    from flagdeck.errors import UsageError

    if args.token_stdin:
        token = sys.stdin.readline().strip() if sys.stdin is not None else ""
        if not token:
            raise UsageError("no API token on stdin")
        return token
    if sys.stdin is None or not sys.stdin.isatty():
        raise UsageError("no terminal to ask for the API token on", hint="give it on stdin with --token-stdin")
    import getpass

    token = getpass.getpass("Unleash client API token: ").strip()
    if not token:
        raise UsageError("no API token given")
    return token


def cmd_connect_unleash(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck.fleet import connection

    target = ctx.target()
    url = connection.check_url(args.url)
    interval = connection.check_interval(args.interval if args.interval is not None else connection.DEFAULT_INTERVAL)
    conn = connection.Connection("unleash", target.slug, target.name, connection.options_json(ctx.options()),
                                 url=url, interval=interval)
    return _connect(ctx, conn, _read_token(args))


# --- sync and status -------------------------------------------------------------------------------


def _value(v: Any) -> str:
    from flagdeck.storage.flags import js_repr

    return "-" if v is None else js_repr(v)


def render(r: Any) -> str:
    """A SyncResult for people."""
    from flagdeck.cli.output import table
    from flagdeck.storage.flags import name_text

    lines = [f"target:  {r.target.name} ({r.mode})", f"source:  {r.source}: {r.health.state} ({r.health.detail})",
             f"machine: {r.workstation.targeting_key} ({r.workstation.hostname}, {r.workstation.user}, "
             f"{r.workstation.os}" + (f", {r.workstation.app_version}" if r.workstation.app_version else "") + ")"]
    rows = []
    for p in r.flags:
        state = p.action
        if p.name in r.pending:
            state = "pending"
        why = r.pending[p.name]["why"] if p.name in r.pending else p.why
        rows.append([name_text(p.name), _value(p.fleet.value) if p.fleet.managed else "-",
                     _value(p.local) + ("" if p.stored else " (default)"),
                     "?" if p.page is None and r.mode == "live" else ("-" if p.page is None else _value(p.page)),
                     state, why])
    lines += ["", table(rows, ["FLAG", "FLEET", "LOCAL", "PAGE", "STATE", "WHY"])]
    if r.wrote:
        done = [f"{o.name}: {o.outcome} ({o.action}) {o.detail}" for o in r.outcomes]
        lines += ["", *(done or ["nothing to do: the workstation holds the fleet's values"])]
    else:
        lines += ["", f"last sync: {r.last_sync or 'never'}"]
        if r.last_outcomes:
            rows = [[o.get("time", ""), name_text(str(o.get("name", ""))), o.get("outcome", ""), o.get("action", ""),
                     _value(o.get("fleet_value")), str(o.get("detail", ""))[:100]] for o in r.last_outcomes[-10:]]
            lines.append(table(rows, ["TIME", "FLAG", "OUTCOME", "ACTION", "FLEET", "DETAIL"]))
    for name, pin in r.pins.items():
        lines.append(f"pinned: {name_text(name)} = {_value(pin.get('value'))} since {pin.get('since')} "
                     f"(release: flagdeck fleet release {name_text(name)})")
    for name, pend in r.pending.items():
        lines.append(f"pending: {name_text(name)} -> {_value(pend.get('value'))} since {pend.get('since')}, "
                     f"{pend.get('attempts')} tries: {pend.get('why')}")
    lines += [f"note: {n}" for n in r.notes]
    return "\n".join(lines)


def cmd_sync(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck.fleet import agent, connection
    from flagdeck.fleet.source import Source

    target = ctx.target()
    conn = connection.require(target)
    if args.watch:
        return _watch(args, ctx, conn)
    with Source(conn) as source:
        result = agent.sync(target, source, reload=not args.no_reload, durable_timeout=args.durable_timeout)
    ctx.emit(result, render)
    ctx.exit_code = max(ctx.exit_code, result.exit_code)
    return result


def _watch(args: argparse.Namespace, ctx: Context, conn: Any) -> Any:
    """Until Ctrl-C (exit 130) or SIGTERM (exit 0): a line per sync that did something, per health
    change and per error (``--json``: one JSON document per line)."""
    import signal
    import threading

    from flagdeck.cli.output import print_json, write_line
    from flagdeck.fleet.watch import Report, Watcher
    from flagdeck.storage.flags import name_text

    said: list[str] = []  # the health state last printed

    def report(rep: Report) -> None:
        if ctx.json:
            print_json({"health": rep.health.to_json(), "error": rep.error,
                        "result": rep.result.to_json() if rep.result else None}, sys.stdout)
        else:
            if rep.error:
                write_line(f"fleet: {rep.health.state}: {rep.error}")
            elif said[-1:] != [rep.health.state]:
                write_line(f"fleet: {rep.health.state}: {rep.health.detail}")
            said.append(rep.health.state)
            for o in rep.result.outcomes if rep.result else ():
                write_line(f"{o.time} {name_text(o.name)}: {o.outcome} ({o.action}) {o.detail}")
        sys.stdout.flush()

    watcher = Watcher(conn, on_report=report, reload=not args.no_reload, durable_timeout=args.durable_timeout,
                      target=ctx.target())
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: watcher.stop())
    ctx.info(f"flagdeck: following {conn.source} for {conn.target_name} (Ctrl-C stops)")
    watcher.run()
    return None


def cmd_status(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck.fleet import agent, connection
    from flagdeck.fleet.source import Source

    target = ctx.target()
    conn = connection.require(target)
    with Source(conn) as source:
        result = agent.sync(target, source, write=False)
    ctx.emit(result, render)
    return result


def cmd_release(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck.errors import UsageError
    from flagdeck.fleet import agent, connection
    from flagdeck.storage.flags import name_text

    if bool(args.names) == bool(args.all):
        raise UsageError("name the flags to release, or give --all")
    target = ctx.target()
    connection.require(target)
    released = agent.release(target, None if args.all else list(args.names))
    payload = {"released": released}
    ctx.emit(payload, lambda p: "released: " + (", ".join(map(name_text, p["released"])) or "nothing was pinned")
             + "; the fleet's value applies at the next sync")
    return payload


def cmd_disconnect(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck.fleet import connection, state

    target = ctx.target()
    conn, note = connection.remove(target)
    state.forget(target.slug)
    payload = {"disconnected": conn.to_json(), "note": note}
    ctx.emit(payload, lambda p: f"{target.name} no longer follows {conn.source}"
             + (" (its token left the keyring)" if conn.kind == "unleash" and not note else "")
             + (f"; {note}" if note else ""))
    return payload
