"""``targets``: the presets, and which are installed or running here."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the command runs is imported when it runs (cli.main)
    from flagdeck.cli.context import Context
    from flagdeck.targets.discover import TargetInfo


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("targets", help="list target presets and which are installed or running")
    p.set_defaults(func=cmd_targets)


def cmd_targets(args: argparse.Namespace, ctx: Context) -> Any:
    from flagdeck.targets.discover import broken_presets, discover

    infos = [*discover(), *broken_presets()]
    ctx.emit(infos, render)
    for info in infos:
        if info.error:
            ctx.info(f"flagdeck: broken preset: {info.error}")
    return infos


def render(infos: list[TargetInfo]) -> str:
    from flagdeck.cli.output import table

    rows = []
    for i in infos:
        if i.error:
            rows.append([i.name, "(broken preset file)", "-", "-", "-", "-"])
            continue
        running = ", ".join(f"{p.name} ({p.pid})" for p in i.running[:3]) or "-"
        rows.append([i.name, i.display_name, "yes" if i.installed else "no", running,
                     "locked" if i.storage_locked else "-", str(i.debug_port or "-")])
    text = table(rows, ["PRESET", "APP", "INSTALLED", "RUNNING", "STORAGE", "PORT"])
    details = [f"{i.name}: {p}" for i in infos for p in i.profiles]
    return text + ("\n\nprofiles:\n  " + "\n  ".join(details) if details else "")
