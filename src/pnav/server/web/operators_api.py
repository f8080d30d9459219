"""Supervisors manage operator accounts and the desk key from the console.

``GET /console/api/operators`` answers ``{"operators": [{"username", "role",
"removed", "capacity", "held"}, …], "desk_key": {"id", "created_at"} | null, "you"}``:
every account (removed ones too), ``held`` being how many conversations in progress
the account holds. ``POST /console/api/operators/<username>/remove`` does what
``pnav operator remove`` does (desk.py, ``remove_operator``: no more login, their desk
key wraps deleted, the desk key rotated; their open consoles closed in every process)
and answers ``{"removed", "held", "desk_key"}``. ``POST /console/api/desk/rotate`` does
what ``pnav desk rotate`` does (desk.py, ``rotate_desk_key``) and answers
``{"desk_key", "sealed_to"}``.

Neither needs a password: a new desk key is sealed to operators' public keys. Consoles
already open keep the desk keys they unlocked at login, so they open conversations
sealed to the new key only after logging in again; the console says so.

console.py checks the session and, for changes, that the request comes from the
console page; this module checks the role and the input. The log names the accounts
(staff identifiers, as the CLI prints them) and the new desk key's id, which is public
(every ticket carries it); never a password, a key or a token.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, jsonify

from pnav.sdk.store import DeskKey, Operator
from pnav.server.operators.desk import DeskError, remove_operator, rotate_desk_key
from pnav.server.web.state import state

__all__ = ["listing", "remove", "rotate"]

log = logging.getLogger(__name__)

_SUPERVISORS_ONLY = (
    "operators and the desk key are managed by supervisors: this account is an operator's"
)


def _answer(body: dict[str, Any], status: int = 200) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(status: int, message: str) -> Response:
    return _answer({"error": message}, status)


def _key(key: DeskKey | None) -> dict[str, Any] | None:
    return None if key is None else {"id": key.id, "created_at": key.created_at}


def _held() -> dict[int, int]:
    """Conversations in progress, by the operator who holds them."""
    held: dict[int, int] = {}
    for conv in state().store.active_conversations():
        if conv.operator_id is not None:
            held[conv.operator_id] = held.get(conv.operator_id, 0) + 1
    return held


def listing(op: Operator) -> Response:
    """Every account, for a supervisor."""
    if op.role != "supervisor":
        return _error(403, _SUPERVISORS_ONLY)
    store = state().store
    held = _held()
    operators = [
        {
            "username": o.username,
            "role": o.role,
            "removed": o.removed,
            "capacity": o.capacity,
            "held": held.get(o.id, 0),
        }
        for o in store.list_operators()
    ]
    return _answer(
        {"operators": operators, "desk_key": _key(store.current_desk_key()), "you": op.username}
    )


def remove(op: Operator, username: str) -> Response:
    """Remove an account, as ``pnav operator remove`` does; never one's own."""
    if op.role != "supervisor":
        return _error(403, _SUPERVISORS_ONLY)
    if username == op.username:
        return _error(409, "you cannot remove your own account: ask another supervisor")
    st = state()
    target = st.store.find_operator(username)
    if target is None or target.removed:
        return _error(404, f"no active operator named {username[:64]!r}")
    held = len(st.store.operator_conversations(target.id))
    try:
        key = remove_operator(st.store, username)
    except DeskError as err:  # the last operator; or removed meanwhile
        return _error(409, str(err))
    log.info(
        "operator %r removed by supervisor %r from the console; new desk key %s",
        username,
        op.username,
        key.id,
    )
    # Their open consoles get nothing more, in every process; the floor and the
    # attention list show the account removed now rather than at the next tick.
    st.chat.operator.end(target.id)
    st.chat.supervision.refresh_attention(st.chat.clock())
    st.chat.supervision.refresh_floor()
    return _answer(
        {
            "removed": username,
            "held": held,
            "desk_key": _key(key),
        }
    )


def rotate(op: Operator) -> Response:
    """A new desk key sealed to every current operator, as ``pnav desk rotate`` does."""
    if op.role != "supervisor":
        return _error(403, _SUPERVISORS_ONLY)
    store = state().store
    try:
        key = rotate_desk_key(store)
    except DeskError as err:
        return _error(409, str(err))
    sealed_to = sum(1 for o in store.list_operators() if not o.removed)
    log.info("desk key rotated by supervisor %r from the console: new key %s", op.username, key.id)
    return _answer({"desk_key": _key(key), "sealed_to": sealed_to})
