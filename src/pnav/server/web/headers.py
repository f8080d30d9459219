"""Response headers every route gets: no caching, no referrer, a strict policy per kind of route.

Two kinds of route (docs/privacy.md, "Headers"):

- what a person's browser fetches from a partner page (``/widget/*``, ``/api/*``, the
  person socket): subresources and JSON, never a page, never framed, fetched
  cross-origin (``Cross-Origin-Resource-Policy: cross-origin``, set by person.py);
- the operator console (``/console*``): a page the operator navigates to.

HSTS goes on the console only. A person's browser never navigates to the chat
server: the loader fetches it by explicit ``https://`` and ``wss://`` URLs, so HSTS
protects nothing there, and Chromium stores HSTS learned from those responses in the
profile's ``TransportSecurity`` file, where anyone who knows the server's name can
find it (measured with Chromium 156: tests/e2e/test_trace.py).
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, g, request

from pnav.server.web.state import state

__all__ = ["LOCKED_CSP", "console_csp", "init_app", "script_nonce", "served_over_tls"]

# Everything but the console page (scripts, styles, JSON, errors): nothing may run
# from it, and no page may frame it (a script or a style is not a document; were one
# opened as a page or in a frame, it must show nothing and run nothing).
LOCKED_CSP = "default-src 'none'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"

# Nothing the chat or the console uses; everything a page could ask for refused.
PERMISSIONS_POLICY = (
    "accelerometer=(), browsing-topics=(), camera=(), display-capture=(), "
    "geolocation=(), gyroscope=(), hid=(), magnetometer=(), microphone=(), midi=(), "
    "payment=(), publickey-credentials-get=(), serial=(), usb=(), xr-spatial-tracking=()"
)

_HSTS = "max-age=63072000; includeSubDomains"
_CONSOLE = "/console"


def script_nonce() -> str:
    """This response's script nonce (one per request, made on first use)."""
    nonce: str | None = g.get("pnav_script_nonce")
    if nonce is None:
        nonce = g.pnav_script_nonce = secrets.token_urlsafe(18)
    return nonce


def console_csp(nonce: str) -> str:
    """The console page: its own script by nonce, its own styles. 'wasm-unsafe-eval'
    lets the Argon2id WebAssembly run; it allows neither eval() nor inline script."""
    return (
        f"default-src 'none'; script-src 'nonce-{nonce}' 'wasm-unsafe-eval'; "
        "style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; "
        "form-action 'self'; object-src 'none'; frame-ancestors 'none'"
    )


def served_over_tls() -> bool:
    """TLS here, or at the proxy in front (the public URL is https)."""
    return request.is_secure or (state().settings.public_url or "").startswith("https://")


def _is_console(path: str) -> bool:
    return path == _CONSOLE or path.startswith(_CONSOLE + "/")


def _secure_headers(response: Response) -> Response:
    h = response.headers
    h["Cache-Control"] = "no-store"
    h["Pragma"] = "no-cache"
    h["Referrer-Policy"] = "no-referrer"
    h["X-Content-Type-Options"] = "nosniff"
    h["Permissions-Policy"] = PERMISSIONS_POLICY
    h.setdefault("Content-Security-Policy", LOCKED_CSP)
    h.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if _is_console(request.path) and served_over_tls():
        h["Strict-Transport-Security"] = _HSTS
    else:
        h.pop("Strict-Transport-Security", None)
    return response


def init_app(app: Flask) -> None:
    app.after_request(_secure_headers)
