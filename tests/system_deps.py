"""The one way a test says it cannot run for want of a system package (chromium, Xvfb, trayer, setpriv...).

On a developer's machine such a test is skipped with a reason a person can act on (what to
install). In CI (``CI=true``) it FAILS with the same message: CI installs every package
(``packaging/system-deps.sh ensure`` runs there as root), so a missing one is a broken CI, and a
skip would report a green suite that did not test what it claims.

- ``require(reason)`` inside a test or fixture, where the lack was found;
- ``needs(missing, reason)``, a marker for tests and parameters (instead of ``pytest.mark.skipif``),
  acted on by ``tests/conftest.py``'s ``pytest_runtest_setup``.

Never call ``pytest.skip`` or ``pytest.mark.skipif`` in tests/ directly: ``tests/test_system_deps.py``
fails when one appears.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

MARKER = "system_dep"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def require(reason: str) -> NoReturn:
    """Stop the calling test (or module): skipped with ``reason``, or failed with it when ``CI=true``."""
    if in_ci():
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def needs(missing: bool, reason: str) -> pytest.MarkDecorator:
    """A marker: when ``missing``, the test is stopped by :func:`require` before it starts."""
    return getattr(pytest.mark, MARKER)(missing=missing, reason=reason)


def check_markers(item: pytest.Item) -> None:
    """``pytest_runtest_setup``: act on the :func:`needs` markers of ``item``."""
    for mark in item.iter_markers(MARKER):
        if mark.kwargs.get("missing"):
            require(str(mark.kwargs.get("reason")))
