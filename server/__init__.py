"""pnav.server: the Flask application, websocket handlers, operator console and CLI."""

from __future__ import annotations

from .app import create_app
from .settings import Settings, SettingsError

__all__ = ["Settings", "SettingsError", "create_app"]
