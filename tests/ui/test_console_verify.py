"""The Verify page against the demo target: checks appear as they run, with status, figures and
limits; a bad release fails them; the items for a person are answered and saved."""

from __future__ import annotations

import json
from typing import Any

from tests.ui.conftest import FLAG


def rows(page: Any) -> dict[str, list[str]]:
    out = {}
    for r in range(page.table.rowCount()):
        values = [page.table.item(r, c).text() if page.table.item(r, c) else "" for c in range(6)]
        out[values[1]] = values
    return out


def test_checks_run_live_with_figures(console_on: Any, live_demo: Any) -> None:
    shell, console = console_on(live_demo)
    page = console.show_page("verify")
    seen: list[tuple[str, str]] = []
    original = page.progress

    def spy(event: Any) -> None:
        original(event)
        check_id = event[0]
        seen.append((check_id, page.table.item(page._rows[check_id], 0).text()))

    page.watch.setChecked(False)
    page.progress = spy  # type: ignore[method-assign]
    page.run()
    shell.qtbot.waitUntil(lambda: "—" in page.verdict.text() and "OK" in page.verdict.text(), timeout=120_000)
    assert ("flag", "running") in seen and ("flag", "PASS") in seen
    table = rows(page)
    assert table["message-load"][0] == "PASS" and table["message-load"][3] == "< 500 ms"
    assert table["message-load"][2].endswith(" ms")
    assert table["data-loss"][0] == "PASS" and "entries" in table["data-loss"][2]
    assert not shell.session.activity.verify_failed


def test_bad_release_fails_and_says_which(console_on: Any, start_demo: Any) -> None:
    demo = start_demo("--fault", "data-loss")
    demo.with_flags(json.dumps({FLAG: True}))
    shell, console = console_on(demo)
    page = console.show_page("verify")
    page.watch.setChecked(False)
    page.run()
    shell.qtbot.waitUntil(lambda: "FAILED" in page.verdict.text(), timeout=120_000)
    table = rows(page)
    assert table["data-loss"][0] == "FAIL"
    assert "data-loss" in page.verdict.text()
    assert shell.session.activity.verify_failed
    assert "last verification FAILED" in console.target_activity.text()


def test_manual_items_are_answered_and_saved(console_on: Any, live_demo: Any) -> None:
    from flagdeck.verify import checklist

    shell, console = console_on(live_demo)
    page = console.show_page("verify")
    table = page.checklist
    shell.qtbot.waitUntil(lambda: table._row_of("new-chat") >= 0, timeout=20_000)
    assert table._row_of("export-perf-metrics") < 0  # pre-rollback items are on the Rollback page
    row = table._row_of("new-chat")
    combo = table.table.cellWidget(row, 1)
    combo.setCurrentIndex(combo.findData("fail"))
    table.table.item(row, 3).setText("the send button stays grey")
    slug = shell.session.target.slug
    shell.qtbot.waitUntil(lambda: checklist.load(slug).get("new-chat", {}).get("note") == "the send button stays grey",
                          timeout=10_000)
    assert checklist.load(slug)["new-chat"]["answer"] == "fail"
    table.reload()
    shell.qtbot.waitUntil(lambda: table.answer_of("new-chat") == "fail", timeout=10_000)
