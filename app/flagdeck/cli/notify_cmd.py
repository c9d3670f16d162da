"""``notify setup|test|status|retry|remove``: team alerts after a rollback."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from flagdeck.errors import CheckFailed, UsageError

if TYPE_CHECKING:  # what the commands run is imported when they run (cli.main)
    from flagdeck.cli.context import Context


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    n = sub.add_parser("notify", help="team alerts (Slack or JSON webhook) after a rollback")
    nsub = n.add_subparsers(dest="notify_cmd", required=True, metavar="setup|test|status|retry|remove")
    s = nsub.add_parser("setup", help="set up a webhook; its URL goes to the OS keyring")
    s.add_argument("--url", required=True, help="the webhook URL (https://...), or - to read it from stdin")
    s.add_argument("--kind", choices=["slack", "json"], default="slack",
                   help="slack: Slack-compatible {text, blocks}; json: {event: rollback, ...} (default slack)")
    s.add_argument("--name", default="default", help="a name for it (default: default)")
    s.set_defaults(func=cmd_setup)
    t = nsub.add_parser("test", help="send a test alert now")
    t.add_argument("--name")
    t.set_defaults(func=cmd_test)
    st = nsub.add_parser("status", help="webhooks, keyring, alerts waiting in the outbox")
    st.set_defaults(func=cmd_status)
    r = nsub.add_parser("retry", help="send the alerts waiting in the outbox now")
    r.set_defaults(func=cmd_retry)
    rm = nsub.add_parser("remove", help="forget a webhook (config and keyring) and its waiting alerts")
    rm.add_argument("--name")
    rm.set_defaults(func=cmd_remove)


def cmd_setup(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck import notify

    url = args.url
    if url == "-":
        url = sys.stdin.readline().strip()
        if not url:
            raise UsageError("no URL on stdin")
    hook = notify.setup(url, kind=args.kind, name=args.name)
    ctx.emit(hook, lambda h: f"team alerts: {h.kind} webhook {h.name!r} -> {h.display_url} "
                             f"(URL kept in the keyring; try it with: flagdeck notify test)")
    return hook


def cmd_test(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck import notify

    result = notify.send_test(args.name)
    ctx.emit(result, lambda r: f"test alert delivered to {r.webhook!r}")
    return result


def render_status(s: Any) -> str:
    from flagdeck.cli.output import table

    lines = [f"keyring: {s.keyring}"]
    if s.webhooks:
        lines.append(table([[h.name, h.kind, h.display_url, h.created] for h in s.webhooks],
                           ["NAME", "KIND", "URL", "SINCE"]))
    else:
        lines.append("no webhook set up (flagdeck notify setup --url URL)")
    waiting, failed = s.waiting, s.failed
    stuck = [m for m in failed if not m.retryable]
    lines.append(f"outbox: {len(waiting)} pending, {len(failed)} failed (retried on the next flagdeck run"
                 + (f"; {len(stuck)} only by flagdeck notify retry: the webhook refused them" if stuck else "") + ")")
    if s.pending:
        lines.append(table([[m.id, m.state if m.retryable else f"{m.state} (notify retry)", m.webhook, m.attempts,
                             m.last_error or "", m.headline]
                            for m in s.pending], ["ID", "STATE", "WEBHOOK", "TRIES", "LAST ERROR", "ALERT"]))
    return "\n".join(lines)


def cmd_status(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck import notify

    result = notify.status()
    ctx.emit(result, render_status)
    return result


def cmd_retry(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck import notify

    results = notify.retry_now()
    ctx.emit(results, lambda rs: "\n".join(
        [f"{r.id}: {'delivered' if r.delivered else 'skipped (being sent elsewhere)' if r.skipped else r.error}"
         for r in rs]) or "outbox empty")
    failed = [r for r in results if r.failed]
    if failed:
        raise CheckFailed(f"{len(failed)} alert(s) not delivered; they stay in the outbox")
    return results


def cmd_remove(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck import notify

    hook, dropped = notify.remove(args.name)
    payload = {"removed": hook.name, "dropped_alerts": dropped}
    ctx.emit(payload, lambda p: f"webhook {p['removed']!r} removed (config and keyring)"
                                + (f"; {p['dropped_alerts']} undelivered alert(s) dropped" if dropped else ""))
    return payload
