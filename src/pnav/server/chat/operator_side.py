"""The operator's side of a conversation: connect, take, answer, close, transfer.

Every method answers one frame (or the opening or closing) of a console socket
(web/console.py). An operator acts only on the conversations they hold; a
supervisor may also transfer one they do not hold (a take-over, supervision.py).
"""

from __future__ import annotations

import logging
from typing import Any

from pnav.sdk.store import OUTCOMES, Conversation, Handover, Operator
from pnav.server.chat.connection import Connection
from pnav.server.chat.context import ChatContext
from pnav.server.chat.floor import unanswered_since
from pnav.server.chat.frames import msg_frame, queue_frame
from pnav.server.chat.lifecycle import Lifecycle
from pnav.server.chat.parse import FrameError, after_seq, body_bytes, client_id, require_str
from pnav.server.chat.routing import Routing
from pnav.server.chat.supervision import (
    ANSWERING_ROLES,
    FLOOR_ROLES,
    Supervision,
    never_writes,
)
from pnav.server.chat.views import ConversationViews
from pnav.server.ops import metrics

__all__ = ["OperatorSide"]

log = logging.getLogger("pnav.server.chat.service")  # one log for the whole conversation service


class OperatorSide:
    """What a console's socket asks of the service; one method per frame."""

    def __init__(
        self,
        ctx: ChatContext,
        views: ConversationViews,
        lifecycle: Lifecycle,
        routing: Routing,
        supervision: Supervision,
    ) -> None:
        self.ctx = ctx
        self.store = ctx.store
        self.hub = ctx.hub
        self.views = views
        self.lifecycle = lifecycle
        self.routing = routing
        self.supervision = supervision

    def _own(self, op: Operator, conv: Conversation, ref: str | None = None) -> Conversation:
        self.ctx.check_active(op, ref)
        if conv.operator_id != op.id:
            raise FrameError("not_yours", "this conversation is assigned to someone else", ref)
        return conv

    def connect(self, op: Operator, conn: Connection) -> None:
        # Supervisors and psychologists see the floor (and the help calls, help.py).
        supervisor = op.role in FLOOR_ROLES
        came_back = self.hub.join_operator(
            op.id, conn, supervisor, answering=op.role in ANSWERING_ROLES
        )
        conn.send(
            {"t": "hello", "operator": {"id": op.id, "username": op.username, "role": op.role}}
        )
        conn.send(queue_frame(self.store.waiting_conversations()))
        for conv in self.store.operator_conversations(op.id):
            with self.ctx.lock(conv.id):
                conn.send(self.views.conversation_frame(conv))
                if came_back:
                    self.hub.to_person(conv.id, self.views.status(conv))
        if supervisor:
            for conv in self.supervision.observed(op.id):
                with self.ctx.lock(conv.id):
                    conn.send(self.views.conversation_frame(conv, observing=True))
        if came_back:
            self.supervision.operator_back(op.id)
            log.info("operator %d connected", op.id)
        self.supervision.refresh_attention(self.ctx.clock(), force_to=conn if supervisor else None)
        self.supervision.refresh_floor(force_to=conn if supervisor else None)
        self.routing.soon()

    def end(self, operator_id: int) -> None:
        """Close the consoles of a removed account in every process, for good: from now
        on it receives nothing (its open console would otherwise go on reading)."""
        log.info("operator %d removed: their consoles are closed", operator_id)
        frame = {"t": "error", "code": "unauthorised", "message": "this account was removed"}
        self.hub.end_operator(operator_id, frame)

    def end_removed(self) -> None:
        """End this process's consoles of accounts removed since they connected (by the
        console, or by ``pnav operator remove`` in another process)."""
        for operator_id in self.hub.local_operators():
            current = self.store.get_operator(operator_id)
            if current is None or current.removed:
                self.end(operator_id)

    def gone(self, op: Operator, conn: Connection) -> None:
        if not self.hub.leave_operator(op.id, conn):
            return
        self.supervision.operator_away(op.id, self.ctx.clock())
        log.info("operator %d has no console connected", op.id)
        for conv in self.store.operator_conversations(op.id):
            with self.ctx.lock(conv.id):
                self.hub.to_person(conv.id, self.views.status(conv))
        self.supervision.refresh_floor()

    def accept(self, op: Operator, frame: dict[str, Any], conn: Connection) -> None:
        conv_id = require_str(frame, "conv", 64)
        self.ctx.check_active(op)
        never_writes(op)
        if not self.lifecycle.assign(conv_id, op.id):
            raise FrameError("taken", "this conversation is no longer waiting")
        log.info("conversation accepted by operator %d", op.id)
        self.lifecycle.queue_changed()

    def sync(self, op: Operator, frame: dict[str, Any], conn: Connection) -> None:
        conv = self.ctx.readable(op, self.ctx.frame_conversation(frame))
        after = after_seq(frame)
        with self.ctx.lock(conv.id):
            self.views.replay(conn, conv.id, after, tag=True)

    def message(self, op: Operator, frame: dict[str, Any], conn: Connection) -> None:
        cid = client_id(frame)
        never_writes(op, cid)
        conv_id = require_str(frame, "conv", 64)  # read once, under the lock
        body = body_bytes(frame, self.ctx.max_body_chars, cid)
        with self.ctx.lock(conv_id):
            conv = self._own(op, self.ctx.frame_conversation(frame), cid)
            if conv.state == "closed":
                raise FrameError("closed", "this conversation is closed", cid)
            waited_since = unanswered_since(self.store, conv)  # for the answer-wait metric
            msg, new = self.store.append_message(conv.id, "operator", cid, body)
            if new:
                metrics.message_stored("operator")
                if waited_since is not None:
                    metrics.answer_waited(msg.created_at - waited_since)
                self.hub.to_person(conv.id, msg_frame(msg))
                # Other console tabs of the same operator see the reply too, and so do
                # the supervisors observing the conversation.
                self.ctx.to_staff(conv.id, msg_frame(msg, conv.id))
            conn.send({"t": "ack", "conv": conv.id, "id": cid, "seq": msg.seq})

    def close(self, op: Operator, frame: dict[str, Any]) -> None:
        conv_id = self.ctx.frame_conversation(frame).id
        outcome = frame.get("outcome")
        if outcome not in OUTCOMES:
            raise FrameError("bad_outcome", f"outcome must be one of {', '.join(OUTCOMES)}")
        with self.ctx.lock(conv_id):
            conv = self._own(op, self.ctx.frame_conversation(frame))
            self.lifecycle.close(conv, outcome)

    def transfer(self, op: Operator, frame: dict[str, Any], conn: Connection) -> None:
        """Give a conversation to another operator, with an encrypted handover note."""
        conv_id = self.ctx.frame_conversation(frame).id
        target = self.store.find_operator(require_str(frame, "to", 64))
        note = body_bytes({"body": frame.get("note")}, self.ctx.max_body_chars, conv_id)
        self.ctx.check_active(op)
        if target is None or target.removed:
            raise FrameError("no_operator", "no such operator")
        if target.role == "psychologist":
            raise FrameError(
                "forbidden", "a psychologist supports operators and holds no conversation"
            )
        with self.ctx.lock(conv_id):
            conv = self.ctx.frame_conversation(frame)
            if conv.state != "active" or conv.operator_id is None:
                raise FrameError("closed", "only a conversation in progress can be transferred")
            if conv.operator_id != op.id and op.role != "supervisor":
                raise FrameError("forbidden", "only its operator or a supervisor can transfer it")
            if conv.operator_id == target.id:
                raise FrameError("malformed", f"{target.username} already holds it")
            if conv.desk_key not in self.store.desk_key_wraps(target.id):
                raise FrameError("no_operator", f"{target.username} cannot open this conversation")
            previous = conv.operator_id
            handover = Handover(conv.id, op.id, target.id, note, self.ctx.clock())
            if not self.store.transfer(conv.id, previous, handover):
                raise FrameError("closed", "the conversation changed; try again")
            self.ctx.routes.changed(conv.id)
            moved = self.store.get_conversation(conv.id)
            assert moved is not None
            log.info("conversation transferred from operator %d to %d", previous, target.id)
            told = {"t": "transferred", "conv": conv.id, "to": target.username}
            self.hub.to_operator(previous, told)
            if op.id != previous:
                conn.send(told)
            self.supervision.transferred(moved)
            self.views.send_conversation(target.id, moved)
            self.hub.to_person(conv.id, {"t": "handover"})
            self.hub.to_person(conv.id, self.views.status(moved))
        self.supervision.refresh_attention(self.ctx.clock())
        self.supervision.refresh_floor()

    def close_as_abuse(
        self, op: Operator, frame: dict[str, Any], conn: Connection, most: int
    ) -> None:
        """A supervisor closes waiting conversations as "abuse" in one action (a flood
        of fakes); ``convs`` lists them, at most ``most``."""
        self.ctx.check_active(op)
        if op.role != "supervisor":
            raise FrameError("forbidden", "closing as abuse is for supervisors")
        convs = frame.get("convs")
        if (
            not isinstance(convs, list)
            or not 1 <= len(convs) <= most
            or not all(isinstance(c, str) and 0 < len(c) <= 64 for c in convs)
        ):
            raise FrameError("malformed", f"'convs' must list 1 to {most} conversation ids")
        closed = self.lifecycle.close_waiting(convs, "abuse")
        log.info("operator %d closed %d conversation(s) as abuse", op.id, len(closed))
        conn.send({"t": "closed_abuse", "closed": closed, "skipped": len(convs) - len(closed)})
