"""The snippet a partner page includes to show the pnav banner."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

__all__ = ["EmbedError", "embed_snippet"]

_PARTNER = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_LANG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")


class EmbedError(ValueError):
    """An embed option is wrong; the message says which."""


def _http_url(value: str, what: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise EmbedError(f"{what} must be an absolute http(s) URL, got {value!r}")
    return value


def embed_snippet(
    server_url: str,
    partner: str,
    *,
    lang: str = "fr",
    exit_url: str = "https://www.google.com/",
) -> str:
    """The ``<script>`` tag that loads the banner, quick exit included.

    ``exit_url`` is where quick exit sends the whole page: pick something that looks
    ordinary on this device (a weather or search page).
    """
    base = _http_url(server_url, "server_url").rstrip("/")
    if not _PARTNER.fullmatch(partner):
        raise EmbedError("partner must be 1-64 characters of letters, digits, '.', '_', '-'")
    if not _LANG.fullmatch(lang):
        raise EmbedError(f"lang must be a language tag such as 'fr' or 'en', got {lang!r}")
    _http_url(exit_url, "exit_url")
    attrs = {
        "src": f"{base}/widget/loader.js",
        "data-pnav-partner": partner,
        "data-pnav-lang": lang,
        "data-pnav-exit": exit_url,
    }
    rendered = " ".join(f'{k}="{html.escape(v, quote=True)}"' for k, v in attrs.items())
    return f"<script {rendered} async></script>"
