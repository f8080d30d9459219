"""Supervision: the floor, the "needs attention" list, observing conversations, capacity.

A supervisor *joins* an active conversation with its operator's knowledge: the operator
is told at once, by name. The person is not told: a supervisor is staff of the same
desk, and the person already talks to the platform, not to one named officer (see
docs/supervision.md). From then on the supervisor's consoles get everything of the
conversation its operator gets (messages, presence, duress, notes, closing), live and
after reconnects, from any process (the observers are in the store); they write
private notes and whispers, never to the person. A supervisor takes a conversation over
with a transfer to themselves (a handover note, the operator and the person told).

Lock order: see :mod:`~pnav.server.chat.context`.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from pnav.sdk import crypto
from pnav.sdk.store import Conversation, Operator
from pnav.server.chat.connection import Connection
from pnav.server.chat.floor import floor_frame
from pnav.server.chat.frames import ms, triage
from pnav.server.chat.parse import FrameError, require_str

if TYPE_CHECKING:
    from pnav.server.chat.context import ChatContext
    from pnav.server.chat.routing import Routing
    from pnav.server.chat.views import ConversationViews

__all__ = ["ANSWERING_ROLES", "FLOOR_ROLES", "MAX_CAPACITY", "Supervision", "never_writes"]

# Who sees the floor and may observe a conversation (and whisper to its operator).
FLOOR_ROLES = ("supervisor", "psychologist")
# Who answers people (a psychologist supports operators, never the person): with one of
# them connected, someone is on duty.
ANSWERING_ROLES = ("operator", "supervisor")


def never_writes(op: Operator, ref: str | None = None) -> None:
    """A psychologist supports operators: they never take a conversation or write to the
    person (``forbidden``), whatever their console sends."""
    if op.role == "psychologist":
        raise FrameError("forbidden", "a psychologist never writes to the person", ref)


log = logging.getLogger(__name__)

MAX_CAPACITY = 99
# Seconds between two builds of the floor frame. A build reads every held conversation
# (about 20 ms at 1,000 on SQLite, holding a gevent worker's loop), and every queue
# change, close and maintenance round asks for one: changes that come within this
# time are shown by one build at its end, so the cost no longer grows with the churn.
FLOOR_EVERY = 0.5


class Supervision:
    def __init__(self, ctx: ChatContext, views: ConversationViews, routing: Routing) -> None:
        self.ctx = ctx
        self.store = ctx.store
        self.hub = ctx.hub
        self.views = views
        self.routing = routing
        # Operators with no console connected, and since when. One who never connected
        # since this process started counts as away since then.
        self._started = ctx.clock()
        self._away: dict[int, float] = {}
        self._attention: list[dict[str, Any]] = []
        self._attention_lock = threading.Lock()
        self._floor: dict[str, Any] | None = None
        self._floor_lock = threading.Lock()  # held while building and sending
        self._pace_lock = threading.Lock()
        self._floor_started = -FLOOR_EVERY  # monotonic time the last build started
        self._floor_scheduled = False  # a build waits for its turn
        self._floor_timer: threading.Timer | None = None

    # -- who reads what ------------------------------------------------
    def observed(self, supervisor_id: int) -> list[Conversation]:
        """The active conversations the supervisor observes (and does not hold)."""
        return [
            c
            for c in self.store.active_conversations()
            if c.operator_id != supervisor_id and supervisor_id in self.store.observers(c.id)
        ]

    def _supervisor(self, op: Operator) -> None:
        self.ctx.check_active(op)
        if op.role != "supervisor":
            raise FrameError("forbidden", "supervision is for supervisors; this account is not")

    def _floor_staff(self, op: Operator) -> None:
        """Observing (and whispering) is for supervisors and psychologists."""
        self.ctx.check_active(op)
        if op.role not in FLOOR_ROLES:
            raise FrameError(
                "forbidden", "observing is for supervisors and psychologists; this account is not"
            )

    # -- joining and leaving ---------------------------------------------
    def join(self, op: Operator, frame: dict[str, Any]) -> None:
        """Observe an active conversation; its operator (and other observers) are told."""
        self._floor_staff(op)
        conv_id = self.ctx.frame_conversation(frame).id
        with self.ctx.lock(conv_id):
            conv = self.ctx.frame_conversation(frame)
            if conv.state != "active" or conv.operator_id is None:
                raise FrameError("closed", "only a conversation in progress can be joined")
            if conv.operator_id == op.id:
                raise FrameError("malformed", "you hold this conversation already")
            if conv.desk_key not in self.store.desk_key_wraps(op.id):
                raise FrameError("forbidden", "this account has no key for this conversation")
            if op.id not in self.store.observers(conv.id):
                told = {"t": "observer", "conv": conv.id, "username": op.username, "on": True}
                self.ctx.to_staff(conv.id, told)  # before joining: the others, not the joiner
                self.store.join_conversation(conv.id, op.id)
                self.ctx.routes.changed(conv.id)
                log.info(
                    "supervisor %d joined a conversation of operator %d", op.id, conv.operator_id
                )
            self.views.send_conversation(op.id, conv, observing=True)
        self.refresh_floor()

    def leave(self, op: Operator, frame: dict[str, Any]) -> None:
        """Stop observing; answered by ``left`` (also when not observing)."""
        self._floor_staff(op)
        conv_id = self.ctx.frame_conversation(frame).id
        with self.ctx.lock(conv_id):
            conv = self.ctx.frame_conversation(frame)
            if op.id in self.store.observers(conv.id):
                self.store.leave_conversation(conv.id, op.id)
                self.ctx.routes.changed(conv.id)
                log.info("supervisor %d left a conversation", op.id)
                told = {"t": "observer", "conv": conv.id, "username": op.username, "on": False}
                self.ctx.to_staff(conv.id, told)
            self.hub.to_operator(op.id, {"t": "left", "conv": conv.id})
        self.refresh_floor()

    def transferred(self, conv: Conversation) -> None:
        """After a transfer (caller holds the lock): the new holder observes no more (a
        take-over); the other observers get the conversation again, with its new holder."""
        if conv.operator_id is not None and conv.operator_id in self.store.observers(conv.id):
            self.store.leave_conversation(conv.id, conv.operator_id)
            self.ctx.routes.changed(conv.id)
        frame = self.views.conversation_frame(conv, observing=True)
        for observer in self.store.observers(conv.id):
            self.hub.to_operator(observer, frame)

    # -- capacity ----------------------------------------------------------
    def set_capacity(self, op: Operator, frame: dict[str, Any], conn: Connection) -> None:
        """How many conversations routing gives an operator at once (null: the default);
        answered by the floor (to every supervisor when it changed, to ``conn`` anyway)."""
        self._supervisor(op)
        target = self.store.find_operator(require_str(frame, "operator", 64))
        if target is None or target.removed:
            raise FrameError("no_operator", "no such operator")
        capacity = frame.get("capacity")
        if capacity is not None and (
            isinstance(capacity, bool)
            or not isinstance(capacity, int)
            or not 1 <= capacity <= MAX_CAPACITY
        ):
            raise FrameError(
                "malformed", f"'capacity' must be 1 to {MAX_CAPACITY}, or null for the default"
            )
        self.store.set_capacity(target.id, capacity)
        log.info("capacity of operator %d set to %s", target.id, capacity)
        self.refresh_floor(force_to=conn)
        self.routing.soon()

    # -- presence of operators, attention and the floor --------------------
    def operator_back(self, operator_id: int) -> None:
        self._away.pop(operator_id, None)

    def operator_away(self, operator_id: int, since: float) -> None:
        self._away[operator_id] = since

    def refresh_floor(self, force_to: Connection | None = None) -> None:
        """Send supervisors the floor when it changed (and ``force_to`` it anyway, at
        once). Other callers get a build at most every ``FLOOR_EVERY`` seconds: within
        that time of the last one, a build is scheduled for its end (one for all the
        changes meanwhile; it reads the store when it runs, so it shows them all).

        Built only while a supervisor is connected somewhere: with none, it would cost a
        read per held conversation on every queue change for nobody."""
        if force_to is None and not self.hub.supervisor_connected():
            with self._floor_lock:
                self._floor = None  # the first supervisor to come gets it afresh
            return
        if force_to is None:
            timer = None
            with self._pace_lock:
                if self._floor_scheduled:
                    return  # the scheduled build has not read the store yet
                wait = self._floor_started + FLOOR_EVERY - time.monotonic()
                if wait > 0:
                    self._floor_scheduled = True
                    timer = self._floor_timer = threading.Timer(wait, self._scheduled_floor)
                    timer.daemon = True
                else:
                    self._floor_started = time.monotonic()
            if timer is not None:  # started outside the lock: under gevent, start() yields
                timer.start()
                return
        self._build_floor(force_to)

    def close(self) -> None:
        """A build scheduled and not started yet will not run (the service stops)."""
        with self._pace_lock:
            if self._floor_timer is not None:
                self._floor_timer.cancel()

    def _scheduled_floor(self) -> None:
        with self._pace_lock:
            self._floor_scheduled = False  # changes from now on ask again
            self._floor_started = time.monotonic()
        try:
            if self.hub.supervisor_connected():
                self._build_floor(None)
        except Exception:  # on a timer's thread: said, not lost silently
            log.exception("the floor could not be built")

    def _build_floor(self, force_to: Connection | None) -> None:
        with self._floor_lock:
            frame = floor_frame(
                self.store,
                self.hub.operator_connected,
                self.routing.router.capacity,
                self.ctx.duress,
            )
            if frame != self._floor:
                self._floor = frame
                self.hub.to_supervisors(frame)
            elif force_to is not None:
                force_to.send(frame)

    def refresh_attention(self, now: float, force_to: Connection | None = None) -> None:
        """Tell supervisors which conversations wait for an operator who is away (longer
        than ``operator_grace``) or whose account was removed (at once)."""
        items = []
        operators = self.store.list_operators()  # removal keeps the account, marked
        removed = {op.id for op in operators if op.removed}
        grace = self.ctx.timings.operator_grace
        # Presence is asked once per operator; the conversations are read only when some
        # operator is away or removed (every maintenance round, at any scale).
        away = {
            op.id
            for op in operators
            if not op.removed
            and now - self._away.get(op.id, self._started) >= grace
            and not self.hub.operator_connected(op.id)
        }
        for conv in self.store.active_conversations() if removed or away else []:
            op_id = conv.operator_id
            if op_id is None:
                continue
            since = self._away.get(op_id, self._started)
            if op_id in removed:
                reason = "operator_removed"
            elif op_id in away:
                reason = "operator_away"
            else:
                continue
            items.append(
                {
                    "conv": conv.id,
                    "operator": self.ctx.username(op_id),
                    "reason": reason,
                    "since": ms(since),
                    **triage(conv),
                    "sealed_key": crypto.b64encode(conv.sealed_key),
                    "desk_key": conv.desk_key,
                }
            )
        with self._attention_lock:
            changed = items != self._attention
            self._attention = items
        frame = {"t": "attention", "items": items}
        if changed:
            if items:
                log.warning(
                    "%d conversation(s) wait for an operator who is away or removed", len(items)
                )
            self.hub.to_supervisors(frame)
        elif force_to is not None:
            force_to.send(frame)
