"""What the floor adds to the web layer: who is on duty, and the console's own settings.

``duty_now()`` answers whether a person can be answered now (service hours and connected
operators, operators/duty.py); the ticket carries it and ``GET /api/service`` answers it
for the banner. ``PUT /console/api/me`` keeps the console language the operator chose
with their account; ``console_settings()`` is what the console learns at login.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from flask import Response, jsonify, request

from pnav.sdk.opening_hours import OpeningHours
from pnav.sdk.store import CONSOLE_LANGS, Operator
from pnav.server.operators.duty import Duty, duty
from pnav.server.web.state import state

__all__ = ["console_settings", "duty_now", "set_me"]

log = logging.getLogger(__name__)

MAX_ME_BYTES = 256


def duty_now(now: dt.datetime | None = None) -> Duty:
    st = state()
    hours = OpeningHours.parse(st.settings.service_hours, st.settings.service_timezone)
    connected = st.settings.when_nobody_on_duty == "queue" or st.hub.answering_connected()
    return duty(hours, connected, now or dt.datetime.now(dt.UTC))


def console_settings(op: Operator) -> dict[str, Any]:
    """What a console needs besides its keys: the operator's language (None: the
    browser's) and when a waiting DANGER conversation alerts again."""
    return {
        "lang": op.lang,
        "langs": list(CONSOLE_LANGS),
        "danger_realert_after": state().settings.danger_realert_after,
    }


def _error(status: int, message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    return response


def set_me(op: Operator) -> Response:
    """``{"lang": "fr" | "en" | null}``: the console language kept with the account."""
    if (request.content_length or 0) > MAX_ME_BYTES:
        return _error(413, f"body larger than {MAX_ME_BYTES} bytes")
    raw = request.get_data(cache=False)
    if len(raw) > MAX_ME_BYTES:  # sent without a length
        return _error(413, f"body larger than {MAX_ME_BYTES} bytes")
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict) or set(data) != {"lang"}:
        return _error(400, 'body must be JSON {"lang": "en" | "fr" | null}')
    lang = data["lang"]
    if lang is not None and lang not in CONSOLE_LANGS:
        return _error(400, f"lang must be one of {', '.join(CONSOLE_LANGS)}, or null")
    state().store.set_operator_lang(op.id, lang)
    log.info("operator %d chose console language %s", op.id, lang)
    return jsonify(console_settings(state().store.get_operator(op.id) or op))
