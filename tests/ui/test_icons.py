"""The tray icon tells every state apart by shape or badge, not by colour alone; every icon file is a
valid SVG; the app icon comes in several sizes."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from PySide6.QtGui import QImage

from flagdeck.resources_path import resources_root
from flagdeck.ui import icons
from flagdeck.ui.state import Badge, FlagShape

STATES = list(itertools.product(FlagShape, Badge))


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
    seen = {state: masks(icons.state_image(*state, size)) for state in STATES}
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


def test_page_and_status_icons_exist_for_every_use(qapp: Any) -> None:
    from flagdeck.ui.console.window import PAGES

    for cls in PAGES:
        assert not icons.page_icon(cls.icon).isNull()
    for status in ("pass", "fail", "manual", "running", "pending", "skipped", "n/a", "open", "done", "failed",
                   "warning", "info", "verified", "unverified", "written", "ok"):
        assert not icons.status_icon(status).isNull(), status
