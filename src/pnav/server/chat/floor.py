"""The floor: what supervisors see of the whole desk, as one ``floor`` frame.

Counts and triage metadata only, never a message, a note or a key: the queue, and for
each operator whether a console is connected, the conversations they hold (who,
what, danger, since when the person's last message waits for an answer, who
observes), and their capacity.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from pnav.sdk.store import Conversation, Operator, Store
from pnav.server.chat.frames import ms, triage

__all__ = ["FLOOR_STEP", "floor_frame", "unanswered_since"]

# Held conversations read between two yields while the frame is built (two small reads
# each, about 20 µs on SQLite): at 1,000 held, the build holds the loop ~2 ms at a time.
FLOOR_STEP = 100


def unanswered_since(store: Store, conv: Conversation) -> float | None:
    """When the person's last message was stored, if no operator message came after it
    (one stored message read: its sender and time only)."""
    if conv.last_seq < 1:
        return None
    last = store.messages_after(conv.id, conv.last_seq - 1)
    if not last or last[-1].sender != "person":
        return None
    return last[-1].created_at


def _conversation(
    store: Store, conv: Conversation, duress: bool, names: Callable[[int], str | None]
) -> dict[str, Any]:
    return {
        "conv": conv.id,
        **triage(conv),
        "person": conv.person,
        "duress": duress,
        "since": ms(conv.assigned_at),
        "unanswered_since": ms(unanswered_since(store, conv)),
        "observers": [names(o) for o in store.observers(conv.id)],
    }


def _operator(
    op: Operator, connected: bool, held: list[dict[str, Any]], default: int | None
) -> dict[str, Any]:
    limit = op.capacity if op.capacity is not None else default
    return {
        "username": op.username,
        "role": op.role,
        "connected": connected,
        "removed": op.removed,
        "active": len(held),
        "capacity": op.capacity,
        "limit": limit,
        "at_capacity": limit is not None and len(held) >= limit,
        "danger": sum(1 for c in held if c["danger"]),
        "duress": sum(1 for c in held if c["duress"]),
        "conversations": held,
    }


def floor_frame(
    store: Store,
    connected: Callable[[int], bool],
    default_capacity: int | None,
    duress: Mapping[str, bool],
) -> dict[str, Any]:
    """The ``floor`` frame (docs/protocol.md). ``connected`` tells whether an operator has
    a console connected anywhere; ``default_capacity`` is the router's (None: no cap);
    ``duress`` the conversations whose person signalled that someone is with them."""
    operators = store.list_operators()
    names = {op.id: op.username for op in operators}
    held: dict[int, list[dict[str, Any]]] = {}
    for n, conv in enumerate(store.active_conversations(), start=1):
        if n % FLOOR_STEP == 0:
            time.sleep(0)  # in steps: a gevent worker's other sockets run in between
        if conv.operator_id is not None:
            item = _conversation(store, conv, duress.get(conv.id, False), names.get)
            held.setdefault(conv.operator_id, []).append(item)
    waiting = store.waiting_conversations()
    return {
        "t": "floor",
        "queue": {
            "count": len(waiting),
            "danger": sum(1 for c in waiting if c.danger),
            "oldest": ms(min((c.created_at for c in waiting), default=None)),
        },
        "default_capacity": default_capacity,
        # Removed accounts only while they still hold a conversation (someone must act).
        "operators": [
            _operator(op, connected(op.id), held.get(op.id, []), default_capacity)
            for op in operators
            if not op.removed or op.id in held
        ],
    }
