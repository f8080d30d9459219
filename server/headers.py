"""Response headers every route gets: no caching, no referrer, a strict policy per kind of route."""

from __future__ import annotations

from flask import Flask, Response, request

__all__ = ["CONSOLE_CSP", "LOCKED_CSP", "init_app"]

# The console page: its own scripts and styles only. 'wasm-unsafe-eval' lets the
# Argon2id WebAssembly run; it does not allow eval() or inline script.
CONSOLE_CSP = (
    "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
    "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; "
    "object-src 'none'; frame-ancestors 'none'"
)
# Everything else (scripts, styles, JSON): nothing may run or be framed from it.
LOCKED_CSP = "default-src 'none'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"

_PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"


def _secure_headers(response: Response) -> Response:
    h = response.headers
    h["Cache-Control"] = "no-store"
    h["Pragma"] = "no-cache"
    h["Referrer-Policy"] = "no-referrer"
    h["X-Content-Type-Options"] = "nosniff"
    h["Permissions-Policy"] = _PERMISSIONS
    h.setdefault("Content-Security-Policy", LOCKED_CSP)
    h.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        h["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    return response


def init_app(app: Flask) -> None:
    app.after_request(_secure_headers)
