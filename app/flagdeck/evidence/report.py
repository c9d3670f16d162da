"""``data/report.html``: the page a person opens first. One self-contained file: inline CSS, images
as ``data:`` URIs, no script, nothing fetched from the network.

It is rendered from the *redacted* payload only, never from what was collected: the summary from
``system.json`` (what was collected: target, mode, who, when, logs) and ``flags/status.json``, the
notes from ``notes.txt``, the pages from ``pages.json`` and ``console/console.json``, the results,
history and screenshots from their files. So the report holds no more than the files beside it,
and every mask it shows is one the redaction report counts.
"""

from __future__ import annotations

import base64
import html
import json
from collections import Counter
from typing import Any

from flagdeck import __version__
from flagdeck.redact import RedactionReport
from flagdeck.storage import json_edit

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
    """The JSON value of a payload file, or None (missing, not JSON, or nested too deep to read)."""
    try:
        text = payload[path].decode("utf-8")
        return None if json_edit.too_deep(text) else json.loads(text)
    except (KeyError, UnicodeDecodeError, ValueError, RecursionError):
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


def _titled(name: str, data: Any) -> str:
    """A results file's heading: its path, and which rollback it records (Level 1, 2 or 3)."""
    from flagdeck.history import ROLLBACK_TYPE

    kind = data.get("rollback_type") if isinstance(data, dict) else None
    if not kind and isinstance(data, dict) and name.startswith("rollbacks/") and data.get("flag"):
        kind = ROLLBACK_TYPE
    return f"{name}: {kind}, {data.get('outcome')}" if kind and isinstance(data, dict) else name


def _obj(value: Any) -> dict[str, Any]:
    """A JSON object of the payload, or {} (a part missing or not what it should be)."""
    return value if isinstance(value, dict) else {}


def render(payload: dict[str, bytes], redaction: RedactionReport, bag_name: str) -> str:
    """The report's HTML from ``payload``, the redacted payload (path under data/ → bytes)."""

    def img(path: str, caption: str) -> str:
        uri = "data:image/png;base64," + base64.b64encode(payload[path]).decode()
        return f'<figure><img alt="{_e(caption)}" src="{uri}"><figcaption>{_e(caption)}</figcaption></figure>'

    system = _obj(_json_of(payload, "system.json"))
    collected = _obj(system.get("collected"))
    t = _obj(collected.get("target"))
    status = _obj(_json_of(payload, "flags/status.json"))
    name = t.get("name") or "?"
    mode = collected.get("mode") or status.get("mode") or "?"
    started, who = collected.get("started") or "?", f"{collected.get('user', '?')}@{collected.get('host', '?')}"

    out: list[str] = []
    if not redaction.enabled:
        out.append(f'<p class="off"><strong>{_e(redaction.headline())}</strong></p>')
    out.append(f"<h1>flagdeck evidence: {_e(name)}</h1>")
    out.append(f"<p class=muted>bag {_e(bag_name)} · exported {_e(started)} by {_e(who)} · "
               f"flagdeck {_e(__version__)}</p>")

    # --- summary
    rows: list[list[Any]] = [["target", f"{name} ({t.get('slug', '?')})"], ["storage", t.get("storage") or "-"],
            ["mode", mode + (f" (debug port {t.get('debug_port')})" if mode == "live" else "")],
            ["origin", status.get("origin") or t.get("origin") or "-"],
            ["app version", system.get("app_version") or "-"], ["when (UTC)", started], ["who", who]]
    report = _obj(status.get("report")) or None
    if report is not None:
        doc = _obj(report.get("document"))
        rows.append([t.get("storage_key") or "flags", doc.get("raw") if doc.get("present")
                     else "(absent: the app runs on its defaults)"])
    out.append("<h2>Summary</h2>" + _kv(rows))
    if report is not None:
        frows = [[f.get("name"), json.dumps(f.get("stored_value")) if f.get("stored") else "-",
                  json.dumps(f.get("effective")), _status_word("ON" if f.get("enabled") else "off"), f.get("source"),
                  json.dumps(f.get("default"))]
                 for f in report.get("flags") or [] if isinstance(f, dict)]
        out.append("<h3>Flags (stored → effective)</h3>"
                   + _table(["flag", "stored", "effective", "acts", "source", "default"], frows))
        out += [f"<p class=warn>{_e(w.get('message'))}</p>" for w in report.get("warnings") or []
                if isinstance(w, dict)]
    notes = [n for n in payload.get("notes.txt", b"").decode("utf-8", "replace").splitlines() if n.strip()]
    if notes:
        out.append("<h3>Notes</h3><ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>")

    # --- results of other parts
    for section, label in (("verify", "Verification and trigger board"), ("checklists", "Checklists"),
                           ("rollbacks", "Rollbacks"), ("fleet", "Fleet (the team's flag engine)")):
        paths = sorted(p for p in payload if p.startswith(section + "/") and p.endswith(".json"))
        if paths:
            out.append(f"<h2>{label}</h2>")
            out += [_results_html(_titled(p, _json_of(payload, p)), _json_of(payload, p)) for p in paths[:30]]

    # --- charts
    charts = sorted(p for p in payload if p.startswith("perf/") and p.endswith(".png"))
    perf_json = sorted(p for p in payload if p.startswith("perf/") and p.endswith(".json"))
    if charts or perf_json:
        out.append("<h2>Performance</h2>")
        out += [img(p, p) for p in charts]
        out += [_results_html(p, _json_of(payload, p)) for p in perf_json[:10]]

    # --- screenshots and pages
    out.append("<h2>Pages</h2>")
    pages = [p for p in _json_of(payload, "pages.json") or [] if isinstance(p, dict)]
    if not pages:
        out.append("<p class=muted>no live pages captured (offline bundle)</p>")
    console = [c for c in _json_of(payload, "console/console.json") or [] if isinstance(c, dict)]
    for page in pages:
        shot = next((p for p in payload if p.startswith(f"screenshots/{int(page.get('index', 0)):02d}-")), None)
        caption = f"page {page.get('index')}: {page.get('title') or page.get('url')} ({page.get('origin')})"
        out.append(img(shot, caption) if shot else f"<p class=warn>{_e(caption)}: no screenshot: "
                                                   f"{_e(page.get('screenshot_note'))}</p>")
    if pages:
        levels: Counter[str] = Counter(str(c.get("level")) for c in console)
        errors: Counter[Any] = Counter(c.get("page") for c in console if c.get("level") == "error")
        prow = [[p.get("index"), p.get("origin"), p.get("title") or p.get("url"), p.get("console_entries"),
                 errors[p.get("index")], p.get("network_events"), p.get("logger")] for p in pages]
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
                errs = [x for x in logs if isinstance(x, dict) and x.get("level") == "error"]
                out.append(f"<h3>loggerService.getLogs() ({_e(p)}): {len(logs)} entries, {len(errs)} errors</h3>")
                if errs:
                    out.append(_table(["time", "context", "message"],
                                      [[x.get("time", ""), x.get("context", ""), x.get("message", "")]
                                       for x in errs[-20:]]))
        har = _json_of(payload, "network/trace.har")
        if isinstance(har, dict):
            entries = har.get("log", {}).get("entries", [])
            failed = [x for x in entries if x.get("_error") or int(x.get("response", {}).get("status", 0)) >= 400]
            out.append(f"<p>network trace: {len(entries)} request(s), {len(failed)} failed "
                       "(network/trace.har, HAR 1.2)</p>")

    # --- logs
    out.append("<h2>App logs</h2>")
    logs_info = [lg for lg in collected.get("logs") or [] if isinstance(lg, dict)]
    if logs_info:
        out.append(_table(["file", "lines", "tail-limited", "lines before --since"],
                          [[lg.get("file"), lg.get("lines"), "yes" if lg.get("tail_limited") else "no",
                            lg.get("lines_before_since")] for lg in logs_info], {1, 3}))
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
    if system:
        out.append("<h2>System</h2>")
        out.append(_kv([["OS", system.get("os", {}).get("platform")],
                        ["Python", system.get("python", {}).get("version")],
                        ["flagdeck", system.get("flagdeck_version")],
                        ["app version", system.get("app_version") or "-"],
                        ["command line", " ".join(system.get("command_line") or [])],
                        ["memory", json.dumps(system.get("memory"))],
                        ["app RSS (MB)", system.get("app_rss_mb")]]))
        procs = system.get("app_processes") or []
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
    out.append("<p class=muted>and this report, redaction-report.txt and redaction-report.json (what was masked "
               "where, as in the table above)</p>")

    title = ("REDACTION OFF - " if not redaction.enabled else "") + f"flagdeck evidence: {name}"
    body = "\n".join(out)
    return (f"<!doctype html>\n<html lang=en><head><meta charset=utf-8><title>{_e(title)}</title>"
            f"<meta name=viewport content='width=device-width'><style>{_CSS}</style></head>\n"
            f"<body><main>\n{body}\n</main></body></html>\n")
