"""Interface strings, one language at a time, fetched when needed (docs/translations.md).

- ``GET /widget/locale.js?want=ar-MA,fr,en``: the chat frame's strings as a script
  (``pnavLocale({...})``), so that it loads under the chat's own CSP, which allows
  scripts from this server and no other fetch;
- ``GET /console/api/locale?want=…&section=console|chat``: the console's own strings,
  or a person's chat strings (referral-card labels go out in the person's language).

``want`` lists language tags, best first (the partner's, then the browser's), and the
request's ``Accept-Language`` follows; the answer is the first one with a shipped table,
else the first the translator can produce a table for (marked ``machine``), else
English. Every answer is ``no-store``, like everything the chat fetches: no language
choice stays on the device. (The banner's texts, the tables' "banner" section, go into
the loader itself: loader.py.)
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, request

from pnav.server.locales import Locale, MachineTables, ShippedTables
from pnav.server.locales.tables import MAX_WANTED_CHARS, REFERENCE, parse_wanted
from pnav.server.web.state import STATIC_DIR, state

__all__ = ["bp", "pick"]

bp = Blueprint("locales", __name__)
_SECTIONS = ("console", "chat")
_CONSOLE_LANGUAGES = ("fr", "en")


def _shipped() -> ShippedTables:
    tables: ShippedTables | None = current_app.extensions.get("pnav.locales")
    if tables is None:
        if not (STATIC_DIR / "locales" / "index.json").is_file():
            current_app.logger.error("locale tables are missing: build the widget")
            abort(503)
        tables = current_app.extensions["pnav.locales"] = ShippedTables(STATIC_DIR / "locales")
    return tables


def _machine() -> MachineTables:
    machine: MachineTables | None = current_app.extensions.get("pnav.machine_locales")
    if machine is None:
        machine = MachineTables(_shipped(), state().casework.translator)
        current_app.extensions["pnav.machine_locales"] = machine
    return machine


def pick(wanted: list[str], *, machine: bool = True) -> Locale:
    """The first wanted language with a table (shipped, else machine-made), else English."""
    shipped = _shipped()
    for tag in wanted:
        found = shipped.match(tag)
        if found is not None:
            return shipped.get(found)
        code = _machine().match(tag) if machine else None
        table = _machine().get(code) if code else None
        if table is not None:
            return table
    return shipped.get(REFERENCE)


def _wanted() -> list[str]:
    """``want``, then the request's Accept-Language (the browser's languages again, for a
    frame that could not read them)."""
    accepted = ",".join(tag for tag, _ in request.accept_languages)
    return parse_wanted(request.args.get("want", "")[:MAX_WANTED_CHARS] + "," + accepted)


@bp.get("/widget/locale.js")
def chat_locale() -> Response:
    """The chat's strings in one language, with the languages it may offer."""
    locale = pick(_wanted())
    shipped = _shipped()
    machine = _machine().unshipped()
    # A writing language goes by the translator's own code when it has one ("zh" for
    # the zh-Hans table): that code is what the console asks the translator for.
    by_table = {shipped.match(code): code for code in _machine().languages()}
    writing = [by_table.get(tag, tag) for tag in shipped.tags] + machine
    payload: dict[str, Any] = {
        "tag": locale.tag,
        "dir": locale.dir,
        "machine": locale.machine,
        "strings": locale.sections["chat"],
        # [tag, own name or null (the chat names it with Intl.DisplayNames), machine?]
        "interface": [[t, shipped.names[t], False] for t in shipped.tags]
        + [[c, None, True] for c in machine],
        "writing": writing,
    }
    # n: the chat's request number, echoed so a late answer cannot pass for a newer one.
    n = request.args.get("n", "0")
    number = int(n) if re.fullmatch(r"[0-9]{1,9}", n) else 0
    body = f"pnavLocale({json.dumps(payload, ensure_ascii=False)}, {number});\n"
    response = Response(body, mimetype="text/javascript")
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@bp.get("/console/api/locale")
def console_locale() -> Response:
    """The console's strings (fr or en), or a person's chat strings (``section=chat``)."""
    section = request.args.get("section", "console")
    if section not in _SECTIONS:
        response = jsonify({"error": "section must be console or chat"})
        response.status_code = 400
        return response
    wanted = _wanted()
    if section == "console":
        wanted = [t for t in wanted if _shipped().match(t) in _CONSOLE_LANGUAGES]
    locale = pick(wanted, machine=section == "chat")
    return jsonify(
        {
            "tag": locale.tag,
            "dir": locale.dir,
            "machine": locale.machine,
            "strings": locale.sections[section],
        }
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def console_page_locale(html: str) -> str:
    """The console page with its strings in the operator's language (fr or en, from the
    browser's Accept-Language): a JSON block the console reads, and ``<html lang dir>``."""
    accepted = ",".join(tag for tag, _ in request.accept_languages)
    wanted = [t for t in parse_wanted(accepted) if _shipped().match(t) in _CONSOLE_LANGUAGES]
    locale = pick(wanted, machine=False)
    data = {
        "tag": locale.tag,
        "dir": locale.dir,
        "console": locale.sections["console"],
        "chat": locale.sections["chat"],
    }
    # "<" escaped: nothing in the strings can close the script element.
    block = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")
    script = f'<script type="application/json" id="pnav-locale">{block}</script>\n'
    html = html.replace('<html lang="en">', f'<html lang="{locale.tag}" dir="{locale.dir}">', 1)
    return html.replace("</head>", script + "</head>", 1)
