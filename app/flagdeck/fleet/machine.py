"""This workstation's stable id, as the fleet's targeting key.

The raw machine id (``/etc/machine-id`` on Linux, ``IOPlatformUUID`` on macOS, the
``MachineGuid`` on Windows) is an identifier the OS asks applications not to hand out: the fleet
gets a key derived from it (SHA-256 of it with flagdeck's own prefix, as systemd's
``sd_id128_get_machine_app_specific`` does), stable for the machine and the same for every
flagdeck on it. Without any, a random id is kept in flagdeck's config dir.

``FLAGDECK_MACHINE_ID`` replaces the raw id: a simulated fleet on one machine (the benchmark, the
tests) gives each agent its own.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

from flagdeck import paths
from flagdeck.private_files import write_bytes

ENV = "FLAGDECK_MACHINE_ID"
_PREFIX = b"flagdeck-fleet:"
_LINUX_FILES = (Path("/etc/machine-id"), Path("/var/lib/dbus/machine-id"))


def _from_os() -> str | None:
    if sys.platform.startswith("linux"):
        for path in _LINUX_FILES:
            try:
                text = path.read_text(encoding="ascii").strip()
            except (OSError, UnicodeDecodeError):
                continue
            if text:
                return text
        return None
    if sys.platform == "darwin":
        try:
            out = subprocess.run(["ioreg", "-rd1", "-c", "IOPlatformExpertDevice"], capture_output=True,
                                 text=True, timeout=5).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        for line in out.splitlines():
            if "IOPlatformUUID" in line:
                return line.split("=", 1)[-1].strip().strip('"') or None
        return None
    if sys.platform == "win32":
        try:
            import winreg

            with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"SOFTWARE\Microsoft\Cryptography",
                                0, winreg.KEY_READ | winreg.KEY_WOW64_64KEY) as key:
                return str(winreg.QueryValueEx(key, "MachineGuid")[0]) or None
        except OSError:
            return None
    return None


def _kept() -> str:
    """A random id kept in flagdeck's config dir (a machine without an OS id)."""
    path = paths.config_dir() / "machine-id"
    try:
        text = path.read_text(encoding="ascii").strip()
        if text:
            return text
    except (OSError, UnicodeDecodeError):
        pass
    text = uuid.uuid4().hex
    write_bytes(path, text.encode("ascii") + b"\n")
    return text


def raw_id() -> str:
    return os.environ.get(ENV) or _from_os() or _kept()


def targeting_key(raw: str | None = None) -> str:
    """The fleet's id of this workstation: 32 hex digits, derived from the machine id."""
    data = (raw if raw is not None else raw_id()).encode("utf-8", "surrogatepass")
    return hashlib.sha256(_PREFIX + data).hexdigest()[:32]
