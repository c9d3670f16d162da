"""The evaluation context: who this workstation is, for targeting rules and percentage rollouts."""

from __future__ import annotations

import platform
import socket
from dataclasses import dataclass
from typing import Any

from flagdeck import __version__
from flagdeck.fleet import machine
from flagdeck.history import current_user
from flagdeck.targets.resolve import Target


@dataclass(frozen=True)
class Workstation:
    """What a source sees of this machine. ``targeting_key`` is stable per machine, so a
    fractional rollout (flagd) or a gradual rollout's stickiness (Unleash's ``userId``) puts it
    in the same bucket every time."""

    targeting_key: str
    hostname: str
    user: str
    os: str
    target: str
    app_version: str | None

    def attributes(self) -> dict[str, str]:
        """The context attributes besides the targeting key (names a targeting rule uses)."""
        attrs = {"machineId": self.targeting_key, "hostname": self.hostname, "user": self.user, "os": self.os,
                 "target": self.target, "flagdeckVersion": __version__}
        if self.app_version:
            attrs["appVersion"] = self.app_version
        return attrs

    def to_json(self) -> dict[str, Any]:
        return {"targeting_key": self.targeting_key, **self.attributes()}


def target_label(target: Target) -> str:
    """The target as a rule names it: its preset (``demo``, ``cherry-studio``), else its slug."""
    return target.preset.name if target.preset else target.slug


def of(target: Target, app_version: str | None = None) -> Workstation:
    return Workstation(machine.targeting_key(), socket.gethostname(), current_user(), platform.system().lower(),
                       target_label(target), app_version)
