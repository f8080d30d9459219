"""The snippet a partner page includes to show the pnav banner."""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode, urlsplit

__all__ = ["EmbedError", "embed_snippet"]

_PARTNER = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_LANG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")
# A CSP nonce is base64 or base64url text (CSP's nonce-source grammar).
_NONCE = re.compile(r"[A-Za-z0-9+/_=-]{8,200}")
_MAX_SELECTOR = 200


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
    lang: str | None = None,
    exit_url: str | None = None,
    nonce: str | None = None,
    launcher: str | None = None,
) -> str:
    """The one-line ``<script>`` tag that loads the banner, quick exit included.

    - ``lang``: the banner's language (default: the partner's ``default_lang``);
    - ``exit_url``: where quick exit sends the whole page (default: the partner's
      ``exit_url`` setting); pick something that looks ordinary on this device;
    - ``nonce``: this response's CSP nonce, for a ``'nonce-…' 'strict-dynamic'`` policy:
      the loader passes it on to the scripts and styles it creates;
    - ``launcher``: a CSS selector of the page's own elements that open the chat.

    The partner's mode, position, colours and texts come from the server's
    ``[partners.<id>]`` settings, inside the loader itself.
    """
    base = _http_url(server_url, "server_url").rstrip("/")
    if not _PARTNER.fullmatch(partner):
        raise EmbedError("partner must be 1-64 characters of letters, digits, '.', '_', '-'")
    query = {"partner": partner}
    if lang is not None:
        if not _LANG.fullmatch(lang):
            raise EmbedError(f"lang must be a language tag such as 'fr' or 'en', got {lang!r}")
        query["lang"] = lang
    # crossorigin: the browser then tells the server which page asks (its Origin), so
    # the server can answer for that page alone and log an unregistered one.
    attrs = {"src": f"{base}/widget/loader.js?{urlencode(query)}", "crossorigin": "anonymous"}
    if nonce is not None:
        if not _NONCE.fullmatch(nonce):
            raise EmbedError("nonce must be the page's CSP nonce (8-200 base64 characters)")
        attrs["nonce"] = nonce
    if exit_url is not None:
        attrs["data-pnav-exit"] = _http_url(exit_url, "exit_url")
    if launcher is not None:
        if not launcher.strip() or len(launcher) > _MAX_SELECTOR:
            raise EmbedError(f"launcher must be a CSS selector of 1-{_MAX_SELECTOR} characters")
        attrs["data-pnav-launcher"] = launcher
    rendered = " ".join(f'{k}="{html.escape(v, quote=True)}"' for k, v in attrs.items())
    return f"<script {rendered} async></script>"
