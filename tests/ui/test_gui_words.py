"""The GUI says what to click, not what to type: the core's command-line hints, as the console shows
them (``workers.error_text``), name no option, shell quoting or command."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from flagdeck.errors import FlagdeckError
from flagdeck.storage import durable
from flagdeck.storage.flags import FlagDocument, check_assignment, parse_assignment
from flagdeck.targets.presets import get
from flagdeck.ui.gui_words import for_gui
from flagdeck.ui.workers import error_text

CLI = re.compile(r"(?<![\w-])--[a-z]|flagdeck (status|rollback|notify|history|backups|flags)\b|='")
CATALOGUE = get("demo").flags


def raised(call: Callable[[], Any]) -> FlagdeckError:
    with pytest.raises(FlagdeckError) as caught:
        call()
    return caught.value


@pytest.mark.parametrize("make", [
    lambda: raised(lambda: parse_assignment("USE_UNIFIED_DB_SERVICE=maybe")),
    lambda: raised(lambda: check_assignment("USE_UNIFIED_DB", False, CATALOGUE, FlagDocument.parse("{}"),
                                            force=False)),
    lambda: raised(lambda: check_assignment("USE_UNIFIED_DB_SERVICE", "false", CATALOGUE, FlagDocument.parse("{}"),
                                            force=False)),
    lambda: raised(lambda: FlagDocument.parse("{not json").require_valid("featureFlags")),
])
def test_core_errors_are_said_the_gui_s_way(make: Callable[[], FlagdeckError]) -> None:
    exc = make()
    assert CLI.search(str(exc))  # the CLI's words, as the core says them...
    text = error_text(exc)
    assert not CLI.search(text), text  # ...and the GUI's


def test_durability_and_board_texts_are_said_the_gui_s_way() -> None:
    for text in (durable.memory_only(15.0, "Chromium's own delayed commit").detail, durable.unconfirmed().detail,
                 "Critical: Level 1 rollback now (flagdeck rollback).", "team alert queued (flagdeck notify status)"):
        assert not CLI.search(for_gui(text)), for_gui(text)
