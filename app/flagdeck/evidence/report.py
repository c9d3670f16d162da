"""``data/report.html``: the page a person opens first, written to be read, not searched.

Top down: the **verdict** a bug report needs (target, flag, what triggered, what was done when,
the outcome, the failed checks with their figures), a **timeline**, the screenshots **before and
after** inline, the **rollback** step by step, the **comparison** as its chart and table, the
**checks**, the **checklists** and the **history** as tables; then pages, logs, system, redaction
and every file of the bundle, linked. Raw JSON stays in the bundle beside it, linked, never dumped.

One self-contained file: inline CSS, images as ``data:`` URIs, no script, nothing fetched. It is
rendered from the *redacted* payload only (``report_facts.py`` reads it), so the report holds no
more than the files beside it and every mask it shows is one the redaction report counts.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from flagdeck import __version__
from flagdeck.evidence.report_chart import svg
from flagdeck.evidence.report_facts import (
    KIND_WORDS,
    LEVEL_WORDS,
    Facts,
    Rollback,
    Verification,
    json_of,
    obj,
    objs,
    read_facts,
)
from flagdeck.evidence.report_html import (
    CSS,
    Raw,
    bullets,
    e,
    figure,
    kv,
    link,
    muted,
    png,
    table,
    when,
    word,
)

if TYPE_CHECKING:  # only its methods are used: where the redaction lives is the caller's business
    from flagdeck.redact import RedactionReport

# Files the export adds after the report is rendered (it lists them too).
LATER_FILES = ("report.html", "redaction-report.txt", "redaction-report.json")
OUTCOME_WORDS = {
    "verified": "VERIFIED: the flag is off in the page and the original path is back",
    "unverified": "UNVERIFIED: written, but the page could not confirm the flag",
    "failed": "FAILED",
    "written": "WRITTEN on disk: the app reads it at its next start",
    "memory-only": "NOT SAVED: in the running app's memory only; a crash would undo it",
}


def render(payload: dict[str, bytes], redaction: RedactionReport, bag_name: str) -> str:
    """The report's HTML from ``payload``, the redacted payload (path under data/ → bytes)."""
    facts = read_facts(payload)
    system = obj(json_of(payload, "system.json"))
    collected = obj(system.get("collected"))
    target = obj(collected.get("target"))
    status = obj(json_of(payload, "flags/status.json"))
    name = target.get("name") or "?"
    who = f"{collected.get('user', '?')}@{collected.get('host', '?')}"

    out: list[str] = []
    if not redaction.enabled:
        out.append(f'<p class="off"><strong>{e(redaction.headline())}</strong></p>')
    out.append(f"<h1>flagdeck evidence: {e(name)}</h1>")
    out.append(f"<p class=muted>bag {e(bag_name)} · exported {e(when(collected.get('started')))} UTC by {e(who)} · "
               f"flagdeck {e(__version__)} · {len(payload) + len(LATER_FILES)} files in data/</p>")
    out.append(_verdict(facts, system, collected, target, status))
    out.append(_timeline(facts, collected))
    out.append(_screenshots(payload, facts))
    out.append(_rollback(facts))
    out.append(_comparison(payload, facts))
    out.append(_checks(facts))
    out.append(_checklists(facts))
    out.append(_history(payload, facts))
    out.append(_other_parts(payload))
    out.append(_flags(payload, status, target))
    out.append(_pages(payload))
    out.append(_logs(collected))
    out.append(_system(system))
    out.append(_redaction(redaction))
    out.append(_files(payload))

    title = ("REDACTION OFF - " if not redaction.enabled else "") + f"flagdeck evidence: {name}"
    body = "\n".join(part for part in out if part)
    return (f"<!doctype html>\n<html lang=en><head><meta charset=utf-8><title>{e(title)}</title>"
            f"<meta name=viewport content='width=device-width'><style>{CSS}</style></head>\n"
            f"<body><main>\n{body}\n</main></body></html>\n")


# --- the verdict ------------------------------------------------------------------------------------


def _failed_lines(v: Verification) -> list[str]:
    return [f"{r.get('title') or r.get('id')}: {r.get('detail') or ''}"
            + (f" ({figure(r.get('figure'), r.get('unit'))}" + (f", limit {r.get('limit')}" if r.get("limit") else "")
               + ")" if r.get("figure") is not None else "") for r in v.failed_results()]


def _flag_now(status: dict[str, Any], flag: str | None) -> str:
    report = obj(status.get("report"))
    flags = objs(report.get("flags"))
    chosen = next((f for f in flags if f.get("name") == flag), None) or next(
        (f for f in flags if f.get("type") == "boolean"), None)
    if chosen is None:
        return "not read at export" if not status else "no boolean flag in the catalogue"
    page = obj(status.get("page_flags"))
    name = chosen.get("name")
    stored = f"stored {_js(chosen.get('stored_value'))}" if chosen.get("stored") else \
        f"not stored (default {_js(chosen.get('default'))})"
    runs = f"; the running page uses {_js(page[name])}" if name in page else ""
    state = "ON" if chosen.get("enabled") else "off"
    return f"{name} is {state} at export: {stored}{runs} ({status.get('mode') or '?'})"


def _js(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def _verdict(facts: Facts, system: dict[str, Any], collected: dict[str, Any], target: dict[str, Any],
             status: dict[str, Any]) -> str:
    rb = facts.rollback
    at = rb.at if rb else ""
    board = facts.board_before(at) if rb else (facts.boards[-1] if facts.boards else None)
    failing = facts.failing_before(at) if rb else facts.failing_before("")
    mode = collected.get("mode") or status.get("mode") or "?"
    rows: list[list[Any]] = [
        ["Target", f"{target.get('name') or '?'} ({target.get('slug') or '?'}), {mode}"
                   + (f" on DevTools port {target.get('debug_port')}" if mode == "live" else "")
                   + (f"; app version {system.get('app_version')}" if system.get("app_version") else "")],
        ["Flag", _flag_now(status, rb.get("flag") if rb else None)],
    ]
    if board is not None:
        fired = [f"{str(t.get('severity', '')).upper()}: {t.get('runbook')} — {t.get('observed')}"
                 for t in board.triggers]
        rows.append(["What triggered", Raw(f"{word(board.level, board.words)} (trigger board of "
                                           f"{e(when(board.at))} UTC){bullets(fired)}")])
    else:
        rows.append(["What triggered", "no trigger board in the bundle (flagdeck triggers was not run)"])
    if failing is not None:
        rows.append(["Failed checks", Raw(f"verification of {e(when(failing.at))} UTC"
                                          f"{bullets(_failed_lines(failing))}")])
    if rb is not None and rb.level != 1:
        rows.append(["What was done", f"{when(rb.get('started'))} UTC: {rb.kind} {rb.get('id')} ({rb.get('mode')})"
                                      + (f", {rb.get('head_before')} → {rb.get('head')}" if rb.get("head") else "")
                                      + f", {float(rb.get('seconds') or 0):.1f} s"])
        outcome = str(rb.get("outcome") or "?")
        rows.append(["Outcome", word(outcome, outcome.upper())])
        headline = f"{rb.kind} on {when(rb.get('started'))} UTC — {outcome.upper()}"
        cls = {"verified": "good", "done": "good", "failed": "bad"}.get(outcome, "warning")
    elif rb is not None:
        by = next((a for a in facts.audit if a.get("kind") == "rollback"
                   and obj(a.get("details")).get("rollback_id") == rb.get("id")), None)
        actor = f" by {by.get('user')} (from the {by.get('how')})" if by else ""
        before = rb.get("flag_before") or "(absent)"
        done = (f"{when(rb.get('started'))} UTC{actor}: Level-1 rollback {rb.get('id')}, {rb.get('flag')} set false "
                f"({rb.get('mode')}); stored {before} → {rb.get('flag_after') or '(absent)'}; backup "
                f"{rb.get('backup') or '-'}; {float(rb.get('seconds') or 0):.1f} s")
        if rb.get("note"):
            done += f"; note: “{rb.get('note')}”"
        rows.append(["What was done", done])
        outcome = str(rb.get("outcome") or "?")
        after = rb.verify
        checks = ""
        if after is not None:
            counts = Counter(str(r.get("status")) for r in after.results)
            checks = f"; the verification after it: {counts['pass']} passed, {counts['fail']} failed"
            if counts["manual"]:
                checks += f", {counts['manual']} for a person"
        durability = obj(rb.get("durability")).get("detail")
        rows.append(["Outcome", Raw(f"{word(outcome, OUTCOME_WORDS.get(outcome, outcome.upper()))}{e(checks)}"
                                    + (f"<br>{muted(durability)}" if durability else ""))])
        if after is not None and after.failed_results():
            rows.append(["Still failing", bullets(_failed_lines(after))])
        now = facts.board_after(at)
        if now is not None:
            rows.append(["Triggers since", Raw(f"{word(now.level, now.words)} (checked {e(when(now.at))} UTC)")])
        headline = (f"Rolled back on {when(rb.get('started'))} UTC: {rb.get('flag')} set false — "
                    f"{OUTCOME_WORDS.get(outcome, outcome).split(':')[0]}")
        cls = {"verified": "good", "failed": "bad", "memory-only": "bad"}.get(outcome, "warning")
    elif board is not None and board.level in ("level-1-now", "level-1-within-hour", "level-2"):
        headline, cls = f"{board.words} — no rollback in this bundle", "bad"
    elif board is not None and board.triggers:
        headline, cls = f"{board.words} — no rollback in this bundle", "warning"
    else:
        headline, cls = "No rollback recorded and no trigger fired", "good" if board is not None else ""
    return (f"<section class='verdict {cls}'><h2>Verdict</h2><p class=headline>{e(headline)}</p>"
            f"{kv(rows)}</section>")


# --- the timeline -----------------------------------------------------------------------------------


def _timeline(facts: Facts, collected: dict[str, Any]) -> str:
    events: list[tuple[str, Any, Any, Any]] = []
    for a in facts.audit:
        what = KIND_WORDS.get(str(a.get("kind")), a.get("kind"))
        how = f" ({a.get('user')}, {a.get('how')})" if a.get("user") else ""
        events.append((str(a.get("time") or "")[:19], f"{what}{how}", word(a.get("outcome")), a.get("message") or ""))
    for b in facts.boards:
        fired = "; ".join(f"{t.get('runbook')}: {t.get('observed')}" for t in b.triggers[:3])
        events.append((b.at, Raw(f"trigger board ({link(b.path, 'raw')})"), word(b.level, b.words), fired))
    recorded = [_seconds(a.get("time")) for a in facts.audit if a.get("kind") == "verify"]
    for v in facts.verifications:
        start = _seconds(v.at)
        if not any(start is not None and t is not None and 0 <= t - start <= 120 for t in recorded):
            events.append((v.at, Raw(f"verification ({link(v.path, 'raw')})"),
                           word("failed" if v.failed_results() else "ok"), ", ".join(v.failed) or "all checks passed"))
    rb = facts.rollback
    if rb is not None:
        events.append((rb.at, "rollback started", "", f"{rb.get('flag')} → false ({rb.get('mode')}), rollback "
                                                     f"{rb.get('id')}"))
    if collected.get("started"):
        events.append((str(collected.get("started"))[:19], "this bundle collected", "", collected.get("mode") or ""))
    if not events:
        return "<h2>Timeline</h2><p class=muted>nothing recorded for this target</p>"
    events.sort(key=lambda ev: ev[0])
    rows = [[when(t), what, outcome, detail] for t, what, outcome, detail in events]
    return "<h2>Timeline</h2><p class=muted>UTC, oldest first</p>" + table(["when", "what", "outcome", "detail"],
                                                                            rows, when={0})


def _seconds(value: Any) -> float | None:
    from datetime import UTC, datetime

    try:
        stamp = datetime.fromisoformat(str(value)[:19])
    except ValueError:
        return None
    return stamp.replace(tzinfo=UTC).timestamp()


# --- screenshots before and after ---------------------------------------------------------------------


def _screenshots(payload: dict[str, bytes], facts: Facts) -> str:
    out = ["<h2>Screenshots</h2>"]
    rb = facts.rollback
    before = next((p for p in sorted(payload) if rb and p.startswith(rb.folder) and p.endswith(".png")), None)
    if before is not None and rb is not None:
        out.append(png(payload[before], f"before: captured by rollback {rb.get('id')} at {when(rb.at)} UTC, "
                                        "with the flag still on", before))
    pages = objs(json_of(payload, "pages.json"))
    for page in pages:
        shot = next((p for p in payload if p.startswith(f"screenshots/{int(page.get('index', 0)):02d}-")), None)
        caption = f"{'after' if rb else 'at export'}: page {page.get('index')}, {page.get('title') or page.get('url')}"
        out.append(png(payload[shot], caption, shot) if shot else
                   f"<p class=warn>{e(caption)}: no screenshot: {e(page.get('screenshot_note'))}</p>")
    if len(out) == 1:
        out.append("<p class=muted>no screenshots: the app was not reachable live</p>")
    return "".join(out)


# --- the rollback -----------------------------------------------------------------------------------


def _rollback(facts: Facts) -> str:
    if not facts.rollbacks:
        return ""
    rb: Rollback = facts.rollbacks[0]
    out = [f"<h2>Rollback {e(rb.get('id'))} <span class=muted>({e(rb.kind)})</span></h2>"]
    steps = [[i + 1, s.get("title") or s.get("id"), word(s.get("status")),
              f"{float(s.get('seconds') or 0):.2f} s", s.get("detail") or ""] for i, s in enumerate(rb.steps)]
    if steps:
        out.append(table(["#", "step", "status", "took", "detail"], steps, num={0, 3}))
    extra = [n for n in rb.get("notes") or [] if n]
    if extra:
        out.append("<p>" + e("; ".join(str(n) for n in extra)) + "</p>")
    out.append(f"<p class=muted>the record: {link(rb.path)}; what was captured before: "
               + ", ".join(str(link(rb.folder + str(f))) for f in obj(obj(rb.get("capture")).get("files")).values())
               + "</p>")
    if len(facts.rollbacks) > 1:
        older = [[when(r.at), r.get("id"), word(r.get("outcome")), link(r.path)] for r in facts.rollbacks[1:]]
        out.append("<h3>Earlier rollbacks</h3>" + table(["started (UTC)", "id", "outcome", "record"], older))
    return "".join(out)


# --- the comparison ---------------------------------------------------------------------------------


def _comparison(payload: dict[str, bytes], facts: Facts) -> str:
    charts = sorted(p for p in payload if p.startswith("perf/") and p.endswith(".png"))
    if not facts.comparisons and not charts:
        return ""
    out = ["<h2>Performance: flag on vs off</h2>"]
    shown: set[str] = set()
    if facts.comparisons:
        c = facts.comparisons[0]
        d = c.data
        if d.get("metric"):
            severity = _tier(d.get("severity"), d.get("summary"))
            out.append(f"<p>{word(severity, severity.upper())} — {e(d.get('metric'))}: {e(d.get('summary'))} "
                       f"({e(d.get('runs'))} runs per side, {e(when(d.get('started')))} UTC, flag "
                       f"{e(d.get('flag'))}; {link(c.path, 'raw')})</p>")
        if d.get("cancelled"):
            out.append("<p class=warn>This comparison was cancelled: not classified.</p>")
        headline = obj(obj(d.get("metrics")).get(str(d.get("metric"))))
        drawn = svg(headline) if headline else ""
        if drawn:
            out.append(f"<figure class=wide>{drawn}<figcaption>the headline metric, every run a dot; the box is "
                       "the middle half, the line the median</figcaption></figure>")
        if c.chart:
            out.append(png(payload[c.chart], "every metric, as flagdeck compare drew it", c.chart, wide=True))
            shown.add(c.chart)
        rows = []
        for m in objs(list(obj(d.get("metrics")).values())):
            on, off = obj(m.get("on")), obj(m.get("off"))
            ci = (f"{m.get('ci_low')} to {m.get('ci_high')} %" if m.get("ci_low") is not None else
                  m.get("note") or "-")
            change = f"{m.get('degradation_pct'):+g} %" if isinstance(m.get("degradation_pct"), int | float) else "-"
            unit = m.get("unit")
            rows.append([m.get("name"), figure(on.get("median"), unit), figure(off.get("median"), unit), change, ci,
                         word(_tier(m.get("severity"), m.get("summary")))])
        if rows:
            out.append("<p class=muted>median per side; change = on vs off (positive: slower with the flag on)</p>")
            out.append(table(["metric", "flag on", "flag off", "change", "95 % interval", "tier"], rows, num={1, 2, 3}))
        elif not d.get("metric"):
            out.append(f"<p class=muted>a result file in an older shape: {link(c.path)}</p>")
    for chart in charts:
        if chart not in shown:
            out.append(png(payload[chart], chart, chart, wide=True))
    if len(facts.comparisons) > 1:
        out.append("<p class=muted>earlier comparisons: " + ", ".join(str(link(c.path)) for c in facts.comparisons[1:])
                   + "</p>")
    return "".join(out)


def _tier(severity: Any, summary: Any) -> str:
    """The runbook's tier; "not classified" (too few runs, cancelled) is not the reassuring "none"."""
    if str(summary or "").startswith("not classified") or severity is None:
        return "not classified"
    return str(severity)


# --- checks, checklists, history ----------------------------------------------------------------------


def _result_rows(v: Verification) -> list[list[Any]]:
    return [[word(r.get("status"), str(r.get("status") or "").upper()), r.get("title") or r.get("id"),
             figure(r.get("figure"), r.get("unit")), r.get("limit") or "", r.get("detail") or ""] for r in v.results]


def _checks(facts: Facts) -> str:
    checks = list(facts.verifications)
    rb = facts.rollback
    if rb is not None and rb.verify is not None:
        checks.append(rb.verify)
    if not checks and not facts.boards:
        return ""
    out = ["<h2>Checks</h2>"]
    failing = facts.failing_before(rb.at if rb else "")
    newest = max(checks, key=lambda v: v.at) if checks else None
    for v, label in ((failing, "The verification that failed"), (newest, "The newest verification")):
        if v is not None and (label.startswith("The newest") or v is not newest):
            out.append(f"<h3>{e(label)}: {e(when(v.at))} UTC ({e(v.mode or '?')}) — {link(v.path, 'raw')}</h3>")
            out.append(table(["status", "check", "figure", "limit", "detail"], _result_rows(v), num={2}))
    if len(facts.verifications) > 1:
        out.append("<h3>Every verification</h3>" + table(
            ["when (UTC)", "mode", "outcome", "failed", "raw"],
            [[when(v.at), v.mode, word("failed" if v.failed_results() else "ok"), ", ".join(v.failed) or "-",
              link(v.path)] for v in reversed(facts.verifications)], when={0}))
    if facts.boards:
        out.append("<h3>Trigger boards</h3>" + table(
            ["checked (UTC)", "level", "triggers (runbook: what was measured)", "not measurable", "raw"],
            [[when(b.at), word(b.level, LEVEL_WORDS.get(b.level, b.level)),
              bullets(f"{str(t.get('severity', '')).upper()} {t.get('runbook')}: {t.get('observed')}"
                      for t in b.triggers) or "none", ", ".join(b.not_checked) or "-", link(b.path)]
             for b in reversed(facts.boards)], when={0}))
    for path in facts.other_results:
        out.append(f"<p class=muted>another result file: {link(path)}</p>")
    return "".join(out)


def _checklists(facts: Facts) -> str:
    if facts.checklist_path is None:
        return ""
    from flagdeck.verify.checklist import ITEMS

    known = {i.id for i in ITEMS}
    covered = _covered(facts)
    rows = []
    for item in ITEMS:
        saved = facts.checklist.get(item.id)
        answer = str(saved.get("answer")) if saved else "open"
        who = f"{saved.get('by') or ''} {when(saved.get('time'))}".strip() if saved else ""
        shown: Any = word(answer)
        if not saved and item.automated_by in covered:
            status = covered[item.automated_by]
            shown = Raw(f"{word(status)} {muted('by ' + item.automated_by)}")
            who = "flagdeck"
        rows.append([item.phase, item.section, Raw(f"{e(item.text)} {muted(item.id)}"), shown,
                     saved.get("note") or "" if saved else "", who])
    rows += [["?", "?", Raw(f"{muted(k)}"), word(v.get("answer")), v.get("note") or "", ""]
             for k, v in facts.checklist.items() if k not in known]
    answered = sum(1 for r in facts.checklist.values() if r.get("answer") not in (None, "open"))
    return (f"<h2>Checklists</h2><p class=muted>{answered} of {len(ITEMS)} items answered by a person — "
            f"{link(facts.checklist_path, 'raw')}</p>"
            + table(["phase", "section", "item", "answer", "note", "by, when (UTC)"], rows))


def _covered(facts: Facts) -> dict[str, str]:
    """What flagdeck itself covered: each check's status in the newest verification, and the
    rollback's capture step."""
    out: dict[str, str] = {}
    checks = list(facts.verifications) + ([facts.rollback.verify] if facts.rollback and facts.rollback.verify else [])
    for v in sorted((c for c in checks if c is not None), key=lambda c: c.at):
        out.update({str(r.get("id")): str(r.get("status")) for r in v.results if r.get("status") != "manual"})
    if facts.rollback is not None:
        out.update({str(s.get("id")): str(s.get("status")) for s in facts.rollback.steps})
    return out


def _history(payload: dict[str, bytes], facts: Facts) -> str:
    out = ["<h2>History</h2>"]
    rollbacks = [a for a in facts.audit if a.get("kind") == "rollback"]
    out.append("<h3>Rollback history (the runbook's table)</h3>")
    if rollbacks:
        out.append(table(["date", "version", "issue", "rollback type", "resolution", "outcome", "note"],
                         [[str(a.get("time") or "")[:10], a.get("version") or "-", a.get("issue") or "-",
                           obj(a.get("details")).get("rollback_type") or "-", a.get("resolution") or "-",
                           word(obj(a.get("details")).get("outcome") or a.get("outcome")),
                           obj(a.get("details")).get("note") or "-"] for a in sorted(rollbacks, key=lambda a: str(
                               a.get("time")))]))
    else:
        out.append("<p class=muted>no rollback recorded</p>")
    if "history/rollback-history.md" in payload:
        out.append(f"<p class=muted>as Markdown: {link('history/rollback-history.md')}</p>")
    if facts.audit:
        out.append(f"<h3>Audit log (newest first, {len(facts.audit)} entries)</h3>")
        out.append(table(["#", "when (UTC)", "what", "who", "how", "outcome", "detail"],
                         [[a.get("id"), when(a.get("time")), KIND_WORDS.get(str(a.get("kind")), a.get("kind")),
                           a.get("user"), a.get("how"), word(a.get("outcome")), a.get("message") or ""]
                          for a in facts.audit[:100]], num={0}, when={1}))
        out.append(f"<p class=muted>{link('history/audit-log.json', 'raw')}</p>")
    return "".join(out)


def _other_parts(payload: dict[str, bytes]) -> str:
    """Results of parts this report has no view of (the fleet agent's, a newer part's): each file
    linked, with its plain fields."""
    known = ("verify/", "perf/", "rollbacks/", "checklists/", "history/", "screenshots/", "console/", "logger/",
             "logs/", "localstorage/", "network/", "flags/")
    others = sorted(p for p in payload if "/" in p and not p.startswith(known) and p.endswith(".json"))
    if not others:
        return ""
    out = ["<h2>Other results</h2>"]
    for path in others[:30]:
        data = obj(json_of(payload, path))
        plain = [[k, v] for k, v in data.items() if isinstance(v, str | int | float | bool) or v is None][:12]
        out.append(f"<h3>{link(path)}</h3>" + (kv(plain) if plain else ""))
    return "".join(out)


# --- flags, pages, logs, system, redaction, files ---------------------------------------------------


def _flags(payload: dict[str, bytes], status: dict[str, Any], target: dict[str, Any]) -> str:
    out = ["<h2>Flags at export</h2>"]
    report = obj(status.get("report"))
    if report:
        doc = obj(report.get("document"))
        out.append(kv([["origin", status.get("origin") or target.get("origin") or "-"],
                       [target.get("storage_key") or "flags", doc.get("raw") if doc.get("present")
                        else "(absent: the app runs on its defaults)"]]))
        rows = [[f.get("name"), _js(f.get("stored_value")) if f.get("stored") else "-", _js(f.get("effective")),
                 word("ON" if f.get("enabled") else "off"), f.get("source"), _js(f.get("default"))]
                for f in objs(report.get("flags"))]
        out.append(table(["flag", "stored", "effective", "acts", "source", "default"], rows))
        out += [f"<p class=warn>{e(w.get('message'))}</p>" for w in objs(report.get("warnings"))]
        out.append(f"<p class=muted>{link('flags/status.json', 'raw')}</p>")
    else:
        out.append("<p class=muted>the flags could not be read at export</p>")
    notes = [n for n in payload.get("notes.txt", b"").decode("utf-8", "replace").splitlines() if n.strip()]
    if notes:
        out.append("<h3>Notes of the export</h3><ul>" + "".join(f"<li>{e(n)}</li>" for n in notes) + "</ul>")
    return "".join(out)


def _pages(payload: dict[str, bytes]) -> str:
    pages = objs(json_of(payload, "pages.json"))
    if not pages:
        return "<h2>Pages, console and network</h2><p class=muted>no live pages captured (offline bundle)</p>"
    console = objs(json_of(payload, "console/console.json"))
    out = ["<h2>Pages, console and network</h2>"]
    errors: Counter[Any] = Counter(c.get("page") for c in console if c.get("level") == "error")
    prow = [[p.get("index"), p.get("origin"), p.get("title") or p.get("url"), p.get("console_entries"),
             errors[p.get("index")], p.get("network_events"), p.get("logger")] for p in pages]
    out.append(table(["#", "origin", "page", "console", "errors", "network events", "loggerService"], prow,
                     num={0, 3, 4, 5}))
    err_lines = []
    for p in sorted(x for x in payload if x.startswith("console/") and x.endswith(".log")):
        err_lines += [[link(p), line] for line in payload[p].decode("utf-8", "replace").splitlines()
                      if " ERROR " in line or "[exception]" in line]
    out.append("<h3>Console errors</h3>" + (table(["file", "line"], err_lines[-50:]) if err_lines
                                            else "<p class=muted>none</p>"))
    levels: Counter[str] = Counter(str(c.get("level")) for c in console)
    out.append(f"<p class=muted>console levels: {e(', '.join(f'{k} {v}' for k, v in sorted(levels.items())))}"
               f" — {link('console/console.json', 'raw')}</p>")
    for p in sorted(x for x in payload if x.startswith("logger/")):
        logs = objs(json_of(payload, p))
        errs = [x for x in logs if x.get("level") == "error"]
        out.append(f"<h3>loggerService.getLogs(): {len(logs)} entries, {len(errs)} errors — {link(p, 'raw')}</h3>")
        if errs:
            out.append(table(["time", "context", "message"], [[x.get("time", ""), x.get("context", ""),
                                                               x.get("message", "")] for x in errs[-20:]]))
    har = obj(json_of(payload, "network/trace.har"))
    if har:
        entries = objs(obj(har.get("log")).get("entries"))
        failed = [x for x in entries if x.get("_error") or int(obj(x.get("response")).get("status", 0) or 0) >= 400]
        out.append(f"<p>network trace: {len(entries)} request(s), {len(failed)} failed — "
                   f"{link('network/trace.har')} (HAR 1.2)</p>")
    return "".join(out)


def _logs(collected: dict[str, Any]) -> str:
    logs_info = objs(collected.get("logs"))
    if not logs_info:
        return "<h2>App logs</h2><p class=muted>none</p>"
    return "<h2>App logs</h2>" + table(
        ["file", "lines", "tail-limited", "lines before --since"],
        [[link(f"logs/{lg.get('file')}", lg.get("file")), lg.get("lines"), "yes" if lg.get("tail_limited") else "no",
          lg.get("lines_before_since")] for lg in logs_info], num={1, 3})


def _system(system: dict[str, Any]) -> str:
    if not system:
        return ""
    memory = obj(system.get("memory"))
    out = ["<h2>System</h2>", kv([["OS", obj(system.get("os")).get("platform")],
                                  ["Python", obj(system.get("python")).get("version")],
                                  ["flagdeck", system.get("flagdeck_version")],
                                  ["app version", system.get("app_version") or "-"],
                                  ["command line", " ".join(str(a) for a in system.get("command_line") or [])],
                                  ["memory", ", ".join(f"{k} {v}" for k, v in memory.items()) or "-"],
                                  ["app RSS (MB)", system.get("app_rss_mb")]])]
    procs = objs(system.get("app_processes"))
    if procs:
        out.append(table(["pid", "parent", "name", "type", "RSS MB"],
                         [[p.get("pid"), p.get("ppid"), p.get("name"), p.get("type"), p.get("rss_mb")] for p in procs],
                         num={0, 1, 4}))
    out.append(f"<p class=muted>{link('system.json', 'raw')}</p>")
    return "".join(out)


def _redaction(redaction: RedactionReport) -> str:
    out = ["<h2>Redaction</h2>",
           f"<p{' class=off' if not redaction.enabled else ''}><strong>{e(redaction.headline())}</strong></p>"]
    if redaction.enabled:
        out.append("<p class=muted>Screenshots are pictures of what the pages showed and are not redacted; "
                   "a settings page that displays a key shows it here too.</p>")
    if redaction.enabled and redaction.counts:
        out.append(table(["file", "rule", "masked"], [[p, r, n] for p, c in sorted(redaction.counts.items())
                                                      for r, n in sorted(c.items())], num={2}))
    out.append(f"<p class=muted>{link('redaction-report.txt')} · {link('redaction-report.json')}</p>")
    return "".join(out)


def _files(payload: dict[str, bytes]) -> str:
    rows = [[link(p), len(b)] for p, b in sorted(payload.items())]
    rows += [[link(p), "-"] for p in LATER_FILES if p not in payload]
    return (f"<h2>Files ({len(rows)} in data/)</h2>" + table(["file", "bytes"], rows, num={1})
            + "<p class=muted>and the bag's own files beside data/ (bagit.txt, bag-info.txt and the checksum "
              "manifests) that flagdeck evidence verify checks</p>")
