"""The operator console: its page, login, and the operator socket.

The server checks the operator's auth key and hands back the desk key wrapped for
them; only the console, which knows the wrap key, can open it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request
from simple_websocket import ConnectionClosed
from werkzeug.exceptions import HTTPException

from pnav.sdk import crypto
from pnav.sdk.store import CONSOLE_LANGS, Operator
from pnav.server.abuse import Busy
from pnav.server.chat.connection import Connection
from pnav.server.chat.parse import CLOSING_ERRORS, FrameError, parse
from pnav.server.chat.supervision import FLOOR_ROLES
from pnav.server.chat.tokens import TokenError
from pnav.server.operators.desk import prelogin_salt, verify_login
from pnav.server.ops import metrics
from pnav.server.stats.page import PAGE_CSP, render_page
from pnav.server.stats.report import RangeError, build_report, render_csv
from pnav.server.stats.texts import LANGS as STATS_LANGS
from pnav.server.web import canned_api, casework_api, floor_api, operators_api
from pnav.server.web.headers import console_csp, script_nonce
from pnav.server.web.locale_api import console_page_locale
from pnav.server.web.person import internal_error, socket_route
from pnav.server.web.person_guard import LimitError, refused
from pnav.server.web.sockets import WebSocket, opened
from pnav.server.web.state import STATIC_DIR, client_address, public_base, state, static_file
from pnav.server.web.translate_api import available as _translation_available
from pnav.server.web.translate_api import translate as _translate

__all__ = ["COOKIE", "bp"]

bp = Blueprint("console", __name__, url_prefix="/console")
COOKIE = "pnav_console"


@bp.get("")
def page() -> Response:
    """The console page, its script tags given this response's nonce (see headers.py)."""
    path = STATIC_DIR / "console" / "index.html"
    if not path.is_file():
        return static_file("console", "index.html")  # logs what to build, answers 503
    nonce = script_nonce()
    html = path.read_text(encoding="utf-8")
    # The strings first, so that their (data, never run) script element gets the nonce too.
    html = console_page_locale(html)
    html = html.replace("<script>", "<script >").replace("<script ", f'<script nonce="{nonce}" ')
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = console_csp(nonce)
    return response


@bp.get("/<name>")
def asset(name: str) -> Response:
    if name not in ("console.js", "console.css"):
        abort(404)
    return static_file("console", name)


def _same_origin() -> bool:
    return request.headers.get("Origin", "").rstrip("/") == public_base()


def _error(status: int, message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    return response


@bp.get("/api/prelogin")
def prelogin() -> Response:
    username = request.args.get("username", "")
    if not username or len(username) > 64:
        return _error(400, "username is required")
    st = state()
    salt, ops, mem = prelogin_salt(st.store, st.settings.secret_key, username)
    return jsonify(
        {"salt": crypto.b64encode(salt), "kdf": {"alg": "argon2id13", "ops": ops, "mem": mem}}
    )


@bp.post("/api/login")
def login() -> Response:
    if not _same_origin():
        return _error(403, "login is only accepted from the console page")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _error(400, 'body must be JSON {"username", "auth"}')
    username, auth = data.get("username"), data.get("auth")
    if not isinstance(username, str) or not isinstance(auth, str):
        return _error(400, "username and auth are required")
    try:
        auth_key = crypto.b64decode(auth)
    except crypto.CryptoError:
        return _error(400, "auth must be base64")
    st = state()
    limits = st.abuse.limits
    account = hashlib.sha256(b"pnav.login\0" + username.encode()).hexdigest()[:24]
    # Both counted before the password check: attempts sent at once cannot all pass a
    # check made before any of them failed. A right password starts the account's count
    # again (pnav.server.abuse.AbuseLimits.forget).
    refusal = limits.hit("logins_per_address", client_address()) or limits.hit(
        "logins_per_account", account
    )
    if refusal is not None:
        response = _error(429, LimitError(refusal).message)
        response.headers["Retry-After"] = str(refusal.retry_after)
        return response
    try:
        op = verify_login(st.store, username, auth_key, st.abuse.password_checks.run)
    except Busy:
        refused("busy")
        response = _error(503, "the server is checking many logins; try again in a moment")
        response.headers["Retry-After"] = "5"
        return response
    if op is None:
        return _error(401, "wrong username or password")
    limits.forget("logins_per_account", account)
    wraps = st.store.desk_key_wraps(op.id)
    desk = st.store.current_desk_key()
    response = jsonify(
        {
            "operator": {"id": op.id, "username": op.username, "role": op.role},
            "settings": floor_api.console_settings(op),
            "desk_keys": [
                {
                    "id": key_id,
                    "public": crypto.b64encode(desk.public) if desk and desk.id == key_id else None,
                    "wrapped": crypto.b64encode(wrapped),
                }
                for key_id, wrapped in wraps.items()
            ],
        }
    )
    response.set_cookie(
        COOKIE,
        st.tokens.console(op.id),
        max_age=st.settings.console_session_max_age,
        path="/console",
        secure=st.settings.secure_cookies,
        httponly=True,
        samesite="Strict",
    )
    return response


@bp.post("/api/logout")
def logout() -> Response:
    """Revoke this session in every process (the limits storage is shared), then forget
    the cookie. Refused from another origin, so no other site can log an operator out."""
    if not _same_origin():
        return _error(403, "logout is only accepted from the console page")
    st = state()
    try:
        _, session_id = st.tokens.read_console_session(request.cookies.get(COOKIE))
    except TokenError:
        session_id = None
    if session_id is not None and not st.abuse.limits.revoke_session(session_id):
        return _error(503, "the session could not be ended; try again")
    response = Response(status=204)
    response.delete_cookie(COOKIE, path="/console", httponly=True, samesite="Strict")
    return response


def session_valid() -> int | None:
    """The operator id of this request's console session, unless it expired, was
    tampered with or was logged out (in any process)."""
    st = state()
    try:
        op_id, session_id = st.tokens.read_console_session(request.cookies.get(COOKIE))
    except TokenError:
        return None
    return None if st.abuse.limits.session_revoked(session_id) else op_id


def current_operator() -> Operator:
    st = state()
    op_id = session_valid()
    if op_id is None:
        abort(401)
    op = st.store.get_operator(op_id)
    if op is None or op.removed:
        abort(401)
    return op


@bp.get("/api/me")
def me() -> Response:
    """The console's own settings (floor_api.py)."""
    return jsonify(floor_api.console_settings(current_operator()))


@bp.put("/api/me")
def me_change() -> Response:
    """Keep the console language the operator chose with their account (floor_api.py)."""
    if not _same_origin():
        return _error(403, "settings are only changed from the console page")
    return floor_api.set_me(current_operator())


@bp.get("/api/translate")
def translation_available() -> Response:
    current_operator()
    return _translation_available()


@bp.post("/api/translate")
def translate() -> Response:
    """Machine translation for the console (translate_api.py); never logs the text."""
    if not _same_origin():
        return _error(403, "translation is only accepted from the console page")
    return _translate(current_operator())


_LOOKUPS = {
    "casework": casework_api.overview,
    "centre": casework_api.centre,
    "service": casework_api.service,
    "resources": casework_api.resources,
}


@bp.get("/api/casework")
@bp.get("/api/centre")
@bp.get("/api/service")
@bp.get("/api/resources")
def casework_lookup() -> Response:
    """Directory look-ups for the casework forms and the referral picker (casework_api.py)."""
    current_operator()
    return _LOOKUPS[request.path.rsplit("/", 1)[1]]()


@bp.post("/api/emergency")
@bp.post("/api/report")
def casework_submit() -> Response:
    """An emergency to the operational centre, a report to the territorial service
    (casework_api.py); never logs what the form says."""
    if not _same_origin():
        return _error(403, "casework is only accepted from the console page")
    op = current_operator()
    submit = casework_api.emergency if request.path.endswith("/emergency") else casework_api.report
    return submit(op)


@bp.get("/api/canned")
def canned_replies() -> Response:
    """Canned replies for any operator, ``?lang=`` for one language (canned_api.py)."""
    return canned_api.listing(current_operator())


@bp.post("/api/canned")
@bp.put("/api/canned/<reply_id>")
@bp.delete("/api/canned/<reply_id>")
def canned_change(reply_id: str | None = None) -> Response:
    """Supervisors add, replace and delete canned replies (canned_api.py)."""
    if not _same_origin():
        return _error(403, "canned replies are only changed from the console page")
    return canned_api.change(current_operator(), reply_id)


@bp.get("/api/operators")
def operator_accounts() -> Response:
    """Supervisors: every operator account and the current desk key (operators_api.py)."""
    return operators_api.listing(current_operator())


@bp.post("/api/operators/<path:username>/remove")
@bp.post("/api/desk/rotate")
def operators_change(username: str | None = None) -> Response:
    """Supervisors remove an account or rotate the desk key, as the CLI does
    (operators_api.py)."""
    if not _same_origin():
        return _error(403, "operators and the desk key are only changed from the console page")
    op = current_operator()
    return operators_api.rotate(op) if username is None else operators_api.remove(op, username)


@bp.get("/stats")
@bp.get("/stats.csv")
def stats() -> Response:
    """Activity counts for supervisors (stats.py): a page with SVG charts, or CSV.
    ``from``/``to`` are days as YYYY-MM-DD in the server's local time zone (default today),
    ``by`` the grain of the "started" series (day, week, month)."""
    op = current_operator()
    if op.role != "supervisor":
        return _text(403, "statistics are for supervisors: this account is an operator's")
    try:
        report = build_report(state().store, request.args, dt.date.today())
    except RangeError as err:
        return _text(400, str(err))
    if request.path.endswith(".csv"):
        response = Response(render_csv(report), mimetype="text/csv")
        name = f"pnav-stats-{report.first.isoformat()}-{report.last.isoformat()}.csv"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    # The console's language kept with the account (fr or en), else the browser's;
    # a browser that asks first for a language the page has and the console has not
    # (Arabic) gets it.
    asked = request.accept_languages.best_match(STATS_LANGS)
    lang = asked if asked and asked not in CONSOLE_LANGS else op.lang or asked or "en"
    response = Response(render_page(report, lang), mimetype="text/html")
    response.headers["Content-Language"] = lang
    response.headers["Content-Security-Policy"] = PAGE_CSP
    return response


def _text(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


@socket_route("/ws", bp)
def operator_socket(ws: Any) -> None:
    with opened(ws, "console", state().send_limits) as (sock, conn):
        _operator_socket(sock, conn)


def _operator_socket(sock: WebSocket, conn: Connection) -> None:
    st = state()
    chat = st.chat
    try:
        if not _same_origin():
            raise FrameError("forbidden", "the console socket only accepts the console page")
        op = current_operator()
    except (FrameError, HTTPException) as err:
        message = err.message if isinstance(err, FrameError) else "log in first"
        conn.send({"t": "error", "code": "unauthorised", "message": message})
        return  # sockets.opened finishes it
    chat.operator.connect(op, conn)
    if op.role in FLOOR_ROLES:
        chat.help.send_open(conn)
        for alarm in st.ops.alarms.frames():  # the floor's alarms that are up
            conn.send(alarm)

    def close(f: dict[str, Any]) -> None:
        chat.operator.close(op, f)
        chat.help.forget(str(f.get("conv")))

    def join(f: dict[str, Any]) -> None:
        chat.supervision.join(op, f)
        chat.help.joined(op, f)  # joining from a help call answers it

    handlers: dict[str, Callable[[dict[str, Any]], None]] = {
        "accept": lambda f: chat.operator.accept(op, f, conn),
        "sync": lambda f: chat.operator.sync(op, f, conn),
        "msg": lambda f: chat.operator.message(op, f, conn),
        "close": close,
        "transfer": lambda f: chat.operator.transfer(op, f, conn),
        # notes and supervision (notes.py, supervision.py)
        "note": lambda f: chat.notes.write(op, f),
        "join": join,
        "help": lambda f: chat.help.ask(op, f, conn),
        "leave": lambda f: chat.supervision.leave(op, f),
        "capacity": lambda f: chat.supervision.set_capacity(op, f, conn),
        "close_abuse": lambda f: chat.operator.close_as_abuse(
            op, f, conn, st.settings.abuse_close_max
        ),
        "ping": lambda f: conn.send({"t": "pong"}),
    }
    try:
        while conn.open:
            frame: dict[str, Any] = {}
            try:
                raw = sock.receive()
                if raw is None:
                    continue
                if session_valid() is None:  # logged out, in this process or another
                    conn.send({"t": "error", "code": "unauthorised", "message": "logged out"})
                    break
                frame = parse(raw)
                handler = handlers.get(frame["t"])
                if handler is None:
                    raise FrameError("unknown_type", f"unknown frame type {frame['t']!r}")
                handler(frame)
            except FrameError as err:
                metrics.frame_refused(err.code)
                out = err.frame()
                if isinstance(frame.get("conv"), str):
                    out["conv"] = frame["conv"]  # so the console shows it in that conversation
                conn.send(out)
                if err.code in CLOSING_ERRORS:
                    break
            except ConnectionClosed:
                break
            except Exception as exc:  # a bug must not end the socket with a traceback
                conn.send(internal_error(exc))
    finally:
        chat.operator.gone(op, conn)  # then sockets.opened finishes the socket
