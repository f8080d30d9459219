"""What a person's browser reaches: widget files, the ticket, the quick-exit beacon, the socket.

None of these responses sets a cookie; all of them are ``no-store``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request
from flask_sock import Sock
from simple_websocket import ConnectionClosed

from pnav.sdk import crypto
from pnav.server.chat.connection import Connection
from pnav.server.chat.parse import CLOSING_ERRORS, FrameError, parse
from pnav.server.chat.tokens import TokenError
from pnav.server.ops import metrics
from pnav.server.web import floor_api
from pnav.server.web.loader import refused_origin
from pnav.server.web.person_guard import LimitError, PersonGuard
from pnav.server.web.sockets import WebSocket, opened
from pnav.server.web.state import client_address, public_base, state, static_file

__all__ = ["bp", "internal_error", "sock", "socket_route"]

bp = Blueprint("person", __name__)
sock = Sock()

SocketHandler = Callable[[Any], None]


def socket_route(path: str, blueprint: Blueprint) -> Callable[[SocketHandler], SocketHandler]:
    """flask-sock's ``route``, typed. Every handler ends its socket itself
    (``Connection.finish``: the close frame, then the connection shut), so nothing can
    follow the close frame: under Werkzeug flask-sock 0.7 would otherwise let the server
    write an ``HTTP/1.1 200`` after it, which browsers report as "Invalid frame header"
    (miguelgrinberg/flask-sock#20, #77), and under gevent the duplicated socket would
    keep the connection open."""
    decorator: Callable[[SocketHandler], SocketHandler] = sock.route(path, bp=blueprint)
    return decorator


def internal_error(exc: Exception) -> dict[str, Any]:
    """The error frame for an unexpected failure, logged by type and place only (an
    exception's message may quote stored values)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb else "?"
    current_app.logger.error("frame failed: %s at %s", type(exc).__name__, where)
    metrics.frame_refused("internal")  # a bug, not an abuse limit
    return {"t": "error", "code": "internal", "message": "the server could not handle this frame"}


# loader.js and panel.js are served with their partner's settings inside (web/loader.py).
_WIDGET_FILES = {"chat.js", "chat.css", "argon2.js", "pow.js"}


@bp.get("/widget/<name>")
def widget_file(name: str) -> Response:
    if name not in _WIDGET_FILES:
        abort(404)
    return static_file("widget", name)


def _json_error(status: int, message: str, origin: str | None = None) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    return response


@bp.route("/api/ticket", methods=["POST", "OPTIONS"])
def ticket() -> Response:
    st = state()
    origin = request.headers.get("Origin")
    if request.method == "OPTIONS":
        response = Response(status=204)
        if origin and any(origin in o for o in st.settings.partners.values()):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Methods"] = "POST"
            response.headers["Access-Control-Allow-Headers"] = "Content-Type"
            response.headers["Vary"] = "Origin"
        return response
    raw = request.get_data(cache=False, as_text=True)
    try:
        data: Any = json.loads(raw) if len(raw) <= 1024 else None
    except json.JSONDecodeError:
        data = None
    partner = data.get("partner") if isinstance(data, dict) else None
    if not isinstance(partner, str):
        return _json_error(400, 'body must be JSON {"partner": "<partner id>"}')
    allowed = st.settings.partners.get(partner)
    if allowed is None:
        return _json_error(403, f"unknown partner {partner!r}")
    if origin is None or origin.lower() not in allowed:
        if origin:
            refused_origin(partner, origin)
        # No CORS header: the page that asked is not one of this partner's.
        return _json_error(403, "this page's origin is not allowed for this partner")
    desk = st.store.current_desk_key()
    if desk is None:
        return _json_error(503, "the platform is not ready: no operator is enrolled", origin)
    refusal = st.abuse.limits.hit("tickets_per_address", client_address())
    if refusal is not None:  # counted by LimitError (person_guard.refused)
        response = _json_error(429, LimitError(refusal).message, origin)
        response.headers["Retry-After"] = str(refusal.retry_after)
        return response
    base = public_base()
    ticket, nonce = st.tokens.new_ticket(partner)
    response = jsonify(
        {
            "ticket": ticket,
            "pow": st.abuse.proof_of_work.challenge(nonce),
            "ws": base.replace("http", "ws", 1) + "/ws/person",
            "exit": base + "/api/exit",
            "desk_key": {"id": desk.id, "public": crypto.b64encode(desk.public)},
            "resume": st.chat.resume.params(),
            # closed, or nobody connected: the chat says so before its pre-chat
            "service": floor_api.duty_now().frame(),
        }
    )
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Vary"] = "Origin"
    return response


@bp.after_request
def _cross_origin(response: Response) -> Response:
    """Everything here is fetched by partner pages or the opaque-origin chat frame."""
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@bp.get("/api/service")
def service() -> Response:
    """Whether anyone can answer now, for the banner (floor_api.py); no cookie, no-store."""
    return jsonify(floor_api.duty_now().frame())


@bp.post("/api/exit")
def quick_exit() -> Response:
    """``navigator.sendBeacon`` from the loader: the person left by quick exit."""
    st = state()
    try:
        conv_id = st.tokens.read_exit(request.get_data(cache=False, as_text=True)[:1024].strip())
    except TokenError:
        response = _json_error(400, "invalid exit token")
    else:
        st.chat.person.quick_exit(conv_id)
        response = Response(status=204)
    # Even with a stale token: the person left, whatever the server can record.
    # Only "storage": pnav keeps no cache entry and no cookie to clear, and Chromium
    # answers "cache" or "cookies" by writing the chat server's origin into the
    # profile's Preferences (a client-hints entry): the clearing would be the trace.
    # What it does and does not clear: docs/privacy.md.
    response.headers["Clear-Site-Data"] = '"storage"'
    return response


# A resume-code hello's refusal, as the metric's result.
_CODE_RESULTS = {"bad_code": "wrong", "rate_limited": "rate_limited", "malformed": "malformed"}


def _hello(guard: PersonGuard, frame: dict[str, Any], conn: Connection) -> str:
    """A ``hello``: new conversations and resume codes meet the abuse limits first."""
    chat = state().chat
    if isinstance(frame.get("resume"), dict):
        return chat.person.hello(frame, conn)
    if isinstance(frame.get("code"), dict):
        guard.before_code()
        return chat.person.hello(frame, conn)
    if floor_api.duty_now().reason == "closed":
        # outside the service hours nobody will answer: no conversation, no ticket spent
        raise FrameError("service_closed", "the service is closed at this time")
    guard.new_conversation(frame)
    return chat.person.hello(frame, conn)


@socket_route("/ws/person", bp)
def person_socket(ws: Any) -> None:
    with opened(ws, "person", state().send_limits) as (sock, conn):
        _person_socket(sock, conn)


def _person_socket(sock: WebSocket, conn: Connection) -> None:
    st = state()
    chat = st.chat
    guard = PersonGuard(st.abuse.limits, st.abuse.proof_of_work, st.tokens, client_address())
    conv_id: str | None = None
    # A socket that never says hello is closed, not held (issue: idle-socket floods).
    hello_by = time.monotonic() + st.settings.hello_timeout
    try:
        while conn.open:
            frame: dict[str, Any] = {}
            try:
                wait = None if conv_id is not None else max(0.0, hello_by - time.monotonic())
                raw = sock.receive(timeout=wait)
                if raw is None:
                    if conv_id is None and time.monotonic() >= hello_by:
                        raise FrameError("timeout", "no 'hello' in time; open the chat again")
                    continue
                frame = parse(raw)
                kind = frame["t"]
                if kind == "ping":
                    conn.send({"t": "pong"})
                elif conv_id is None:
                    if kind != "hello":
                        raise FrameError("malformed", "the first frame must be 'hello'")
                    # A hello in time (a mistyped resume code, say: each try costs the
                    # person an Argon2 derivation) earns the next try a full wait; wrong
                    # codes are capped per socket and per address (_hello, chat/resume.py).
                    hello_by = time.monotonic() + st.settings.hello_timeout
                    conv_id = _hello(guard, frame, conn)
                    if isinstance(frame.get("code"), dict):
                        metrics.resume_code("matched")
                elif kind == "msg":
                    guard.message(conv_id, frame)
                    chat.person.message(conv_id, frame, conn)
                elif kind == "sync":
                    chat.person.sync(conv_id, frame, conn)
                elif kind == "resume_code":
                    guard.before_code()
                    chat.person.resume_code(conv_id, frame, conn)
                elif kind == "duress":
                    chat.person.duress(conv_id, frame)
                elif kind == "exit":
                    chat.person.quick_exit(conv_id)
                else:
                    raise FrameError("unknown_type", f"unknown frame type {kind!r}")
            except FrameError as err:
                metrics.frame_refused(err.code)
                if conv_id is None and isinstance(frame.get("code"), dict):
                    metrics.resume_code(_CODE_RESULTS.get(err.code, "other"))
                conn.send(err.frame())
                if err.code in CLOSING_ERRORS:
                    break
            except ConnectionClosed:
                break
            except Exception as exc:  # a bug must not end the socket with a traceback
                conn.send(internal_error(exc))
    finally:
        # Before the socket is finished (sockets.opened): frames for the conversation
        # stop coming to it while its last ones go out.
        if conv_id is not None:
            chat.person.gone(conv_id, conn)
        current_app.logger.debug("person socket closed")
