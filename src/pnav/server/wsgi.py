"""The WSGI entry point for production servers: ``gunicorn pnav.server.wsgi:app``.

Settings come from ``PNAV_CONFIG`` (a TOML file, optional) and ``PNAV_*`` variables;
see docs/deploy.md for gunicorn with gevent workers. Logs: text, or JSON lines with
``PNAV_LOG_FORMAT=json`` (docs/operations.md).
"""

from __future__ import annotations

import os

from pnav.server.ops import logs
from pnav.server.settings import Settings
from pnav.server.web.app import create_app

__all__ = ["app"]

logs.configure()
app = create_app(Settings.load(os.environ.get("PNAV_CONFIG")))
