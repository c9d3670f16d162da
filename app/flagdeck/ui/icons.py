"""Icons from the SVG files in ``resources/icons`` (loaded with ``importlib.resources``).

Tray icons are composed with QPainter: a base shape saying what the rollback flag is (raised and
solid: on; lowered and hollow: off; a question mark: unknown; a cross: target not found), a badge
in the bottom corner saying what flagdeck does, what waits, or what failed (dots: busy; a back
arrow: rollback running; an hourglass on a square: reload pending; a warning triangle: last
verification failed), and a drive in the other corner when the app is only watched on disk (closed,
or without a debug port). Shapes differ, not only colours, so the state reads on a monochrome panel
and for colour-blind users. Every icon is rendered per size from the SVG (crisp at 16 px and at
256 px) and cached.

Status marks for tables (:func:`status_icon`) cover every status, outcome and state the core
declares (``tests/ui/test_icons.py`` walks them); an unknown one logs and shows the info mark
rather than fail.
"""

from __future__ import annotations

import logging
from functools import cache

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from flagdeck.resources_path import resources_root
from flagdeck.ui.state import Badge, FlagShape, Link

log = logging.getLogger("flagdeck.ui.icons")

SIZES = (16, 20, 22, 24, 32, 48, 64, 128, 256)
BADGE_FRACTION = 0.56
LINK_FRACTION = 0.44


@cache
def svg_bytes(*parts: str) -> bytes:
    node = resources_root() / "icons"
    for part in parts:
        node = node / part
    return node.read_bytes()


@cache
def _renderer(*parts: str) -> QSvgRenderer:
    renderer = QSvgRenderer(QByteArray(svg_bytes(*parts)))
    if not renderer.isValid():
        raise ValueError(f"icon {'/'.join(parts)} is not a valid SVG")
    return renderer


def render(parts: tuple[str, ...], size: int, ratio: float = 1.0) -> QImage:
    """One SVG as an ARGB image of ``size`` x ``size`` logical pixels."""
    px = max(1, round(size * ratio))
    renderer = _renderer(*parts)  # before painting: a missing file must not leave a painter open
    image = QImage(px, px, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, px, px))
    painter.end()
    image.setDevicePixelRatio(ratio)
    return image


def _icon_from(parts: tuple[str, ...], sizes: tuple[int, ...] = SIZES) -> QIcon:
    icon = QIcon()
    for size in sizes:
        icon.addPixmap(QPixmap.fromImage(render(parts, size)))
    return icon


@cache
def app_icon() -> QIcon:
    """flagdeck's own icon: a hand-tuned 16 px drawing, the full one from 20 px up."""
    icon = QIcon()
    icon.addPixmap(QPixmap.fromImage(render(("flagdeck-16.svg",), 16)))
    for size in SIZES[1:]:
        icon.addPixmap(QPixmap.fromImage(render(("flagdeck.svg",), size)))
    return icon


def draws_link(shape: FlagShape, link: Link) -> bool:
    """The drive is drawn over a known flag read from disk only (unknown and not found say enough)."""
    return link is Link.DISK and shape in (FlagShape.ON, FlagShape.OFF)


def state_image(shape: FlagShape, mark: Badge, size: int, ratio: float = 1.0, link: Link = Link.LIVE) -> QImage:
    """The tray picture for one state at one size (tests compare these)."""
    image = render(("tray", f"flag-{shape.value}.svg"), size, ratio)
    marks = [(("badges", "disk.svg"), QRectF(0, size * (1 - LINK_FRACTION), size * LINK_FRACTION,
                                              size * LINK_FRACTION))] if draws_link(shape, link) else []
    if mark is not Badge.NONE:
        side = size * BADGE_FRACTION
        marks.append((("badges", f"{mark.value}.svg"), QRectF(size - side, size - side, side, side)))
    if marks:
        renderers = [(_renderer(*parts), rect) for parts, rect in marks]
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for renderer, rect in renderers:
            renderer.render(painter, rect)
        painter.end()
    return image


@cache
def state_icon(shape: FlagShape, mark: Badge, link: Link = Link.LIVE) -> QIcon:
    icon = QIcon()
    for size in (16, 20, 22, 24, 32, 48, 64):
        icon.addPixmap(QPixmap.fromImage(state_image(shape, mark, size, link=link)))
    return icon


@cache
def page_icon(name: str) -> QIcon:
    """A console navigation icon (``flags``, ``rollback``, ``verify``, ...)."""
    return _icon_from(("pages", f"{name}.svg"), (16, 20, 24, 32, 40))


STATUS_FILES = {  # status word -> status/<file>.svg, for every status the core and the UI produce
    "done": "pass", "ok": "pass", "verified": "pass", "on-disk": "pass", "none": "pass",
    "failed": "fail", "error": "fail", "critical": "fail",
    "open": "pending", "n/a": "na", "unverified": "warning", "major": "warning",
    "written": "info", "minor": "info", "memory-only": "not-saved",
}


def status_file(status: str) -> tuple[str, str]:
    """The SVG of a status mark (``("status", "pass.svg")``)."""
    return "status", f"{STATUS_FILES.get(status, status)}.svg"


@cache
def status_icon(status: str) -> QIcon:
    """A mark for tables and banners: every status, outcome and state (``STATUS_FILES``); an
    unknown one is logged and shown with the info mark."""
    try:
        return _icon_from(status_file(status), (16, 20, 24, 32))
    except (OSError, ValueError):
        log.error("no icon for status %r: showing the info mark", status)
        return _icon_from(("status", "info.svg"), (16, 20, 24, 32))


def pixmap(icon: QIcon, size: int) -> QPixmap:
    return icon.pixmap(QSize(size, size))
