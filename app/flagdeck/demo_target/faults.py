"""Fault specs of the demo target (``--fault SPEC``), parsed once and handed to the page as JSON.

Every fault but one lives in the page's *unified* data path only (``resources/demo/js/paths/unified/``):
with ``USE_UNIFIED_DB_SERVICE`` off the original path runs and every fault is dormant, which is
what a Level-1 rollback is supposed to prove. ``flag-ignored`` is the exception: it breaks the flag
itself (the page ignores the localStorage override), so a Level-1 rollback cannot work and only a
code revert (Level 2) helps; a bad release of the demo's git repo carries it in ``js/release.js``.
This module knows no Qt, so option errors are reported before QtWebEngine starts.

Specs (combine freely, each at most once):

``slow=FACTOR``        unified operations take FACTOR x their own measured cost (FACTOR >= 1)
``error-rate=P``       a fraction P (0..1) of unified operations throw and log a ``DbService`` error
``leak=MB_PER_MIN``    the unified service retains memory at that rate while it is active
``crash-on-start[=N]`` the renderer crashes at start-up (``chrome://crash``); the host reloads the
                       page after a crash at most N times (default 0: it stays crashed)
``data-loss``          unified reads drop messages and file blocks; unified sends lose attachments
``flag-ignored``       the page ignores the ``featureFlags`` localStorage override (a broken flag)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flagdeck.errors import UsageError

MAX_CRASH_RELOADS = 10
MAX_LEAK_MB_PER_MIN = 6000.0
MAX_SLOW_FACTOR = 50.0


@dataclass(frozen=True)
class FaultSet:
    """The faults one demo-target run injects (all off by default)."""

    slow: float | None = None
    error_rate: float | None = None
    leak_mb_per_min: float | None = None
    crash_on_start: bool = False
    crash_reloads: int = 0
    data_loss: bool = False
    flag_ignored: bool = False
    specs: tuple[str, ...] = field(default=())

    @property
    def any(self) -> bool:
        return bool(self.specs)

    def to_page(self) -> dict[str, Any]:
        """The page's view of the faults (``window.__DEMO_CONFIG__.faults``)."""
        return {
            "slow": self.slow,
            "errorRate": self.error_rate,
            "leakMbPerMin": self.leak_mb_per_min,
            "crashOnStart": self.crash_on_start,
            "dataLoss": self.data_loss,
            "flagIgnored": self.flag_ignored,
        }


def _number(name: str, text: str | None, low: float, high: float, *, low_open: bool = False) -> float:
    if text is None or text == "":
        raise UsageError(f"--fault {name} needs a value ({name}=N)")
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"--fault {name}={text}: not a number") from None
    too_low = value <= low if low_open else value < low
    if too_low or value > high or value != value:
        bound = f"> {low:g}" if low_open else f">= {low:g}"
        raise UsageError(f"--fault {name}={text}: must be {bound} and <= {high:g}")
    return value


def parse_faults(specs: list[str] | tuple[str, ...]) -> FaultSet:
    """Parse ``--fault`` values; raise ``UsageError`` with a one-line reason for a bad one."""
    fields: dict[str, Any] = {}
    seen: set[str] = set()
    for raw in specs:
        spec = raw.strip()
        name, sep, value = spec.partition("=")
        name = name.strip().lower()
        arg: str | None = value.strip() if sep else None
        if name in seen:
            raise UsageError(f"--fault {name} given twice")
        seen.add(name)
        if name == "slow":
            fields["slow"] = _number(name, arg, 1.0, MAX_SLOW_FACTOR)
        elif name == "error-rate":
            fields["error_rate"] = _number(name, arg, 0.0, 1.0)
        elif name == "leak":
            fields["leak_mb_per_min"] = _number(name, arg, 0.0, MAX_LEAK_MB_PER_MIN, low_open=True)
        elif name == "crash-on-start":
            fields["crash_on_start"] = True
            if arg is not None:
                if not arg.isdigit() or int(arg) > MAX_CRASH_RELOADS:
                    raise UsageError(
                        f"--fault crash-on-start={arg}: the reload count must be 0..{MAX_CRASH_RELOADS}"
                    )
                fields["crash_reloads"] = int(arg)
        elif name == "data-loss":
            if arg is not None:
                raise UsageError("--fault data-loss takes no value")
            fields["data_loss"] = True
        elif name == "flag-ignored":
            if arg is not None:
                raise UsageError("--fault flag-ignored takes no value")
            fields["flag_ignored"] = True
        else:
            raise UsageError(
                f"unknown fault {raw!r} (known: slow=F, error-rate=P, leak=MB_PER_MIN, "
                "crash-on-start[=N], data-loss, flag-ignored)"
            )
    return FaultSet(**fields, specs=tuple(s.strip() for s in specs))
