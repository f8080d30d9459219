"""The conversation service: what happens when a person or an operator says something.

No Flask here: handlers parse a frame and call one method; the methods store first,
then tell the live sockets (contract 3: a message is stored before it is acknowledged).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from pnav.sdk import crypto
from pnav.sdk.store import OUTCOMES, WHAT, WHO, Conversation, NewConversation, Operator, Store

from .frames import FrameError, body_bytes, client_id, require_str
from .hub import Connection, Hub
from .tokens import TokenError, Tokens

__all__ = ["ChatService"]

log = logging.getLogger(__name__)


def _ms(ts: float | None) -> int | None:
    return None if ts is None else int(ts * 1000)


class ChatService:
    def __init__(self, store: Store, hub: Hub, tokens: Tokens, max_body_chars: int) -> None:
        self.store = store
        self.hub = hub
        self.tokens = tokens
        self.max_body_chars = max_body_chars
        # Serialises queue changes so that two operators cannot both see "accepted".
        self._queue_lock = threading.Lock()

    # -- frames ----------------------------------------------------------
    @staticmethod
    def msg_frame(m: Any, conv: str | None = None) -> dict[str, Any]:
        frame: dict[str, Any] = {
            "t": "msg",
            "seq": m.seq,
            "id": m.client_id,
            "from": m.sender,
            "body": crypto.b64encode(m.body),
            "ts": _ms(m.created_at),
        }
        if conv is not None:
            frame["conv"] = conv
        return frame

    @staticmethod
    def conversation_frame(c: Conversation) -> dict[str, Any]:
        return {
            "t": "conversation",
            "conv": c.id,
            "who": c.who,
            "what": c.what,
            "danger": c.danger,
            "lang": c.lang,
            "sealed_key": crypto.b64encode(c.sealed_key),
            "desk_key": c.desk_key,
            "state": c.state,
            "person": c.person,
            "last_seq": c.last_seq,
        }

    def queue_frame(self) -> dict[str, Any]:
        items = [
            {
                "conv": c.id,
                "who": c.who,
                "what": c.what,
                "danger": c.danger,
                "lang": c.lang,
                "waiting_since": _ms(c.created_at),
            }
            for c in self.store.waiting_conversations()
        ]
        return {"t": "queue", "items": items}

    def _queue_changed(self) -> None:
        waiting = self.store.waiting_conversations()
        self.hub.to_operators(self.queue_frame())
        self.hub.to_people(
            {
                c.id: {"t": "status", "state": "waiting", "position": i}
                for i, c in enumerate(waiting, start=1)
            }
        )

    def _status(self, conv: Conversation) -> dict[str, Any]:
        if conv.state == "waiting":
            ids = [c.id for c in self.store.waiting_conversations()]
            pos = ids.index(conv.id) + 1 if conv.id in ids else None
            return {"t": "status", "state": "waiting", "position": pos}
        return {"t": "status", "state": conv.state}

    def _presence(self, conv: Conversation, state: str) -> None:
        self.store.set_person_state(conv.id, state)
        if conv.operator_id is not None:
            self.hub.to_operator(
                conv.operator_id, {"t": "presence", "conv": conv.id, "person": state}
            )

    # -- the person's side ----------------------------------------------
    def person_hello(self, frame: dict[str, Any], conn: Connection) -> str:
        """Start or resume a conversation; returns its id. Raises FrameError."""
        if isinstance(frame.get("resume"), dict):
            resume = frame["resume"]
            try:
                conv_id = self.tokens.read_person(resume.get("token"))
            except TokenError as exc:
                raise FrameError("bad_token", "this conversation link has expired") from exc
            conv = self.store.get_conversation(conv_id)
            if conv is None:
                raise FrameError("bad_token", "this conversation no longer exists")
            after = resume.get("after", 0)
            if not isinstance(after, int) or after < 0:
                raise FrameError("malformed", "'after' must be a non-negative integer")
        else:
            conv = self._start(frame)
            after = 0
        self.hub.join_person(conv.id, conn)
        conn.send(
            {
                "t": "welcome",
                "conv": conv.id,
                "token": self.tokens.person(conv.id),
                "exit": self.tokens.exit(conv.id),
                "state": conv.state,
            }
        )
        for m in self.store.messages_after(conv.id, after):
            conn.send(self.msg_frame(m))
        if conv.state != "closed":
            self._presence(conv, "connected")
        conn.send(self._status(conv))
        return conv.id

    def _start(self, frame: dict[str, Any]) -> Conversation:
        try:
            partner = self.tokens.read_ticket(frame.get("ticket"))
        except TokenError as exc:
            raise FrameError("bad_ticket", "the chat ticket is invalid or expired") from exc
        start = frame.get("start")
        if not isinstance(start, dict):
            raise FrameError("malformed", "'start' is required to open a conversation")
        who, what = start.get("who"), start.get("what")
        if who not in WHO:
            raise FrameError("malformed", f"'who' must be one of {', '.join(WHO)}")
        if what not in WHAT:
            raise FrameError("malformed", f"'what' must be one of {', '.join(WHAT)}")
        if not isinstance(start.get("danger"), bool):
            raise FrameError("malformed", "'danger' must be true or false")
        lang = require_str(start, "lang", 35)
        desk_key = require_str(start, "desk_key", 64)
        current = self.store.current_desk_key()
        if current is None or current.id != desk_key:
            raise FrameError("bad_ticket", "the desk key changed; reopen the chat")
        try:
            sealed = crypto.b64decode(require_str(start, "sealed_key", 200))
        except crypto.CryptoError as exc:
            raise FrameError("malformed", "'sealed_key' is not base64") from exc
        if len(sealed) != 1 + 32 + 24 + 32 + 16 or sealed[0] != crypto.FORMAT_VERSION:
            raise FrameError("malformed", "'sealed_key' is not a v1 sealed key")
        with self._queue_lock:
            conv = self.store.create_conversation(
                NewConversation(partner, who, what, start["danger"], lang, sealed, desk_key)
            )
        log.info("conversation started (danger=%s)", conv.danger)
        self._queue_changed()
        return conv

    def person_message(self, conv_id: str, frame: dict[str, Any], conn: Connection) -> None:
        cid = client_id(frame)
        body = body_bytes(frame, self.max_body_chars, cid)
        conv = self.store.get_conversation(conv_id)
        if conv is None or conv.state == "closed":
            raise FrameError("closed", "this conversation is closed", cid)
        msg, new = self.store.append_message(conv_id, "person", cid, body)
        conn.send({"t": "ack", "id": cid, "seq": msg.seq})
        if new and conv.operator_id is not None:
            self.hub.to_operator(conv.operator_id, self.msg_frame(msg, conv_id))

    def person_quick_exit(self, conv_id: str) -> None:
        conv = self.store.get_conversation(conv_id)
        if conv is not None and conv.person != "quick_exit":
            log.info("person left by quick exit")
            self._presence(conv, "quick_exit")

    def person_gone(self, conv_id: str, conn: Connection) -> None:
        if not self.hub.leave_person(conv_id, conn):
            return
        conv = self.store.get_conversation(conv_id)
        if conv is not None and conv.person == "connected":
            self._presence(conv, "disconnected")

    # -- the operator's side --------------------------------------------
    def _own(self, op: Operator, frame: dict[str, Any]) -> Conversation:
        conv_id = require_str(frame, "conv", 64)
        conv = self.store.get_conversation(conv_id)
        if conv is None:
            raise FrameError("no_conversation", "no such conversation")
        if conv.operator_id != op.id:
            raise FrameError("not_yours", "this conversation is assigned to someone else")
        return conv

    def operator_connect(self, op: Operator, conn: Connection) -> None:
        self.hub.join_operator(op.id, conn)
        conn.send(
            {"t": "hello", "operator": {"id": op.id, "username": op.username, "role": op.role}}
        )
        conn.send(self.queue_frame())
        for conv in self.store.operator_conversations(op.id):
            conn.send(self.conversation_frame(conv))

    def operator_accept(self, op: Operator, frame: dict[str, Any], conn: Connection) -> None:
        conv_id = require_str(frame, "conv", 64)
        with self._queue_lock:
            if not self.store.assign(conv_id, op.id):
                raise FrameError("taken", "this conversation is no longer waiting")
        conv = self.store.get_conversation(conv_id)
        assert conv is not None
        log.info("conversation accepted by operator %d", op.id)
        self.hub.to_operator(op.id, self.conversation_frame(conv))
        for m in self.store.messages_after(conv_id, 0):
            self.hub.to_operator(op.id, self.msg_frame(m, conv_id))
        self.hub.to_person(conv_id, {"t": "status", "state": "active"})
        self._queue_changed()

    def operator_sync(self, op: Operator, frame: dict[str, Any], conn: Connection) -> None:
        conv = self._own(op, frame)
        after = frame.get("after", 0)
        if not isinstance(after, int) or after < 0:
            raise FrameError("malformed", "'after' must be a non-negative integer")
        for m in self.store.messages_after(conv.id, after):
            conn.send(self.msg_frame(m, conv.id))

    def operator_message(self, op: Operator, frame: dict[str, Any], conn: Connection) -> None:
        cid = client_id(frame)
        conv = self._own(op, frame)
        body = body_bytes(frame, self.max_body_chars, cid)
        if conv.state == "closed":
            raise FrameError("closed", "this conversation is closed", cid)
        msg, new = self.store.append_message(conv.id, "operator", cid, body)
        ack = {"t": "ack", "conv": conv.id, "id": cid, "seq": msg.seq}
        if new:
            self.hub.to_person(conv.id, self.msg_frame(msg))
            # Other console tabs of the same operator see the reply too.
            self.hub.to_operator(op.id, self.msg_frame(msg, conv.id))
        conn.send(ack)

    def operator_close(self, op: Operator, frame: dict[str, Any]) -> None:
        conv = self._own(op, frame)
        outcome = frame.get("outcome")
        if outcome not in OUTCOMES:
            raise FrameError("bad_outcome", f"outcome must be one of {', '.join(OUTCOMES)}")
        if not self.store.close_conversation(conv.id, outcome):
            raise FrameError("closed", "this conversation is already closed")
        log.info("conversation closed (outcome=%s)", outcome)
        self.hub.to_operator(op.id, {"t": "closed", "conv": conv.id, "outcome": outcome})
        self.hub.to_person(conv.id, {"t": "status", "state": "closed"})
