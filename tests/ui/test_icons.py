"""The tray icon tells every state apart by shape or badge, not by colour alone; every icon file is a
valid SVG; the app icon comes in several sizes."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from PySide6.QtGui import QImage

from flagdeck.resources_path import resources_root
from flagdeck.ui import icons
from flagdeck.ui.state import Badge, FlagShape, Link

STATES = list(itertools.product(FlagShape, Badge, [Link.LIVE])) + [
    (shape, badge, Link.DISK) for shape in (FlagShape.ON, FlagShape.OFF) for badge in Badge]


def masks(image: QImage) -> tuple[frozenset[tuple[int, int]], frozenset[tuple[int, int]]]:
    """What survives without colour: where the icon is opaque, and where it is (near) white."""
    solid, light = set(), set()
    for y in range(image.height()):
        for x in range(image.width()):
            c = image.pixelColor(x, y)
            if c.alpha() > 128:
                solid.add((x, y))
                if min(c.red(), c.green(), c.blue()) > 215:
                    light.add((x, y))
    return frozenset(solid), frozenset(light)


@pytest.mark.parametrize("size", [22, 32])
def test_every_state_differs_in_shape(qapp: Any, size: int) -> None:
    """Every flag shape with every badge, live or watched on disk only: told apart without colour."""
    seen = {(shape, badge, link): masks(icons.state_image(shape, badge, size, link=link))
            for shape, badge, link in STATES}
    for a, b in itertools.combinations(STATES, 2):
        (solid_a, light_a), (solid_b, light_b) = seen[a], seen[b]
        differing = len(solid_a ^ solid_b) + len(light_a ^ light_b)
        assert differing >= size // 4, f"{a} and {b} differ by colour only ({differing} pixels) at {size} px"


def test_state_icons_have_the_tray_sizes(qapp: Any) -> None:
    icon = icons.state_icon(FlagShape.ON, Badge.ROLLBACK)
    sizes = {(s.width(), s.height()) for s in icon.availableSizes()}
    assert {(16, 16), (22, 22), (24, 24), (32, 32)} <= sizes


def test_app_icon_sizes_and_small_drawing(qapp: Any) -> None:
    icon = icons.app_icon()
    sizes = {s.width() for s in icon.availableSizes()}
    assert {16, 24, 32, 48, 64, 128, 256} <= sizes
    small = icon.pixmap(16, 16).toImage()
    assert masks(small)[0]  # drawn, not empty


def test_every_icon_file_is_a_valid_svg(qapp: Any) -> None:
    root = resources_root() / "icons"
    files = [p for folder in ("", "tray", "badges", "pages", "status")
             for p in (root / folder if folder else root).iterdir() if p.name.endswith(".svg")]
    assert len(files) >= 25
    for path in files:
        parts = tuple(str(path).split("/icons/", 1)[1].split("/"))
        image = icons.render(parts, 24)
        assert not image.isNull() and masks(image)[0], path


def declared_statuses() -> dict[str, tuple[str, ...]]:
    """Every status, outcome and state the code declares, by where it is declared."""
    from typing import get_args

    from flagdeck import history, triggers
    from flagdeck.perf import tiers
    from flagdeck.rollback import run
    from flagdeck.storage import durable
    from flagdeck.ui import action_log
    from flagdeck.ui.console.widgets import BANNER_ICON
    from flagdeck.verify import checklist, result

    return {"Log outcome": get_args(action_log.Outcome), "rollback step": get_args(run.StepStatus),
            "rollback outcome": get_args(run.Outcome), "durability": get_args(durable.State),
            "check status": get_args(result.Status), "checklist answer": get_args(checklist.Answer),
            "trigger severity": get_args(triggers.Severity), "perf severity": get_args(tiers.Severity),
            "history outcome": get_args(history.Outcome), "banner level": tuple(BANNER_ICON)}


def test_every_declared_status_has_its_icon_and_word(qapp: Any) -> None:
    """A status the code can produce and the UI cannot draw ended the tray (a cancelled comparison on
    the Log page): each one has an icon file of its own mapping and a word."""
    from flagdeck.ui.console.widgets import STATUS_WORDS
    from flagdeck.ui.theme import STATUS_COLOURS

    root = resources_root() / "icons"
    walked = 0
    for where, values in declared_statuses().items():
        assert values, where
        for status in values:
            path = root.joinpath(*icons.status_file(status))
            assert path.is_file(), f"{where} {status!r}: no icon ({path.name})"
            assert not icons.status_icon(status).isNull()
            assert STATUS_WORDS.get(status), f"{where} {status!r}: no word"
            assert status in STATUS_COLOURS or status in ("manual", "running", "pending"), f"{where} {status!r}"
            walked += 1
    assert walked >= 35
    assert "memory-only" in declared_statuses()["rollback outcome"]  # main's newest outcome is walked too
    assert icons.status_file("memory-only") == ("status", "not-saved.svg")


def test_every_tray_state_has_its_icon_and_words(qapp: Any) -> None:
    from flagdeck.ui.state import BADGE_WORDS, LINK_WORDS, SHAPE_WORDS

    for shape, badge, link in itertools.product(FlagShape, Badge, Link):
        assert not icons.state_icon(shape, badge, link).isNull()
    assert set(SHAPE_WORDS) == set(FlagShape) and set(BADGE_WORDS) == set(Badge) and set(LINK_WORDS) == set(Link)


def test_an_unknown_status_shows_the_info_mark_instead_of_failing(qapp: Any) -> None:
    assert not icons.status_icon("no-such-status").isNull()


def test_page_icons_exist_for_every_page(qapp: Any) -> None:
    from flagdeck.ui.console.window import PAGES

    for cls in PAGES:
        assert not icons.page_icon(cls.icon).isNull()
