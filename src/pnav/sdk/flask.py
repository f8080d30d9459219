"""Flask extension: ``{{ pnav_banner() }}`` in any Jinja template renders the snippet.

    from pnav.sdk.flask import Pnav
    pnav = Pnav(app)  # or pnav.init_app(app) in an app factory

    PNAV_SERVER_URL = "https://chat.example.org"   # the app's config
    PNAV_PARTNER = "town-hall"
    # optional: PNAV_LANG, PNAV_EXIT_URL, PNAV_LAUNCHER

The page's CSP nonce goes on the script tag by itself when the app keeps it where
Flask-Talisman does (``request.csp_nonce``) or in ``g.csp_nonce``; or pass it:
``pnav_banner(nonce=my_nonce)``. Any other keyword overrides the config for one page.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, request
from markupsafe import Markup

from pnav.sdk.embed import EmbedError, embed_snippet

__all__ = ["Pnav", "page_nonce"]

_OPTIONS = {"lang": "PNAV_LANG", "exit_url": "PNAV_EXIT_URL", "launcher": "PNAV_LAUNCHER"}


def page_nonce() -> str | None:
    """This response's CSP nonce, where Flask apps usually keep it."""
    nonce = getattr(request, "csp_nonce", None) or g.get("csp_nonce")
    return nonce if isinstance(nonce, str) else None


class Pnav:
    """Registers the ``pnav_banner()`` Jinja global; checks the config at ``init_app``."""

    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        for key in ("PNAV_SERVER_URL", "PNAV_PARTNER"):
            if not app.config.get(key):
                raise EmbedError(f"set {key} in the Flask config to use pnav.sdk.flask")
        # Bad values fail now, at start-up, not on the first page view.
        embed_snippet(app.config["PNAV_SERVER_URL"], app.config["PNAV_PARTNER"], **_config(app))
        app.extensions["pnav.sdk.flask"] = self
        app.jinja_env.globals["pnav_banner"] = pnav_banner


def _config(app: Flask) -> dict[str, Any]:
    return {opt: app.config[key] for opt, key in _OPTIONS.items() if app.config.get(key)}


def pnav_banner(**overrides: Any) -> Markup:
    """The snippet for this page (the one-line script tag), with the page's nonce."""
    app = current_app
    options = {**_config(app), **overrides}
    if "nonce" not in options:
        options["nonce"] = page_nonce()
    snippet = embed_snippet(app.config["PNAV_SERVER_URL"], app.config["PNAV_PARTNER"], **options)
    # embed_snippet escapes every attribute value.
    return Markup(snippet)  # noqa: S704
