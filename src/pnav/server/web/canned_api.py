"""The console's canned replies: ``/console/api/canned``.

``GET /console/api/canned`` (any logged-in operator; ``?lang=es`` for one language)
answers ``{"replies": [{"id", "lang", "title", "text", "updated_at"}, …]}`` by language,
then title. Supervisors manage them: ``POST /console/api/canned`` ``{"lang", "title",
"text"}`` adds one (201, ``{"reply": …}``), ``PUT /console/api/canned/<id>`` replaces
one (``{"reply": …}``; 404 if there is none), ``DELETE /console/api/canned/<id>``
deletes one (204; 404). What makes a reply valid is in canned.py.

console.py checks the session and, for writes, that the request comes from the console
page; this module checks the role and the input. The log says which reply changed and
who changed it, never its text.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, jsonify, request

from pnav.sdk.store import Operator
from pnav.sdk.translator import is_language_code
from pnav.server.operators.canned import CannedReplyError, as_json, parse_reply
from pnav.server.web.state import state

__all__ = ["change", "listing"]

log = logging.getLogger(__name__)


def _answer(body: dict[str, Any] | None, status: int = 200) -> Response:
    response = jsonify(body) if body is not None else Response(status=status)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(status: int, message: str) -> Response:
    return _answer({"error": message}, status)


def listing(op: Operator) -> Response:
    """The replies ``op`` may insert: all of them, or those in ``?lang=``."""
    lang = request.args.get("lang")
    if lang is not None and not is_language_code(lang):
        return _error(400, "lang must be a language code such as fr, es or pt-BR")
    replies = state().store.canned_replies(lang)
    return _answer({"replies": [as_json(r) for r in replies]})


def change(op: Operator, reply_id: str | None) -> Response:
    """Add (POST), replace (PUT) or delete (DELETE) a reply, for a supervisor."""
    if op.role != "supervisor":
        return _error(
            403, "canned replies are managed by supervisors: this account is an operator's"
        )
    number: int | None = None
    if reply_id is not None:
        if not reply_id.isascii() or not reply_id.isdigit() or len(reply_id) > 18:
            return _error(404, f"no canned reply {reply_id[:40]!r}: ids are whole numbers")
        number = int(reply_id)
    store = state().store
    if request.method == "DELETE":
        assert number is not None
        if not store.delete_canned_reply(number):
            return _error(404, f"no canned reply with id {number}")
        log.info("canned reply %d deleted by operator %d", number, op.id)
        return _answer(None, 204)
    try:
        lang, title, text = parse_reply(request.get_json(silent=True))
    except CannedReplyError as err:
        return _error(400, str(err))
    try:
        reply = store.put_canned_reply(lang, title, text, number)
    except KeyError:
        return _error(404, f"no canned reply with id {number}")
    log.info(
        "canned reply %d %s by operator %d",
        reply.id,
        "added" if number is None else "changed",
        op.id,
    )
    return _answer({"reply": as_json(reply)}, 201 if number is None else 200)
