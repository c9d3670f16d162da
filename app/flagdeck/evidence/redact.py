"""Redaction lives in :mod:`flagdeck.redact` (the history and team alerts redact too, and must not
load evidence/ to do it); these names stay importable from here."""

from flagdeck.redact import (
    GENERIC_FIELDS,
    MIN_KNOWN,
    SECRET_HEADERS,
    RedactionReport,
    Redactor,
    every_preset_secrets,
    mask,
)

__all__ = ["GENERIC_FIELDS", "MIN_KNOWN", "SECRET_HEADERS", "RedactionReport", "Redactor", "every_preset_secrets",
           "mask"]
