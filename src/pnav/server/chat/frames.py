"""Frame pieces that need nothing but what they are given (docs/protocol.md).

Times go out in milliseconds; a conversation's triage fields (who, what, danger,
language) are what the queue, the floor, the attention list and the conversation
frame all show before anyone reads a message.
"""

from __future__ import annotations

from typing import Any

from pnav.sdk import crypto
from pnav.sdk.store import Conversation, StoredMessage

__all__ = ["ms", "msg_frame", "queue_change_frame", "queue_frame", "queue_item", "triage"]


def ms(ts: float | None) -> int | None:
    """A time in seconds as frames carry it: whole milliseconds (None stays None)."""
    return None if ts is None else int(ts * 1000)


def triage(conv: Conversation) -> dict[str, Any]:
    """Who writes, about what, whether in danger, in which language."""
    return {"who": conv.who, "what": conv.what, "danger": conv.danger, "lang": conv.lang}


def msg_frame(m: StoredMessage, conv: str | None = None) -> dict[str, Any]:
    """A stored message as a ``msg`` frame; ``conv`` tags it for a console."""
    frame: dict[str, Any] = {
        "t": "msg",
        "seq": m.seq,
        "id": m.client_id,
        "from": m.sender,
        "body": crypto.b64encode(m.body),
        "ts": ms(m.created_at),
    }
    if conv is not None:
        frame["conv"] = conv
    return frame


def queue_item(c: Conversation) -> dict[str, Any]:
    """One waiting conversation as the queue shows it."""
    return {
        "conv": c.id,
        **triage(c),
        "waiting_since": ms(c.created_at),
        "person": c.person,
    }


def queue_frame(waiting: list[Conversation]) -> dict[str, Any]:
    """The ``queue`` frame: the whole queue, in the store's order (when a console
    connects; afterwards it gets ``queue_change`` frames)."""
    return {"t": "queue", "items": [queue_item(c) for c in waiting]}


def queue_change_frame(added: list[dict[str, Any]], removed: list[str]) -> dict[str, Any]:
    """What entered the queue or changed in it (``added``: :func:`queue_item` s) and what
    left it since the last change this process told. Applying it twice changes nothing
    (an added item replaces the one with its id, removed ids may be gone already)."""
    return {"t": "queue_change", "added": added, "removed": removed}
