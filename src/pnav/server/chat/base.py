"""What both sides of a conversation share: its lock, its frames, presence, assignment, closing.

:class:`ChatBase` holds the conversation service's state. The person's side
(chat_person.py) and the operator's side (chat_operator.py) build on it, and
:class:`~pnav.server.chat.service.ChatService` joins the two; supervision.py and notes.py
receive it as ``chat``.
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
from pnav.sdk.store import Conversation, Operator, Store
from pnav.server.chat.frames import ms, msg_frame, queue_frame, triage
from pnav.server.chat.hub import Connection, Hub
from pnav.server.chat.notes import Notes
from pnav.server.chat.parse import FrameError, require_str
from pnav.server.chat.resume import ResumeCodes
from pnav.server.chat.routing import Routing
from pnav.server.chat.supervision import Supervision
from pnav.server.web.tokens import Tokens

__all__ = ["ChatBase", "Timings"]

log = logging.getLogger("pnav.server.chat.service")  # one log for the whole conversation service


# Conversations share this many locks (by hash), so memory stays bounded.
_LOCK_STRIPES = 64


@dataclass(frozen=True)
class Timings:
    """How long things wait (seconds); from the settings of the same names."""

    person_gone_after: float = 120
    operator_grace: float = 300
    idle_close_hours: float = 72
    retention_days: float = 30


class ChatBase:
    """The state both sides share (ordering and lock order: see ``ChatService``)."""

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
    def username(self, operator_id: int | None) -> str | None:
        op = None if operator_id is None else self.store.get_operator(operator_id)
        return None if op is None else op.username

    def conversation_frame(self, c: Conversation, observing: bool = False) -> dict[str, Any]:
        """What a console needs to show a conversation. ``observing``: for a supervisor
        who joined it (who reads it but does not write to the person)."""
        return {
            "t": "conversation",
            "conv": c.id,
            **triage(c),
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
                    "ts": ms(h.created_at),
                }
                for h in self.store.handovers(c.id)
            ],
            "operator": self.username(c.operator_id),
            "observing": observing,
            "observers": [self.username(o) for o in self.store.observers(c.id)],
            "notes": self.notes.items(c.id),
        }

    def _waiting_status(self, position: int | None) -> dict[str, Any]:
        frame: dict[str, Any] = {"t": "status", "state": "waiting", "position": position}
        estimate = None if position is None else self.routing.wait_estimate(position)
        if estimate is not None:
            frame["wait_estimate"] = estimate
        return frame

    def _queue_changed(self) -> None:
        waiting = self.store.waiting_conversations()
        self.hub.to_operators(queue_frame(waiting))
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
            conn.send(msg_frame(m, conv_id if tag else None))

    @staticmethod
    def _after(frame: dict[str, Any]) -> int:
        after = frame.get("after", 0)
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            raise FrameError("malformed", "'after' must be a non-negative integer")
        return after

    # -- staff -------------------------------------------------------------
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

    def send_conversation(
        self, operator_id: int, conv: Conversation, observing: bool = False
    ) -> None:
        """The conversation frame, then its whole history (caller holds the lock)."""
        self.hub.to_operator(operator_id, self.conversation_frame(conv, observing))
        for m in self.store.messages_after(conv.id, 0):
            self.hub.to_operator(operator_id, msg_frame(m, conv.id))

    # -- assignment and closing --------------------------------------------
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

    def _close(self, conv: Conversation, outcome: str) -> None:
        if not self.store.close_conversation(conv.id, outcome):
            raise FrameError("closed", "this conversation is already closed")
        self.duress.pop(conv.id, None)
        log.info("conversation closed (outcome=%s)", outcome)
        self.routing.soon()
        self.supervision.to_staff(conv, {"t": "closed", "conv": conv.id, "outcome": outcome})
        self.hub.to_person(conv.id, {"t": "status", "state": "closed"})
        self.supervision.refresh_floor()
