"""What a socket is shown of a conversation: the console's conversation frame, the
person's status, and the history replayed after a (re)connection."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pnav.sdk import crypto
from pnav.sdk.store import Conversation
from pnav.server.chat.connection import Connection
from pnav.server.chat.frames import ms, msg_frame, triage

if TYPE_CHECKING:
    from pnav.server.chat.context import ChatContext
    from pnav.server.chat.notes import Notes
    from pnav.server.chat.routing import Routing

__all__ = ["ConversationViews"]


class ConversationViews:
    def __init__(self, ctx: ChatContext, notes: Notes, routing: Routing) -> None:
        self.ctx = ctx
        self.store = ctx.store
        self.notes = notes
        self.routing = routing

    def conversation_frame(self, c: Conversation, observing: bool = False) -> dict[str, Any]:
        """What a console needs to show a conversation. ``observing``: for a supervisor
        who joined it (who reads it but does not write to the person)."""
        name = self.ctx.username
        return {
            "t": "conversation",
            "conv": c.id,
            **triage(c),
            "sealed_key": crypto.b64encode(c.sealed_key),
            "desk_key": c.desk_key,
            "state": c.state,
            "person": c.person,
            "last_seq": c.last_seq,
            "duress": self.ctx.duress.get(c.id, False),
            "handovers": [
                {
                    "from": name(h.from_operator),
                    "to": name(h.to_operator),
                    "note": crypto.b64encode(h.note),
                    "ts": ms(h.created_at),
                }
                for h in self.store.handovers(c.id)
            ],
            "operator": name(c.operator_id),
            "observing": observing,
            "observers": [name(o) for o in self.store.observers(c.id)],
            "notes": self.notes.items(c.id),
        }

    def waiting_status(self, position: int | None) -> dict[str, Any]:
        frame: dict[str, Any] = {"t": "status", "state": "waiting", "position": position}
        estimate = None if position is None else self.routing.wait_estimate(position)
        if estimate is not None:
            frame["wait_estimate"] = estimate
        return frame

    def status(self, conv: Conversation) -> dict[str, Any]:
        """The person's ``status`` frame: waiting (with its place), active (with whether
        the operator is present), or closed."""
        if conv.state == "waiting":
            return self.waiting_status(self.store.queue_position(conv.id))
        if conv.state == "active" and conv.operator_id is not None:
            present = self.ctx.hub.operator_connected(conv.operator_id)
            return {"t": "status", "state": "active", "operator": "present" if present else "away"}
        return {"t": "status", "state": conv.state}

    def replay(self, conn: Connection, conv_id: str, after: int, tag: bool) -> None:
        """The messages after ``after`` (caller holds the lock); ``tag``: for a console,
        which needs the conversation id on each."""
        for m in self.store.messages_after(conv_id, after):
            conn.send(msg_frame(m, conv_id if tag else None))

    def send_conversation(
        self, operator_id: int, conv: Conversation, observing: bool = False
    ) -> None:
        """The conversation frame, then its whole history (caller holds the lock)."""
        self.ctx.hub.to_operator(operator_id, self.conversation_frame(conv, observing))
        for m in self.store.messages_after(conv.id, 0):
            self.ctx.hub.to_operator(operator_id, msg_frame(m, conv.id))
