"""The comparison's chart in ``report.html``: one metric, flag off vs on, as an inline SVG (box of the
middle half, median, whiskers to the extremes, every run as a dot) on round axis ticks. Drawn from
the saved comparison's numbers, so a report has its chart whether or not a PNG was saved."""

from __future__ import annotations

import html
import math
from typing import Any

SIDES = (("off", "#4e79a7", "#d4e0ee"), ("on", "#e8772e", "#fbdcc6"))  # as the Performance page draws them
W, H = 560, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 20, 34, 40


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Ticks at 1, 2, 2.5 or 5 times a power of ten covering ``low``..``high``."""
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(1, count - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first, last = math.floor(low / step) * step, math.ceil(high / step) * step
    n = round((last - first) / step)
    return [round(first + i * step, 10) for i in range(n + 1)]


def _label(value: float, step: float) -> str:
    decimals = 0
    while decimals < 6 and abs(round(step, decimals) - step) > 1e-9 * max(1.0, abs(step)):
        decimals += 1
    return f"{value:.{decimals}f}"


def svg(metric: dict[str, Any]) -> str:
    """The SVG of one metric of a saved comparison, or "" when it holds no samples."""
    raw = metric.get("samples")
    samples: dict[str, Any] = raw if isinstance(raw, dict) else {}
    values = {side: [float(v) for v in samples.get(side) or [] if isinstance(v, int | float)] for side, *_ in SIDES}
    every = values["on"] + values["off"]
    if not every:
        return ""
    ticks = nice_ticks(min(every), max(every))
    low, high = ticks[0], ticks[-1]
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0

    def y(v: float) -> float:
        return TOP + (H - TOP - BOTTOM) * (1 - (v - low) / (high - low))

    unit = html.escape(str(metric.get("unit") or ""))
    name = html.escape(str(metric.get("name") or "metric"))
    change = metric.get("degradation_pct")
    title = f"{name} ({unit})" + (f": {change:+g} % with the flag on" if isinstance(change, int | float) else "")
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
             f'role="img" aria-label="{title}" style="background:#fff;border:1px solid #d8dce3">',
             f'<text x="{W / 2}" y="20" text-anchor="middle" font-size="13" font-weight="600">{title}</text>']
    for t in ticks:
        ty = y(t)
        parts.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="#e6e9ee"/>'
                     f'<text x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end" font-size="11" fill="#555">'
                     f"{_label(t, step)}</text>")
    width = (W - LEFT - RIGHT) / len(SIDES)
    for i, (side, colour, fill) in enumerate(SIDES):
        vals = sorted(values[side])
        cx = LEFT + width * (i + 0.5)
        parts.append(f'<text x="{cx:.1f}" y="{H - 14}" text-anchor="middle" font-size="12">flag {side} '
                     f"({len(vals)} runs)</text>")
        if not vals:
            continue
        found = metric.get(side)
        stats: dict[str, Any] = found if isinstance(found, dict) else {}
        q1, med, q3 = (float(stats.get(k, d)) for k, d in (("q1", vals[0]), ("median", vals[len(vals) // 2]),
                                                             ("q3", vals[-1])))
        half = width * 0.22
        parts.append(f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{y(vals[-1]):.1f}" y2="{y(vals[0]):.1f}" '
                     f'stroke="{colour}"/>')
        parts.append(f'<rect x="{cx - half:.1f}" y="{y(q3):.1f}" width="{2 * half:.1f}" '
                     f'height="{max(1.0, y(q1) - y(q3)):.1f}" fill="{fill}" stroke="{colour}"/>')
        parts.append(f'<line x1="{cx - half:.1f}" x2="{cx + half:.1f}" y1="{y(med):.1f}" y2="{y(med):.1f}" '
                     f'stroke="{colour}" stroke-width="2.5"/>')
        for j, v in enumerate(vals):
            dx = (j / max(1, len(vals) - 1) - 0.5) * half * 1.2 if len(vals) > 1 else 0.0
            parts.append(f'<circle cx="{cx + dx:.1f}" cy="{y(v):.1f}" r="3.2" fill="{colour}" '
                         f'fill-opacity="0.75"/>')
    parts.append("</svg>")
    return "".join(parts)
