"""``data/report.html``: the page a person opens first. One self-contained file: inline CSS, images
as ``data:`` URIs, no script, nothing fetched from the network.

It is rendered from the *redacted* payload (console lines, results, history), then the whole text
goes through ``scrub`` (the bundle's redactor) before the images are put in, so the report can
hold no more than the files beside it.
"""

from __future__ import annotations

import base64
import html
import json
from collections import Counter
from collections.abc import Callable
from typing import Any

from flagdeck import __version__
from flagdeck.evidence.collect import Collection
from flagdeck.evidence.redact import RedactionReport

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d8dce3;padding-bottom:4px}
h3{font-size:14px;margin:16px 0 6px}
table{border-collapse:collapse;width:100%;background:#fff;margin:6px 0}
th,td{border:1px solid #d8dce3;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef0f4;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#fff;border:1px solid #d8dce3;padding:8px;overflow:auto;max-height:420px;font-size:12px}
.warn{background:#fff4e5;border:1px solid #f0b35a;padding:8px 12px;border-radius:4px}
.off{background:#fde8e8;border:2px solid #c62828;padding:10px 14px;font-size:16px}
.ok{color:#1b7f3b;font-weight:600}.bad{color:#c62828;font-weight:600}.muted{color:#667085}
figure{display:inline-block;margin:8px 12px 8px 0;vertical-align:top;background:#fff;
border:1px solid #d8dce3;padding:6px}
figure img{max-width:480px;max-height:360px;display:block}figcaption{font-size:12px;color:#667085;margin-top:4px}
"""

_OK_WORDS = {"ok", "pass", "passed", "true", "success", "done", "green", "restored", "verified"}
_BAD_WORDS = {"fail", "failed", "false", "error", "red", "critical", "fired", "triggered"}


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _table(headers: list[str], rows: list[list[Any]], num: set[int] | None = None) -> str:
    num = num or set()
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td{' class=num' if i in num else ''}>{c if isinstance(c, _Raw) else _e(c)}</td>"
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _kv(rows: list[list[Any]]) -> str:
    body = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    return f"<table><tbody>{body}</tbody></table>"


class _Raw(str):
    """Already-escaped HTML for a table cell."""


def _status_word(value: Any) -> _Raw:
    text = str(value).lower()
    cls = "ok" if text in _OK_WORDS else ("bad" if text in _BAD_WORDS else "")
    return _Raw(f"<span class={cls}>{_e(value)}</span>" if cls else _e(value))


def _json_of(payload: dict[str, bytes], path: str) -> Any:
    try:
        return json.loads(payload[path].decode("utf-8"))
    except (KeyError, UnicodeDecodeError, ValueError):
        return None


def _results_html(name: str, data: Any) -> str:
    """A results file of another part (verify, checklist, trigger board), shown generically: the
    first list of objects under ``checks``/``results``/``items``/``triggers``/``steps`` as a table."""
    items = None
    if isinstance(data, dict):
        for key in ("checks", "results", "items", "triggers", "steps", "checklist"):
            if isinstance(data.get(key), list) and all(isinstance(x, dict) for x in data[key]):
                items = data[key]
                break
    if items is None and isinstance(data, dict) and data and all(isinstance(v, dict) for v in data.values()):
        items = [{"id": k, **v} for k, v in data.items()]  # {item id: {answer, note...}} (a checklist)
    elif isinstance(data, list) and data and all(isinstance(x, dict) for x in data):
        items = data
    title = f"<h3>{_e(name)}</h3>"
    if not items:
        text = json.dumps(data, indent=1, ensure_ascii=False)
        return title + f"<pre>{_e(text[:4000])}{'…' if len(text) > 4000 else ''}</pre>"
    first = lambda d, keys: next((d[k] for k in keys if k in d), "")  # noqa: E731
    rows = []
    for it in items[:200]:
        status = first(it, ("status", "outcome", "answer", "result", "state", "ok", "passed", "fired", "checked",
                            "severity"))
        rows.append([first(it, ("title", "id", "name", "label", "step")), _status_word(status),
                     first(it, ("message", "detail", "details", "summary", "text", "reason", "note", "seconds"))])
    return title + _table(["item", "status", "detail"], rows)


def render(
    coll: Collection,
    payload: dict[str, bytes],
    redaction: RedactionReport,
    bag_name: str,
    *,
    scrub: Callable[[str], str] = lambda s: s,
) -> str:
    """The report's HTML. ``payload`` is the redacted payload (path under data/ → bytes)."""
    images: dict[str, str] = {}

    def img(path: str, caption: str) -> str:
        key = f"@@IMG{len(images)}@@"
        images[key] = "data:image/png;base64," + base64.b64encode(payload[path]).decode()
        return f'<figure><img alt="{_e(caption)}" src="{key}"><figcaption>{_e(caption)}</figcaption></figure>'

    t = coll.target
    out: list[str] = []
    if not redaction.enabled:
        out.append(f'<p class="off"><strong>{_e(redaction.headline())}</strong></p>')
    out.append(f"<h1>flagdeck evidence: {_e(t.name)}</h1>")
    out.append(f"<p class=muted>bag {_e(bag_name)} · exported {_e(coll.started.isoformat(timespec='seconds'))} "
               f"by {_e(coll.user)}@{_e(coll.host)} · flagdeck {_e(__version__)}</p>")

    # --- summary
    st = coll.status
    rows: list[list[Any]] = [["target", f"{t.name} ({t.slug})"], ["storage", str(t.leveldb_dir)],
            ["mode", coll.mode + (f" (debug port {t.debug_port})" if coll.mode == "live" else "")],
            ["origin", (st.origin if st else None) or t.origin or "-"], ["app version", coll.app_version or "-"],
            ["when (UTC)", coll.started.isoformat(timespec="seconds")], ["who", f"{coll.user}@{coll.host}"]]
    if st is not None:
        doc = st.report.document
        rows.append([t.storage_key, doc.raw if doc.present else "(absent: the app runs on its defaults)"])
    out.append("<h2>Summary</h2>" + _kv(rows))
    if st is not None:
        frows = [[f.name, json.dumps(f.stored_value) if f.stored else "-", json.dumps(f.effective),
                  _status_word("ON" if f.enabled else "off"), f.source, json.dumps(f.default)]
                 for f in st.report.flags]
        out.append("<h3>Flags (stored → effective)</h3>"
                   + _table(["flag", "stored", "effective", "acts", "source", "default"], frows))
        out += [f"<p class=warn>{_e(w.message)}</p>" for w in st.report.warnings]
    if coll.notes:
        out.append("<h3>Notes</h3><ul>" + "".join(f"<li>{_e(n)}</li>" for n in coll.notes) + "</ul>")

    # --- results of other parts
    for section, label in (("verify", "Verification and trigger board"), ("checklists", "Checklists"),
                           ("rollbacks", "Rollbacks")):
        paths = sorted(p for p in payload if p.startswith(section + "/") and p.endswith(".json"))
        if paths:
            out.append(f"<h2>{label}</h2>")
            out += [_results_html(p, _json_of(payload, p)) for p in paths[:30]]

    # --- charts
    charts = sorted(p for p in payload if p.startswith("perf/") and p.endswith(".png"))
    perf_json = sorted(p for p in payload if p.startswith("perf/") and p.endswith(".json"))
    if charts or perf_json:
        out.append("<h2>Performance</h2>")
        out += [img(p, p) for p in charts]
        out += [_results_html(p, _json_of(payload, p)) for p in perf_json[:10]]

    # --- screenshots and pages
    out.append("<h2>Pages</h2>")
    if not coll.pages:
        out.append("<p class=muted>no live pages captured (offline bundle)</p>")
    for cap in coll.pages:
        shot = next((p for p in payload if p.startswith(f"screenshots/{cap.index:02d}-")), None)
        caption = f"page {cap.index}: {cap.title or cap.url} ({cap.origin})"
        out.append(img(shot, caption) if shot else f"<p class=warn>{_e(caption)}: no screenshot: "
                                                   f"{_e(cap.screenshot_note)}</p>")
    if coll.pages:
        levels: Counter[str] = Counter(e.level for c in coll.pages for e in c.console)
        prow = [[c.index, c.origin, c.title or c.url, len(c.console), sum(1 for e in c.console if e.level == "error"),
                 len(c.network), c.logger_note or "captured"] for c in coll.pages]
        out.append(_table(["#", "origin", "page", "console", "errors", "network events", "loggerService"], prow,
                          {0, 3, 4, 5}))
        out.append("<h3>Console errors (last 50)</h3>")
        err_lines = []
        for p in sorted(x for x in payload if x.startswith("console/") and x.endswith(".log")):
            err_lines += [f"{p}: {line}" for line in payload[p].decode("utf-8", "replace").splitlines()
                          if " ERROR " in line or "[exception]" in line]
        out.append(f"<pre>{_e(chr(10).join(err_lines[-50:])) or 'none'}</pre>")
        out.append(f"<p class=muted>console levels: {_e(dict(levels))}</p>")
        for p in sorted(x for x in payload if x.startswith("logger/")):
            logs = _json_of(payload, p)
            if isinstance(logs, list):
                errors = [x for x in logs if isinstance(x, dict) and x.get("level") == "error"]
                out.append(f"<h3>loggerService.getLogs() ({_e(p)}): {len(logs)} entries, {len(errors)} errors</h3>")
                if errors:
                    out.append(_table(["time", "context", "message"],
                                      [[x.get("time", ""), x.get("context", ""), x.get("message", "")]
                                       for x in errors[-20:]]))
        har = _json_of(payload, "network/trace.har")
        if isinstance(har, dict):
            entries = har.get("log", {}).get("entries", [])
            failed = [x for x in entries if x.get("_error") or int(x.get("response", {}).get("status", 0)) >= 400]
            out.append(f"<p>network trace: {len(entries)} request(s), {len(failed)} failed "
                       "(network/trace.har, HAR 1.2)</p>")

    # --- logs
    out.append("<h2>App logs</h2>")
    if coll.logs:
        out.append(_table(["file", "lines", "tail-limited", "lines before --since"],
                          [[lg.name, lg.lines, "yes" if lg.truncated else "no", lg.dropped_old] for lg in coll.logs],
                          {1, 3}))
    else:
        out.append("<p class=muted>none</p>")

    # --- history
    out.append("<h2>Rollback history and audit log</h2>")
    md = payload.get("history/rollback-history.md", b"").decode("utf-8", "replace")
    out.append(f"<pre>{_e(md)}</pre>")
    audit = _json_of(payload, "history/audit-log.json") or []
    if audit:
        out.append(_table(["id", "time (UTC)", "kind", "who", "how", "outcome", "message"],
                          [[r["id"], r["time"][:19], r["kind"], r["user"], r["how"], _status_word(r["outcome"]),
                            r.get("message") or ""] for r in audit[:50]], {0}))

    # --- system
    sysj = _json_of(payload, "system.json") or {}
    if sysj:
        out.append("<h2>System</h2>")
        out.append(_kv([["OS", sysj.get("os", {}).get("platform")],
                                     ["Python", sysj.get("python", {}).get("version")],
                                     ["flagdeck", sysj.get("flagdeck_version")],
                                     ["app version", sysj.get("app_version") or "-"],
                                     ["command line", " ".join(sysj.get("command_line") or [])],
                                     ["memory", json.dumps(sysj.get("memory"))],
                                     ["app RSS (MB)", sysj.get("app_rss_mb")]]))
        procs = sysj.get("app_processes") or []
        if procs:
            out.append(_table(["pid", "parent", "name", "type", "RSS MB"],
                              [[p["pid"], p["ppid"], p["name"], p["type"], p["rss_mb"]] for p in procs], {0, 1, 4}))

    # --- redaction and files
    out.append("<h2>Redaction</h2>")
    out.append(f"<p{' class=off' if not redaction.enabled else ''}><strong>{_e(redaction.headline())}</strong></p>")
    if redaction.enabled:
        out.append("<p class=muted>Screenshots are pictures of what the pages showed and are not redacted; "
                   "a settings page that displays a key shows it here too.</p>")
    if redaction.enabled and redaction.counts:
        out.append(_table(["file", "rule", "masked"], [[p, r, n] for p, c in sorted(redaction.counts.items())
                                                        for r, n in sorted(c.items())], {2}))
    out.append("<h2>Files</h2>")
    out.append(_table(["file", "bytes"], [[p, len(b)] for p, b in sorted(payload.items())], {1}))

    title = ("REDACTION OFF - " if not redaction.enabled else "") + f"flagdeck evidence: {t.name}"
    body = "\n".join(out)
    page = (f"<!doctype html>\n<html lang=en><head><meta charset=utf-8><title>{_e(title)}</title>"
            f"<meta name=viewport content='width=device-width'><style>{_CSS}</style></head>\n"
            f"<body><main>\n{body}\n</main></body></html>\n")
    page = scrub(page)
    for key, uri in images.items():
        page = page.replace(key, uri)
    return page
