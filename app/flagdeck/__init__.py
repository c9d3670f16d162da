"""flagdeck: feature-flag control, Level-1 rollback and verification for Chromium/Electron apps."""

__version__ = "0.1.0"
