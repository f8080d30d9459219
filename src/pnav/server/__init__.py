"""pnav.server: the Flask application, websocket handlers, operator console and CLI."""

from __future__ import annotations

from pnav.server.settings import Settings, SettingsError
from pnav.server.web.app import create_app

__all__ = ["Settings", "SettingsError", "create_app"]
