"""flagdeck's place on a Linux desktop: the menu entry, its icons and AppStream metadata, for the
flagdeck that runs now (the bundle, or a clone's venv).

``install(user=True)`` writes, under ``$XDG_DATA_HOME`` (``~/.local/share``), or ``/usr/local/share``
for everyone:

- ``applications/io.github.flagdeck.desktop``: ``packaging/linux/io.github.flagdeck.desktop`` with
  ``Exec=`` pointing at this executable (the committed file is what ``Exec=flagdeck`` gives);
- ``icons/hicolor/scalable/apps/io.github.flagdeck.svg`` and PNGs at 48, 128 and 256 px, drawn
  from the same SVG (Qt's SVG renderer, no display needed);
- ``metainfo/io.github.flagdeck.metainfo.xml``;

then asks the desktop to notice (``update-desktop-database``, ``gtk-update-icon-cache``, when
present). ``uninstall`` removes exactly these files. With ``autostart`` the XDG autostart entry is
written too, pointing at the same executable (``ui.autostart``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from flagdeck.errors import StorageUnreadable, UsageError
from flagdeck.executable import launcher
from flagdeck.resources_path import resource_file

APP_ID = "io.github.flagdeck"
PNG_SIZES = (48, 128, 256)
TEMPLATE = f"{APP_ID}.desktop"
METAINFO = f"{APP_ID}.metainfo.xml"


def packaging_dir() -> Path:
    """``packaging/linux``: inside the bundle (beside its resources), or in the clone."""
    bundled = getattr(sys, "_MEIPASS", None)
    if bundled:
        return Path(bundled) / "packaging" / "linux"
    return Path(__file__).resolve().parents[2] / "packaging" / "linux"


def exec_value(command: list[str]) -> str:
    """An ``Exec=`` value: arguments quoted per the Desktop Entry spec (``%`` doubled)."""
    out = []
    for arg in command:
        text = arg.replace("%", "%%")
        if any(c in text for c in ' \t\n"\'\\><~|&;$*?#()`='):
            text = '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$") + '"'
        out.append(text)
    return " ".join(out)


def entry_text(program: list[str]) -> str:
    """The desktop entry for ``program`` (an argv prefix that runs flagdeck): the committed template
    with its ``Exec=`` line replaced."""
    template = _read(packaging_dir() / TEMPLATE).decode("utf-8")
    lines = [f"Exec={exec_value([*program, 'tray'])}" if line.startswith("Exec=") else line
             for line in template.splitlines()]
    return "\n".join(lines) + "\n"


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"this flagdeck has no desktop files ({path}: {exc.strerror or exc})",
                         hint="use the bundle (./flagdeck.sh package) or a clone of the repository") from None


def data_home(user: bool) -> Path:
    if user:
        return Path(os.environ.get("XDG_DATA_HOME", "").strip() or Path.home() / ".local" / "share")
    return Path("/usr/local/share")


def files(base: Path) -> dict[str, Path]:
    """What install writes under ``base``, by role."""
    icons = base / "icons" / "hicolor"
    out = {"desktop": base / "applications" / TEMPLATE, "metainfo": base / "metainfo" / METAINFO,
           "icon-svg": icons / "scalable" / "apps" / f"{APP_ID}.svg"}
    for size in PNG_SIZES:
        out[f"icon-{size}"] = icons / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
    return out


@dataclass(frozen=True)
class DesktopResult:
    action: str  # installed | uninstalled
    scope: str  # user | system
    executable: list[str]
    files: list[str]
    autostart: str | None = None
    notes: list[str] = field(default_factory=list)


def render_png(svg: Path, size: int, dest: Path) -> None:
    """``svg`` drawn at ``size`` px into ``dest`` (Qt's SVG renderer on an image: no display)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise StorageUnreadable(f"{svg} is not an SVG Qt can draw")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    dest.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(dest)):  # PNG, from the suffix
        raise StorageUnreadable(f"cannot write {dest}")


def _check_platform() -> None:
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        raise UsageError("desktop entries are for Linux (freedesktop) desktops",
                         hint="on macOS use flagdeck.app, on Windows the Start menu shortcut of your installer")


def install(*, user: bool = True, autostart: bool = False) -> DesktopResult:
    _check_platform()
    program = launcher()
    base = data_home(user)
    where = files(base)
    notes: list[str] = []
    try:
        for role, path in where.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            if role == "desktop":
                _write(path, entry_text(program).encode("utf-8"))
            elif role == "metainfo":
                _write(path, _read(packaging_dir() / METAINFO))
            elif role == "icon-svg":
                _write(path, resource_file("icons", "flagdeck.svg").read_bytes())
            else:
                render_png(resource_file("icons", "flagdeck.svg"), int(role.split("-")[1]), path)
    except OSError as exc:
        raise StorageUnreadable(f"cannot write {exc.filename or base}: {exc.strerror or exc}",
                                hint=None if user else "run it as root, or pass --user") from None
    notes += _refresh(base)
    started = None
    if autostart:
        from flagdeck.ui.autostart import XdgAutostart, launch_command

        entry = XdgAutostart(icon=APP_ID)
        entry.enable(launch_command(hidden=True))
        started = entry.location()
    return DesktopResult("installed", "user" if user else "system", program, [str(p) for p in where.values()],
                         started, notes)


def uninstall(*, user: bool = True) -> DesktopResult:
    _check_platform()
    base = data_home(user)
    removed = []
    for path in files(base).values():
        try:
            path.unlink()
            removed.append(str(path))
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StorageUnreadable(f"cannot remove {path}: {exc.strerror or exc}") from None
    from flagdeck.ui.autostart import XdgAutostart

    entry = XdgAutostart()
    had = entry.enabled() or Path(entry.location()).exists()
    entry.disable()
    notes = _refresh(base) if removed else ["nothing to remove: no desktop entry was installed there"]
    return DesktopResult("uninstalled", "user" if user else "system", launcher(), removed,
                         entry.location() if had else None, notes)


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.chmod(0o644)  # read by the desktop (and, installed for everyone, by every user)
    os.replace(tmp, path)


def _refresh(base: Path) -> list[str]:
    """Tell the desktop's caches (best effort: a missing tool is no failure)."""
    done = []
    for tool, arg in (("update-desktop-database", base / "applications"),
                      ("gtk-update-icon-cache", base / "icons" / "hicolor")):
        found = shutil.which(tool)
        if found and arg.is_dir():
            extra = ["-q", "-t", "-f"] if tool == "gtk-update-icon-cache" else ["-q"]
            try:
                subprocess.run([found, *extra, str(arg)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=30, check=False)
                done.append(f"ran {tool}")
            except (OSError, subprocess.SubprocessError):
                pass
    return done
