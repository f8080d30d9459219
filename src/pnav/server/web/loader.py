"""``/widget/loader.js?partner=<id>&lang=<tag>``: the loader with its partner's settings inside.

The partner's display settings (mode, position, colours, texts in one language, exit
URL, allowed origins) are written into the script itself, so a page view costs one
request and nothing about the partner is stored on the device. An origin that is not
registered for the partner is logged here (once an hour per partner and origin, at
warning level) when the snippet carries ``crossorigin`` (the browser then sends the
page's ``Origin``), and again at the ticket endpoint.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from typing import Any

from flask import Blueprint, Response, abort, current_app, request

from pnav.server.partners import LANG_TAG, Locale, loader_config
from pnav.server.web.state import STATIC_DIR, state

__all__ = ["CONFIG_SLOT", "RefusedOrigins", "bp", "refused_origin"]

bp = Blueprint("loader", __name__)
log = logging.getLogger("pnav.partners")

# The string the built loader carries where its configuration goes (loader.js, CFG).
CONFIG_SLOT = '"__PNAV_CONFIG__"'
_MAX_ORIGIN = 256


class RefusedOrigins:
    """Logs a refused (partner, origin) once an hour; remembers a bounded number of
    them, so a flood of made-up Origin headers cannot grow memory or the log."""

    def __init__(self, every: float = 3600.0, remember: int = 1000, most: int = 100) -> None:
        self.every = every
        self.remember = remember
        # At most this many lines an hour in all: made-up origins cannot flood the log.
        self.most = most
        self._last: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._window = (float("-inf"), 0)  # (start of this hour, lines logged in it)
        self._lock = threading.Lock()

    def warn(self, partner: str, origin: str, now: float | None = None) -> bool:
        """Log it unless it was logged within the hour; True if it was logged now."""
        now = time.monotonic() if now is None else now
        origin = origin if len(origin) <= _MAX_ORIGIN else origin[:_MAX_ORIGIN] + "…"
        key = (partner[:64], origin)
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self.every:
                return False
            start, count = self._window
            if now - start >= self.every:
                start, count = now, 0
            if count > self.most:
                return False
            self._window = (start, count + 1)
            self._last[key] = now
            self._last.move_to_end(key)
            while len(self._last) > self.remember:
                self._last.popitem(last=False)
        if count == self.most:
            log.warning("more refused origins this hour: not logged until the next hour")
            return False
        log.warning(
            "refused origin %s for partner %r: add it to origins in [partners.%s] "
            "of the pnav settings if it is the partner's site (logged once an hour)",
            json.dumps(origin),
            key[0],
            key[0],
        )
        return True


def refused_origin(partner: str, origin: str) -> None:
    """Record that ``origin`` asked for ``partner`` and is not one of its origins."""
    refused: RefusedOrigins = current_app.extensions.setdefault(
        "pnav.refused_origins", RefusedOrigins()
    )
    refused.warn(partner, origin)


_cache: dict[str, tuple[float, str, dict[str, Locale]]] = {}


def _built(name: str) -> tuple[str, float, dict[str, Locale]]:
    """A built loader part and the banner texts of the locale tables (re-read when rebuilt)."""
    path = STATIC_DIR / "widget" / name
    texts_path = STATIC_DIR / "widget" / "banner-texts.json"
    try:
        stamp = max(path.stat().st_mtime, texts_path.stat().st_mtime)
        cached = _cache.get(name)
        if cached is None or cached[0] != stamp:
            source = path.read_text(encoding="utf-8")
            texts = {
                tag: Locale(str(entry["dir"]), dict(entry["texts"]))
                for tag, entry in json.loads(texts_path.read_text(encoding="utf-8")).items()
            }
            if source.count(CONFIG_SLOT) != 1:
                raise ValueError(f"{path} must carry {CONFIG_SLOT} exactly once")
            cached = _cache[name] = (stamp, source, texts)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        current_app.logger.error(
            "widget %s is missing or wrong (%s): build it with `npm --prefix widget ci "
            "&& npm --prefix widget run build`",
            name,
            exc,
        )
        abort(503)
    return cached[1], cached[0], cached[2]


def _script(source: str, config: dict[str, Any] | None) -> Response:
    # JSON is a JavaScript expression: the loader's argument, an object literal. Every
    # partner text is a JSON string, so nothing in it can end the literal.
    body = source.replace(
        CONFIG_SLOT, json.dumps(config, ensure_ascii=False, separators=(",", ":"))
    )
    response = Response(body, mimetype="text/javascript")
    # Public code, fetched with crossorigin="anonymous" so the page's Origin reaches us.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


# The texts each part shows: the loader on every page view, the panel once opened.
LOADER_TEXTS = ("open", "exit", "exitLabel", "region", "leave")
LOADER_COLORS = ("banner", "banner_text", "button", "button_text")
PANEL_TEXTS = ("fail", "retry")


def _not_registered(pid: str) -> str:
    return (
        f'pnav: this page\'s origin is not registered for partner "{pid}": add it to origins '
        f"in [partners.{pid}] of the pnav server's settings. This page's origin:"
    )


def _loader_settings(pid: str, banners: dict[str, Locale]) -> dict[str, Any]:
    if not pid:
        return {
            "origins": [],
            "error": "pnav: the loader's URL needs ?partner=<partner id> (embed_snippet "
            "writes it). This page's origin:",
        }
    partner = state().settings.partner(pid)
    origin = request.headers.get("Origin", "")
    if partner is None:
        if origin:
            refused_origin(pid, origin)
        return {
            "origins": [],
            "error": f'pnav: partner "{pid}" is not in the pnav server\'s settings: add '
            f"[partners.{pid}] with this page's origin in its origins. This page's origin:",
        }
    if origin and origin.lower() not in partner.origins:
        refused_origin(pid, origin)
        return {"origins": [], "error": _not_registered(pid)}
    asked = request.args.get("lang", "")[:35]
    config = loader_config(partner, asked if LANG_TAG.match(asked) else "", banners, LOADER_TEXTS)
    # Every page view carries this: only what the loader itself uses (the panel gets the
    # partner's id and side with panel.js; the banner's own button colours, in its mode).
    # Texts and colours as lists, in the order of LOADER_TEXTS and LOADER_COLORS.
    del config["partner"]
    if partner.mode == "banner":
        del config["position"]
    colors = LOADER_COLORS if partner.mode == "banner" else LOADER_COLORS[:2]
    config["colors"] = [config["colors"][k] for k in colors]
    # (English, the base of every table, has them all: tests/server/test_locale_tables.py.)
    config["texts"] = [config["texts"][k] for k in LOADER_TEXTS]
    if origin:
        # The browser said which page this is (crossorigin) and it is the partner's: no
        # origin to check in the page (the partner's other sites are none of its business).
        del config["origins"]
    else:
        config["error"] = _not_registered(pid)
    return config


@bp.get("/widget/loader.js")
def partner_loader() -> Response:
    loader, _, banners = _built("loader.js")
    pid = request.args.get("partner", "")[:64]
    response = _script(loader, _loader_settings(pid, banners))
    response.headers["Vary"] = "Origin"
    return response


@bp.get("/widget/panel.js")
def partner_panel() -> Response:
    """The chat panel, fetched on the first open with the loader's own query."""
    panel, _, banners = _built("panel.js")
    partner = state().settings.partner(request.args.get("partner", "")[:64])
    asked = request.args.get("lang", "")[:35]
    page_lang = asked if LANG_TAG.match(asked) else ""
    config = (
        {
            "partner": partner.id,
            "position": partner.position,
            "texts": loader_config(partner, page_lang, banners, PANEL_TEXTS)["texts"],
            # The chat starts in the page's language even with no banner table for it
            # (it asks the server, which may have a machine-made table), then the
            # browser's (docs/translations.md).
            "page_lang": page_lang,
        }
        if partner is not None
        else None
    )
    return _script(panel, config)
