"""The conversation service: what happens when a person or an operator says something.

No Flask here: handlers parse a frame and call one method; the methods store first,
then tell the live sockets (contract 3: a message is stored before it is acknowledged).
A conversation's staff frames go to its operator and to the supervisors observing it
(supervision.py); private notes live in notes.py.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pnav.sdk import crypto
from pnav.sdk.router import QueueRouter, Router
from pnav.sdk.store import (
    OUTCOMES,
    WHAT,
    WHO,
    Conversation,
    Handover,
    NewConversation,
    Operator,
    Store,
    StoredMessage,
)

from .frames import FrameError, body_bytes, client_id, require_str
from .hub import Connection, Hub
from .notes import Notes
from .resume import ResumeCodes
from .routing import Routing
from .supervision import Supervision
from .tokens import TokenError, Tokens

__all__ = ["ChatService"]

log = logging.getLogger(__name__)


# Conversations share this many locks (by hash), so memory stays bounded.
_LOCK_STRIPES = 64


def _ms(ts: float | None) -> int | None:
    return None if ts is None else int(ts * 1000)


@dataclass(frozen=True)
class Timings:
    """How long things wait (seconds); from the settings of the same names."""

    person_gone_after: float = 120
    operator_grace: float = 300
    idle_close_hours: float = 72
    retention_days: float = 30


class ChatService:
    """Every method may be called from any socket's thread.

    Ordering: everything that stores or replays a conversation's messages runs under
    that conversation's lock, so each socket receives a conversation's ``msg`` and
    ``ack`` frames in increasing sequence (docs/protocol.md, "Delivery guarantees").
    Lock order: conversation lock, then the queue lock, then a connection's own lock.
    """

    def __init__(
        self,
        store: Store,
        hub: Hub,
        tokens: Tokens,
        max_body_chars: int,
        timings: Timings | None = None,
        clock: Callable[[], float] = time.time,
        resume_salt: bytes = b"\0" * crypto.SALT_BYTES,
        router: Router | None = None,
    ) -> None:
        self.store = store
        self.hub = hub
        self.tokens = tokens
        self.max_body_chars = max_body_chars
        self.timings = timings or Timings()
        self.clock = clock
        self._conv_locks = [threading.RLock() for _ in range(_LOCK_STRIPES)]
        # Serialises queue changes so that two operators cannot both see "accepted".
        self._queue_lock = threading.Lock()
        self.duress: dict[str, bool] = {}  # conversations whose person signalled duress
        self.resume = ResumeCodes(store, resume_salt, clock)
        self.routing = Routing(
            router or QueueRouter(), store, hub, self._assign, self._queue_changed
        )
        self.supervision = Supervision(self)
        self.notes = Notes(self)

    def lock(self, conv_id: str) -> threading.RLock:
        return self._conv_locks[hash(conv_id) % _LOCK_STRIPES]

    # -- frames ----------------------------------------------------------
    @staticmethod
    def msg_frame(m: StoredMessage, conv: str | None = None) -> dict[str, Any]:
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

    def username(self, operator_id: int | None) -> str | None:
        op = None if operator_id is None else self.store.get_operator(operator_id)
        return None if op is None else op.username

    def conversation_frame(self, c: Conversation, observing: bool = False) -> dict[str, Any]:
        """What a console needs to show a conversation. ``observing``: for a supervisor
        who joined it (who reads it but does not write to the person)."""
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
            # Duress lives in memory: a restarted process learns it again from the chat,
            # which repeats it whenever it learns the conversation is active.
            "duress": self.duress.get(c.id, False),
            "handovers": [
                {
                    "from": self.username(h.from_operator),
                    "to": self.username(h.to_operator),
                    "note": crypto.b64encode(h.note),
                    "ts": _ms(h.created_at),
                }
                for h in self.store.handovers(c.id)
            ],
            "operator": self.username(c.operator_id),
            "observing": observing,
            "observers": [self.username(o) for o in self.store.observers(c.id)],
            "notes": self.notes.items(c.id),
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

    def _waiting_status(self, position: int | None) -> dict[str, Any]:
        frame: dict[str, Any] = {"t": "status", "state": "waiting", "position": position}
        estimate = None if position is None else self.routing.wait_estimate(position)
        if estimate is not None:
            frame["wait_estimate"] = estimate
        return frame

    def _queue_changed(self) -> None:
        waiting = self.store.waiting_conversations()
        self.hub.to_operators(self.queue_frame())
        self.hub.to_people({c.id: self._waiting_status(i) for i, c in enumerate(waiting, start=1)})
        self.supervision.refresh_floor()

    def _status(self, conv: Conversation) -> dict[str, Any]:
        if conv.state == "waiting":
            ids = [c.id for c in self.store.waiting_conversations()]
            return self._waiting_status(ids.index(conv.id) + 1 if conv.id in ids else None)
        if conv.state == "active" and conv.operator_id is not None:
            present = self.hub.operator_connected(conv.operator_id)
            return {"t": "status", "state": "active", "operator": "present" if present else "away"}
        return {"t": "status", "state": conv.state}

    def _presence(self, conv: Conversation, state: str, now: float | None = None) -> None:
        self.store.set_person_state(conv.id, state, now)
        self.supervision.to_staff(conv, {"t": "presence", "conv": conv.id, "person": state})

    def _replay(self, conn: Connection, conv_id: str, after: int, tag: bool) -> None:
        for m in self.store.messages_after(conv_id, after):
            conn.send(self.msg_frame(m, conv_id if tag else None))

    @staticmethod
    def _after(frame: dict[str, Any]) -> int:
        after = frame.get("after", 0)
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            raise FrameError("malformed", "'after' must be a non-negative integer")
        return after

    # -- the person's side ----------------------------------------------
    def person_hello(self, frame: dict[str, Any], conn: Connection) -> str:
        """Start or resume a conversation; returns its id. Raises FrameError."""
        wrapped_key: bytes | None = None
        if isinstance(frame.get("resume"), dict):
            resume = frame["resume"]
            try:
                conv_id = self.tokens.read_person(resume.get("token"))
            except TokenError as exc:
                raise FrameError("bad_token", "this conversation link has expired") from exc
            after = self._after(resume)
        elif isinstance(frame.get("code"), dict):
            conv_id, wrapped_key = self.resume.find(frame["code"], conn)
            after = self._after(frame["code"])
        else:
            conv_id = self._start(frame).id
            after = 0
        with self.lock(conv_id):
            conv = self.store.get_conversation(conv_id)
            if conv is None:
                raise FrameError("bad_token", "this conversation no longer exists")
            self.hub.join_person(conv.id, conn)
            welcome = {
                "t": "welcome",
                "conv": conv.id,
                "token": self.tokens.person(conv.id),
                "exit": self.tokens.exit(conv.id),
                "state": conv.state,
            }
            if wrapped_key is not None:
                welcome["wrapped_key"] = crypto.b64encode(wrapped_key)
            conn.send(welcome)
            self._replay(conn, conv.id, after, tag=False)
            if conv.state != "closed" and conv.person != "connected":
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
        self.routing.soon()
        return conv

    def person_resume_code(self, conv_id: str, frame: dict[str, Any], conn: Connection) -> None:
        """Remember the resume code the person's client made (its lookup hash and the
        conversation key wrapped under it); a new code replaces the old one."""
        lookup_hash = self.resume.lookup_hash(frame)
        wrapped = self.resume.wrapped_key(frame)
        with self.lock(conv_id):
            conv = self.store.get_conversation(conv_id)
            if conv is None or conv.state == "closed":
                raise FrameError("closed", "this conversation is closed")
            self.store.put_resume_code(conv_id, lookup_hash, wrapped)
        log.info("resume code set for a conversation")
        conn.send({"t": "resume_code", "saved": True})

    def person_sync(self, conv_id: str, frame: dict[str, Any], conn: Connection) -> None:
        after = self._after(frame)
        with self.lock(conv_id):
            self._replay(conn, conv_id, after, tag=False)

    def person_message(self, conv_id: str, frame: dict[str, Any], conn: Connection) -> None:
        cid = client_id(frame)
        body = body_bytes(frame, self.max_body_chars, cid)
        with self.lock(conv_id):
            conv = self.store.get_conversation(conv_id)
            if conv is None or conv.state == "closed":
                raise FrameError("closed", "this conversation is closed", cid)
            msg, new = self.store.append_message(conv_id, "person", cid, body)
            conn.send({"t": "ack", "id": cid, "seq": msg.seq})
            if new:
                self.supervision.to_staff(conv, self.msg_frame(msg, conv_id))

    def person_quick_exit(self, conv_id: str) -> None:
        with self.lock(conv_id):
            conv = self.store.get_conversation(conv_id)
            if conv is not None and conv.person != "quick_exit":
                log.info("person left by quick exit")
                self._presence(conv, "quick_exit")

    def person_duress(self, conv_id: str, frame: dict[str, Any]) -> None:
        """ "Someone is here": tell the operator silently; the chat shows a neutral view."""
        on = frame.get("on")
        if not isinstance(on, bool):
            raise FrameError("malformed", "'on' must be true or false")
        if on:
            self.duress[conv_id] = True
        else:
            self.duress.pop(conv_id, None)
        conv = self.store.get_conversation(conv_id)
        if conv is not None:
            self.supervision.to_staff(conv, {"t": "duress", "conv": conv_id, "on": on})
        log.info("person signalled duress %s", "on" if on else "off")

    def person_gone(self, conv_id: str, conn: Connection) -> None:
        with self.lock(conv_id):
            if not self.hub.leave_person(conv_id, conn):
                return
            conv = self.store.get_conversation(conv_id)
            if conv is not None and conv.state != "closed" and conv.person == "connected":
                self._presence(conv, "reconnecting")

    # -- the operator's side --------------------------------------------
    def check_active(self, op: Operator, ref: str | None = None) -> None:
        """Refuse every action of an operator removed since they connected."""
        current = self.store.get_operator(op.id)
        if current is None or current.removed:
            raise FrameError("unauthorised", "this account was removed", ref)

    def frame_conversation(self, frame: dict[str, Any]) -> Conversation:
        conv_id = require_str(frame, "conv", 64)
        conv = self.store.get_conversation(conv_id)
        if conv is None:
            raise FrameError("no_conversation", "no such conversation")
        return conv

    def _own(self, op: Operator, conv: Conversation, ref: str | None = None) -> Conversation:
        self.check_active(op, ref)
        if conv.operator_id != op.id:
            raise FrameError("not_yours", "this conversation is assigned to someone else", ref)
        return conv

    def send_conversation(
        self, operator_id: int, conv: Conversation, observing: bool = False
    ) -> None:
        """The conversation frame, then its whole history (caller holds the lock)."""
        self.hub.to_operator(operator_id, self.conversation_frame(conv, observing))
        for m in self.store.messages_after(conv.id, 0):
            self.hub.to_operator(operator_id, self.msg_frame(m, conv.id))

    def operator_connect(self, op: Operator, conn: Connection) -> None:
        supervisor = op.role == "supervisor"
        came_back = self.hub.join_operator(op.id, conn, supervisor)
        conn.send(
            {"t": "hello", "operator": {"id": op.id, "username": op.username, "role": op.role}}
        )
        conn.send(self.queue_frame())
        for conv in self.store.operator_conversations(op.id):
            with self.lock(conv.id):
                conn.send(self.conversation_frame(conv))
                if came_back:
                    self.hub.to_person(conv.id, self._status(conv))
        if supervisor:
            for conv in self.supervision.observed(op.id):
                with self.lock(conv.id):
                    conn.send(self.conversation_frame(conv, observing=True))
        if came_back:
            self.supervision.operator_back(op.id)
            log.info("operator %d connected", op.id)
        self.refresh_attention(self.clock(), force_to=conn if supervisor else None)
        self.supervision.refresh_floor(force_to=conn if supervisor else None)
        self.routing.soon()

    def operator_gone(self, op: Operator, conn: Connection) -> None:
        if not self.hub.leave_operator(op.id, conn):
            return
        self.supervision.operator_away(op.id, self.clock())
        log.info("operator %d has no console connected", op.id)
        for conv in self.store.operator_conversations(op.id):
            with self.lock(conv.id):
                self.hub.to_person(conv.id, self._status(conv))
        self.supervision.refresh_floor()

    def operator_accept(self, op: Operator, frame: dict[str, Any], conn: Connection) -> None:
        conv_id = require_str(frame, "conv", 64)
        self.check_active(op)
        if not self._assign(conv_id, op.id):
            raise FrameError("taken", "this conversation is no longer waiting")
        log.info("conversation accepted by operator %d", op.id)
        self._queue_changed()

    def _assign(self, conv_id: str, operator_id: int) -> bool:
        """Give a waiting conversation to an operator and tell both; False if taken."""
        with self.lock(conv_id):
            with self._queue_lock:
                if not self.store.assign(conv_id, operator_id):
                    return False
            self.routing.assigned(self.clock())
            conv = self.store.get_conversation(conv_id)
            assert conv is not None
            self.send_conversation(operator_id, conv)
            self.hub.to_person(conv_id, self._status(conv))
        return True

    def close(self) -> None:
        self.routing.close()

    def operator_sync(self, op: Operator, frame: dict[str, Any], conn: Connection) -> None:
        conv = self.supervision.readable(op, self.frame_conversation(frame))
        after = self._after(frame)
        with self.lock(conv.id):
            self._replay(conn, conv.id, after, tag=True)

    def operator_message(self, op: Operator, frame: dict[str, Any], conn: Connection) -> None:
        cid = client_id(frame)
        conv_id = self.frame_conversation(frame).id
        body = body_bytes(frame, self.max_body_chars, cid)
        with self.lock(conv_id):
            conv = self._own(op, self.frame_conversation(frame), cid)
            if conv.state == "closed":
                raise FrameError("closed", "this conversation is closed", cid)
            msg, new = self.store.append_message(conv.id, "operator", cid, body)
            if new:
                self.hub.to_person(conv.id, self.msg_frame(msg))
                # Other console tabs of the same operator see the reply too, and so do
                # the supervisors observing the conversation.
                self.supervision.to_staff(conv, self.msg_frame(msg, conv.id))
            conn.send({"t": "ack", "conv": conv.id, "id": cid, "seq": msg.seq})

    def operator_close(self, op: Operator, frame: dict[str, Any]) -> None:
        conv_id = self.frame_conversation(frame).id
        outcome = frame.get("outcome")
        if outcome not in OUTCOMES:
            raise FrameError("bad_outcome", f"outcome must be one of {', '.join(OUTCOMES)}")
        with self.lock(conv_id):
            conv = self._own(op, self.frame_conversation(frame))
            self._close(conv, outcome)

    def _close(self, conv: Conversation, outcome: str) -> None:
        if not self.store.close_conversation(conv.id, outcome):
            raise FrameError("closed", "this conversation is already closed")
        self.duress.pop(conv.id, None)
        log.info("conversation closed (outcome=%s)", outcome)
        self.routing.soon()
        self.supervision.to_staff(conv, {"t": "closed", "conv": conv.id, "outcome": outcome})
        self.hub.to_person(conv.id, {"t": "status", "state": "closed"})
        self.supervision.refresh_floor()

    def operator_transfer(self, op: Operator, frame: dict[str, Any], conn: Connection) -> None:
        """Give a conversation to another operator, with an encrypted handover note."""
        conv_id = self.frame_conversation(frame).id
        target = self.store.find_operator(require_str(frame, "to", 64))
        note = body_bytes({"body": frame.get("note")}, self.max_body_chars, conv_id)
        self.check_active(op)
        if target is None or target.removed:
            raise FrameError("no_operator", "no such operator")
        with self.lock(conv_id):
            conv = self.frame_conversation(frame)
            if conv.state != "active" or conv.operator_id is None:
                raise FrameError("closed", "only a conversation in progress can be transferred")
            if conv.operator_id != op.id and op.role != "supervisor":
                raise FrameError("forbidden", "only its operator or a supervisor can transfer it")
            if conv.operator_id == target.id:
                raise FrameError("malformed", f"{target.username} already holds it")
            if conv.desk_key not in self.store.desk_key_wraps(target.id):
                raise FrameError("no_operator", f"{target.username} cannot open this conversation")
            previous = conv.operator_id
            handover = Handover(conv.id, op.id, target.id, note, self.clock())
            if not self.store.transfer(conv.id, previous, handover):
                raise FrameError("closed", "the conversation changed; try again")
            moved = self.store.get_conversation(conv.id)
            assert moved is not None
            log.info("conversation transferred from operator %d to %d", previous, target.id)
            told = {"t": "transferred", "conv": conv.id, "to": target.username}
            self.hub.to_operator(previous, told)
            if op.id != previous:
                conn.send(told)
            self.supervision.transferred(moved)
            self.send_conversation(target.id, moved)
            self.hub.to_person(conv.id, {"t": "handover"})
            self.hub.to_person(conv.id, self._status(moved))
        self.refresh_attention(self.clock())
        self.supervision.refresh_floor()

    # -- time passing -----------------------------------------------------
    def refresh_attention(self, now: float, force_to: Connection | None = None) -> None:
        """Tell supervisors which conversations wait for an operator who is away."""
        self.supervision.refresh_attention(now, force_to)

    def tick(self, now: float | None = None) -> None:
        """Presence, supervision, idle closing and retention; run every few seconds."""
        now = self.clock() if now is None else now
        t = self.timings
        for conv in self.store.people_in_state("reconnecting", now - t.person_gone_after):
            with self.lock(conv.id):
                if not self.hub.person_connected(conv.id):
                    self._presence(conv, "gone", now)
        self.refresh_attention(now)
        self.supervision.refresh_floor()
        queue_changed = False
        for conv in self.store.idle_conversations(now - t.idle_close_hours * 3600):
            with self.lock(conv.id):
                log.info("conversation closed after %s idle hours", t.idle_close_hours)
                try:
                    self._close(conv, "person_left")
                except FrameError:
                    continue  # closed meanwhile
                queue_changed |= conv.state == "waiting"
        if queue_changed:
            self._queue_changed()
        self.routing.soon()
        closed_before = now - t.retention_days * 86400
        purged = self.store.purge_closed(closed_before)
        if purged:
            log.info("purged %d closed conversation(s)", purged)
