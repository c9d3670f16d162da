"""``desktop install [--user] [--autostart]`` / ``desktop uninstall [--user]``: the menu entry, icons
and AppStream metadata for the flagdeck that runs now (Linux)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the commands run is imported when they run (registering loads nothing)
    from flagdeck.cli.context import Context


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    d = sub.add_parser("desktop", help="put flagdeck in the desktop's menu (Linux): entry, icons, metadata")
    dsub = d.add_subparsers(dest="desktop_cmd", required=True, metavar="install|uninstall")
    i = dsub.add_parser("install", help="install the desktop entry for this flagdeck executable (bundle or venv)")
    i.add_argument("--user", action="store_true", help="for you only (~/.local/share), no root needed "
                   "(default: for everyone, /usr/local/share)")
    i.add_argument("--autostart", action="store_true", help="also start the tray at login (XDG autostart)")
    i.set_defaults(func=cmd_install)
    u = dsub.add_parser("uninstall", help="remove what desktop install wrote (and the autostart entry)")
    u.add_argument("--user", action="store_true", help="the entry installed with --user")
    u.set_defaults(func=cmd_uninstall)


def render(r: Any) -> str:
    lines = [f"{r.action} for {'you' if r.scope == 'user' else 'everyone'}: {' '.join(r.executable)}"]
    lines += [f"  {f}" for f in r.files]
    if r.autostart:
        lines.append(f"autostart: {r.autostart}" + (" (removed)" if r.action == "uninstalled" else ""))
    lines += [f"note: {n}" for n in r.notes]
    return "\n".join(lines)


def cmd_install(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck import desktop_entry

    result = desktop_entry.install(user=args.user, autostart=args.autostart)
    ctx.emit(result, render)
    return result


def cmd_uninstall(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck import desktop_entry

    result = desktop_entry.uninstall(user=args.user)
    ctx.emit(result, render)
    return result
