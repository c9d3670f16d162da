"""Small HTML builders for ``report.html``: escaping, tables, key/value tables, status words, links
to the bundle's own files, inline PNGs. Everything is escaped unless wrapped in :class:`Raw`."""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from typing import Any

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:30px 0 8px;border-bottom:1px solid #d8dce3;padding-bottom:4px}
h3{font-size:14px;margin:16px 0 6px}
table{border-collapse:collapse;width:100%;background:#fff;margin:6px 0}
th,td{border:1px solid #d8dce3;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef0f4;font-weight:600}
table.kv th{width:170px;background:#f3f5f8}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.when{white-space:nowrap;font-variant-numeric:tabular-nums}
pre{background:#fff;border:1px solid #d8dce3;padding:8px;overflow:auto;max-height:320px;font-size:12px}
.warn{background:#fff4e5;border:1px solid #f0b35a;padding:8px 12px;border-radius:4px}
.off{background:#fde8e8;border:2px solid #c62828;padding:10px 14px;font-size:16px}
.verdict{background:#fff;border:1px solid #d8dce3;border-left:6px solid #667085;border-radius:6px;padding:4px 18px 12px}
.verdict.good{border-left-color:#1b7f3b}.verdict.bad{border-left-color:#c62828}.verdict.warning{border-left-color:#d9822b}
.verdict .headline{font-size:17px;font-weight:600;margin:12px 0 8px}
.ok{color:#1b7f3b;font-weight:600}.bad{color:#c62828;font-weight:600}.warning{color:#a35a00;font-weight:600}
.muted{color:#667085}.small{font-size:12px}
ul.tight{margin:2px 0;padding-left:18px}
figure{display:inline-block;width:512px;margin:8px 12px 8px 0;vertical-align:top;background:#fff;
border:1px solid #d8dce3;padding:6px}
figure img{width:100%;display:block}figcaption{font-size:12px;color:#667085;margin-top:4px}
figure.wide{width:auto;max-width:100%}figure.wide img{width:auto;max-width:100%}
a{color:#1a5fb4}
"""

OK_WORDS = {"ok", "pass", "passed", "success", "done", "verified", "on-disk", "none", "restored"}
BAD_WORDS = {"fail", "failed", "error", "critical", "memory-only", "not saved", "level-1-now", "level-2"}
WARN_WORDS = {"unverified", "unconfirmed", "written", "major", "minor", "manual", "open", "cancelled",
              "level-1-within-hour", "consider", "skipped", "not classified"}


class Raw(str):
    """Already-escaped HTML."""


def e(value: Any) -> str:
    return value if isinstance(value, Raw) else html.escape("" if value is None else str(value))


def word(value: Any, text: Any = None) -> Raw:
    """A status word in its colour (the word itself carries the meaning)."""
    key = str(value).lower()
    cls = "ok" if key in OK_WORDS else "bad" if key in BAD_WORDS else "warning" if key in WARN_WORDS else ""
    shown = e(value if text is None else text)
    return Raw(f"<span class={cls}>{shown}</span>" if cls else shown)


def link(path: str, text: Any = None) -> Raw:
    """A link to a file of the bundle, relative to ``data/report.html``."""
    return Raw(f'<a href="{html.escape(path, quote=True)}">{e(path if text is None else text)}</a>')


def muted(text: Any) -> Raw:
    return Raw(f"<span class=muted>{e(text)}</span>")


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, num: Iterable[int] = (),
          when: Iterable[int] = ()) -> str:
    num_cols, when_cols = set(num), set(when)

    def cell(i: int, value: Any) -> str:
        cls = " class=num" if i in num_cols else " class=when" if i in when_cols else ""
        return f"<td{cls}>{e(value)}</td>"

    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(cell(i, c) for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def kv(rows: Iterable[Sequence[Any]]) -> str:
    body = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows)
    return f"<table class=kv><tbody>{body}</tbody></table>"


def bullets(items: Iterable[Any]) -> Raw:
    inner = "".join(f"<li>{e(i)}</li>" for i in items)
    return Raw(f"<ul class=tight>{inner}</ul>" if inner else "")


def png(data: bytes, caption: Any, source: str | None = None, *, wide: bool = False) -> str:
    """An inline picture; ``wide``: at its own size up to the page's width (a chart), else two a row."""
    uri = "data:image/png;base64," + base64.b64encode(data).decode()
    where = f" — {link(source)}" if source else ""
    cls = " class=wide" if wide else ""
    return (f'<figure{cls}><img alt="{e(caption)}" src="{uri}"><figcaption>{e(caption)}{where}</figcaption>'
            "</figure>")


def when(iso: Any) -> str:
    """``2026-12-06T16:24:09.450+00:00`` as ``2026-12-06 16:24:09`` (UTC, as stored)."""
    text = str(iso or "")
    return text[:19].replace("T", " ") if len(text) >= 19 else text or "-"


def figure(value: Any, unit: Any = "") -> str:
    """A measured figure as written (``744 entries``, ``13.7 ms``); empty when there is none."""
    if value is None or value == "":
        return ""
    number = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{number} {unit}".strip()
