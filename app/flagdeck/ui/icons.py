"""Icons from the SVG files in ``resources/icons`` (loaded with ``importlib.resources``).

Tray icons are composed with QPainter: a base shape saying what the rollback flag is (raised and
solid: on; lowered and hollow: off; a question mark: unknown; a cross: target not found) and a
badge in the corner saying what flagdeck does or what failed (dots: busy; a back arrow: rollback
running; a warning triangle: last verification failed). Shapes differ, not only colours, so the
state reads on a monochrome panel and for colour-blind users. Every icon is rendered per size from
the SVG (crisp at 16 px and at 256 px) and cached.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from flagdeck.resources_path import resources_root
from flagdeck.ui.state import Badge, FlagShape

SIZES = (16, 20, 22, 24, 32, 48, 64, 128, 256)
BADGE_FRACTION = 0.56


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
    image = QImage(px, px, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    _renderer(*parts).render(painter, QRectF(0, 0, px, px))
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


def state_image(shape: FlagShape, mark: Badge, size: int, ratio: float = 1.0) -> QImage:
    """The tray picture for one state at one size (tests compare these)."""
    image = render(("tray", f"flag-{shape.value}.svg"), size, ratio)
    if mark is not Badge.NONE:
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        side = size * BADGE_FRACTION
        target = QRectF(size - side, size - side, side, side)
        _renderer("badges", f"{mark.value}.svg").render(painter, target)
        painter.end()
    return image


@cache
def state_icon(shape: FlagShape, mark: Badge) -> QIcon:
    icon = QIcon()
    for size in (16, 20, 22, 24, 32, 48, 64):
        icon.addPixmap(QPixmap.fromImage(state_image(shape, mark, size)))
    return icon


@cache
def page_icon(name: str) -> QIcon:
    """A console navigation icon (``flags``, ``rollback``, ``verify``, ...)."""
    return _icon_from(("pages", f"{name}.svg"), (16, 20, 24, 32, 40))


@cache
def status_icon(status: str) -> QIcon:
    """A mark for tables: pass, fail, manual, running, pending, skipped, na, warning, info."""
    name = {"done": "pass", "ok": "pass", "verified": "pass", "failed": "fail", "open": "pending",
            "n/a": "na", "unverified": "warning", "written": "info", "memory-only": "fail"}.get(status, status)
    return _icon_from(("status", f"{name}.svg"), (16, 20, 24, 32))


def pixmap(icon: QIcon, size: int) -> QPixmap:
    return icon.pixmap(QSize(size, size))
