"""Private notes on a conversation, and supervisors' whispers to its operator.

A note is ciphertext under the conversation key, made in the console like a message
body (docs/protocol.md, "Crypto formats"): the server stores it and hands it to the
conversation's staff (its operator and the supervisors observing it), never to the
person. Notes come with the conversation frame, so the next operator after a transfer
reads them too.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from pnav.sdk import crypto
from pnav.sdk.store import NOTE_KINDS, Note, Operator
from pnav.server.chat.frames import ms
from pnav.server.chat.parse import FrameError, body_bytes, client_id

if TYPE_CHECKING:
    from pnav.server.chat.context import ChatContext

__all__ = ["Notes"]

log = logging.getLogger(__name__)


class Notes:
    def __init__(self, ctx: ChatContext) -> None:
        self.ctx = ctx
        self.store = ctx.store

    @staticmethod
    def item(note: Note, author: str | None) -> dict[str, Any]:
        """A note as frames carry it (the author by username)."""
        return {
            "id": note.id,
            "author": author,
            "kind": note.kind,
            "body": crypto.b64encode(note.body),
            "ts": ms(note.created_at),
        }

    def items(self, conv_id: str) -> list[dict[str, Any]]:
        """The conversation's notes and whispers, oldest first."""
        names: dict[int, str | None] = {}
        out = []
        for note in self.store.notes(conv_id):
            if note.author not in names:
                names[note.author] = self.ctx.username(note.author)
            out.append(self.item(note, names[note.author]))
        return out

    def write(self, op: Operator, frame: dict[str, Any]) -> None:
        """Store a note (by the operator holding the conversation or a supervisor
        observing it) or a whisper (by an observing supervisor), then hand it to the
        conversation's staff, the writer's consoles included: that is the answer."""
        cid = client_id(frame)
        conv_id = self.ctx.frame_conversation(frame).id
        kind = frame.get("kind", "note")
        if kind not in NOTE_KINDS:
            raise FrameError("malformed", f"'kind' must be one of {', '.join(NOTE_KINDS)}", cid)
        body = body_bytes(frame, self.ctx.max_body_chars, cid)
        with self.ctx.lock(conv_id):
            conv = self.ctx.readable(op, self.ctx.frame_conversation(frame), cid)
            if conv.state == "closed":
                raise FrameError("closed", "this conversation is closed", cid)
            if kind == "whisper" and conv.operator_id == op.id:
                raise FrameError(
                    "forbidden", "whispers are for supervisors observing a conversation", cid
                )
            note = self.store.add_note(conv.id, op.id, kind, body)
            log.info("%s %d written by operator %d", kind, note.id, op.id)
            item = self.item(note, op.username)
            self.ctx.to_staff(conv.id, {"t": "note", "conv": conv.id, "id": cid, "note": item})
