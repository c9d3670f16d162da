"""What one run measures in the page: the demo target's workload, a user's probe file, or the load.

A workload is one async JS call returning ``{name: ms, ...}``. Each run calls it ``warmup +
repeat`` times in the freshly loaded page (after the page's first idle moment) and keeps, per
metric, the **minimum** of the ``repeat`` measured calls; ``workload.total`` (unless the probe
returns its own ``total``) is the sum of those per-operation minimums. Why: on a shared machine
the same operation takes 1x or 2x depending on what else runs at that instant, in stretches of a
few hundred milliseconds; that noise only ever adds time, so each operation's fastest call is its
least disturbed measure, and many calls of a cheap workload find those quiet moments where one
expensive call cannot (measured on the demo target, 2 cores, 10 pairs: slow=1.35 classified
"major" in 6 of 6 comparisons with 30 calls of one topic, in 5 of 8 with 20 calls, not reliably
with 5 calls of two topics; 30 calls take a comparison from ~25 s to ~40 s). The warm-up call absorbs
first-call costs (JIT, cold IndexedDB caches) the page would otherwise charge to one side.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from flagdeck.errors import LiveError, UsageError
from flagdeck.storage.cdp import CDPSession

Kind = Literal["demo", "probe", "load"]
MAX_PROBE_BYTES = 256 * 1024
PREFIX = "workload."
DEMO_TOPICS = 1
DEMO_REPEAT = 30
PROBE_REPEAT = 1

DEMO_DETECT = "!!(window.demoProbes && typeof window.demoProbes.runWorkload === 'function')"
# The data path's own operations. The probe's `total` also counts its scratch set-up and clean-up,
# which run outside the path (raw IndexedDB), so it is kept (as `probe.total`) but is not summed.
DEMO_OPERATIONS = ("loadTopicMessages", "sendMessage", "editMessage", "deleteMessage")
_DEMO_CALL = """async () => {
  const r = await window.demoProbes.runWorkload({topics: %d});
  if (!r || !r.timings) throw new Error('demoProbes.runWorkload failed: ' + (r && r.error));
  const out = {probe: {total: r.timings.total}, __problems: r.errors || []};
  for (const name of %s) out[name] = r.timings[name];
  return out;
}"""

_WRAPPER = """(async () => {
  const call = %s;
  await new Promise((resolve) => (window.requestIdleCallback
    ? window.requestIdleCallback(resolve, {timeout: 200}) : setTimeout(resolve, 0)));
  const reps = [];
  for (let i = 0; i < %d; i++) {
    const value = await call();
    if (i >= %d) reps.push(JSON.parse(JSON.stringify(value === undefined ? null : value)));
  }
  return reps;
})()"""


@dataclass(frozen=True)
class Workload:
    kind: Kind
    description: str
    call_js: str | None  # an async arrow function returning {name: ms}; None: the page load only
    repeat: int = 1
    warmup: int = 0
    headline: str = PREFIX + "total"

    def expression(self) -> str:
        """The JS evaluated once per run (with awaitPromise): a list of ``repeat`` call results."""
        if self.call_js is None:
            raise ValueError("a load-only workload runs no JS")
        return _WRAPPER % (self.call_js, self.warmup + self.repeat, self.warmup)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "description": self.description, "repeat": self.repeat, "warmup": self.warmup,
                "headline": self.headline}


def demo(repeat: int | None = None, topics: int = DEMO_TOPICS) -> Workload:
    repeat = repeat or DEMO_REPEAT
    return Workload("demo", f"demoProbes.runWorkload({{topics: {topics}}}), best of {repeat}",
                    _DEMO_CALL % (topics, json.dumps(list(DEMO_OPERATIONS))), repeat=repeat, warmup=1)


def load_only() -> Workload:
    return Workload("load", "page load only (no probe)", None, headline="nav.load")


def read_probe(path: Path) -> str:
    try:
        data = path.expanduser().read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read probe {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_PROBE_BYTES:
        raise UsageError(f"probe {path} is over {MAX_PROBE_BYTES // 1024} KB; a probe is a short script")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"probe {path} is not UTF-8 text") from None
    if not text.strip():
        raise UsageError(f"probe {path} is empty")
    return text


def probe_forms(source: str) -> tuple[str, str]:
    """The two ways to read a probe: as an expression, and as an async function body."""
    expression = re.sub(r"[\s;]+$", "", source)
    return f"async () => (\n{expression}\n)", f"async () => {{\n{source}\n}}"


def from_probe(source: str, name: str, session: CDPSession, repeat: int | None = None) -> Workload:
    """A workload from a probe's text: an expression if it parses as one, else a function body.

    The page's own parser decides: ``typeof (async () => ...)`` only creates the function, it
    runs nothing, and a syntax error comes back as an exception. So what is accepted is exactly
    what the app's engine accepts.
    """
    errors = []
    for form in probe_forms(source):
        try:
            reply = session.call("Runtime.evaluate", expression=f"typeof ({form})", returnByValue=True)
        except LiveError as exc:
            raise LiveError(f"cannot check probe {name}: {exc.message}") from None
        details = reply.get("exceptionDetails")
        if not details:
            return Workload("probe", f"probe {name}" + (f", best of {repeat}" if repeat and repeat > 1 else ""),
                            form, repeat=repeat or PROBE_REPEAT, warmup=0)
        errors.append((details.get("exception") or {}).get("description") or details.get("text", "syntax error"))
    first = str(errors[-1]).splitlines()[0]
    raise UsageError(f"probe {name} is neither a JS expression nor a function body: {first}")


def numbers_of(value: Any, where: str) -> tuple[dict[str, float], list[str]]:
    """``{name: ms}`` from one call's result (one level of nesting becomes ``a.b``), and problems."""
    if not isinstance(value, dict):
        raise UsageError(f"{where} returned {type(value).__name__ if value is not None else 'nothing'}, "
                         "not an object of {name: ms}")
    out: dict[str, float] = {}
    raw_problems = value.get("__problems")
    problems = [str(p) for p in raw_problems] if isinstance(raw_problems, list) else []
    for key, item in value.items():
        if key == "__problems":
            continue
        if isinstance(item, dict):
            for sub, inner in item.items():
                if _is_number(inner):
                    out[f"{PREFIX}{key}.{sub}"] = float(inner)
        elif _is_number(item):
            out[PREFIX + str(key)] = float(item)
    if not out:
        raise UsageError(f"{where} returned no numbers", hint="return an object such as {load: ms, save: ms}")
    return out, problems


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def best_of(reps: list[dict[str, float]]) -> dict[str, float]:
    """Per metric the minimum over the repetitions; ``workload.total``, unless the probe gave one,
    the sum of the top-level operations' minimums (see the module docstring)."""
    out: dict[str, float] = {}
    for rep in reps:
        for key, value in rep.items():
            out[key] = min(out.get(key, value), value)
    total = PREFIX + "total"
    if out and total not in out:
        out[total] = sum(v for k, v in out.items() if k.count(".") == 1)
    return out
