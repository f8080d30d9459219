"""A conversation's life seen by everyone at once: the queue changing, assignment,
presence and closing. Each tells the person, the staff, the waiting people and the
supervisors' floor what changed."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from pnav.sdk.store import Conversation
from pnav.server.chat.frames import queue_frame
from pnav.server.chat.parse import FrameError
from pnav.server.ops import metrics

if TYPE_CHECKING:
    from pnav.server.chat.context import ChatContext
    from pnav.server.chat.routing import Routing
    from pnav.server.chat.supervision import Supervision
    from pnav.server.chat.views import ConversationViews

__all__ = ["Lifecycle"]

log = logging.getLogger("pnav.server.chat.service")  # one log for the whole conversation service


class Lifecycle:
    def __init__(
        self,
        ctx: ChatContext,
        views: ConversationViews,
        routing: Routing,
        supervision: Supervision,
    ) -> None:
        self.ctx = ctx
        self.store = ctx.store
        self.hub = ctx.hub
        self.views = views
        self.routing = routing
        self.supervision = supervision
        self._refresh_lock = threading.Lock()
        self._refresh_scheduled = False

    def queue_changed(self) -> None:
        """Operators get the queue, each waiting person their place, supervisors the floor.

        Changes that come together are told together: a caller who finds a refresh
        scheduled that has not read the queue yet leaves it to that one (its own change
        is already stored, so the refresh will show it). The refresh yields once before
        reading, so that a burst of new conversations costs one queue frame to every
        operator instead of one per conversation, each as long as the queue."""
        with self._refresh_lock:
            if self._refresh_scheduled:
                return
            self._refresh_scheduled = True
        try:
            time.sleep(0)  # a greenlet switch under gevent, a GIL switch with threads
        finally:
            with self._refresh_lock:
                self._refresh_scheduled = False  # from here on, later changes refresh again
        waiting = self.store.waiting_conversations()
        self.hub.to_operators(queue_frame(waiting))
        self.hub.to_people(
            {c.id: self.views.waiting_status(i) for i, c in enumerate(waiting, start=1)}
        )
        self.supervision.refresh_floor()

    def presence(self, conv: Conversation, state: str, now: float | None = None) -> None:
        """The person's presence changed: stored, and told to the staff. A waiting
        conversation changes the queue: it shows whether the person is connected, and
        one whose person left (``LEFT_STATES``) leaves it, back in place on return."""
        self.store.set_person_state(conv.id, state, now)
        self.ctx.to_staff(conv, {"t": "presence", "conv": conv.id, "person": state})
        if conv.state == "waiting":
            self.queue_changed()

    def assign(self, conv_id: str, operator_id: int) -> bool:
        """Give a waiting conversation to an operator and tell both; False if taken."""
        with self.ctx.lock(conv_id):
            with self.ctx.queue_lock:
                if not self.store.assign(conv_id, operator_id):
                    return False
            self.routing.assigned(self.ctx.clock())
            conv = self.store.get_conversation(conv_id)
            assert conv is not None
            metrics.queue_waited(self.ctx.clock() - conv.created_at)
            self.views.send_conversation(operator_id, conv)
            self.hub.to_person(conv_id, self.views.status(conv))
        return True

    def close(self, conv: Conversation, outcome: str) -> None:
        """Close with an outcome (caller holds the lock); ``closed`` if it already was."""
        if not self.store.close_conversation(conv.id, outcome):
            raise FrameError("closed", "this conversation is already closed")
        self.ctx.duress.pop(conv.id, None)
        log.info("conversation closed (outcome=%s)", outcome)
        self.routing.soon()
        self.ctx.to_staff(conv, {"t": "closed", "conv": conv.id, "outcome": outcome})
        self.hub.to_person(conv.id, {"t": "status", "state": "closed"})
        self.supervision.refresh_floor()
