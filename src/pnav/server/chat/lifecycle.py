"""A conversation's life seen by everyone at once: the queue changing, assignment,
presence and closing. Each tells the person, the staff, the waiting people and the
supervisors' floor what changed."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from pnav.sdk.store import Conversation
from pnav.server.chat.frames import queue_change_frame, queue_item
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
        self.hub.waiting_status = views.waiting_status
        # The waiting conversations this process last told the consoles about, each as
        # its queue item: an item that changed (its person came or went) is told again.
        self._told: dict[str, dict[str, Any]] = {
            c.id: queue_item(c) for c in self.store.waiting_conversations()
        }
        self._told_lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._refresh_scheduled = False

    def queue_changed(self) -> None:
        """Operators get what changed in the queue, each waiting person whose place
        changed their place (Hub.to_waiting), supervisors the floor.

        Changes that come together are told together: a caller who finds a refresh
        scheduled that has not read the queue yet leaves it to that one (its own change
        is already stored, so the refresh will show it). The refresh yields once before
        reading, so that a burst of new conversations costs one queue change to every
        operator instead of one per conversation."""
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
        self.tell_queue_changes(waiting)
        self.hub.to_waiting([c.id for c in waiting])
        self.supervision.refresh_floor()

    def tell_queue_changes(self, waiting: list[Conversation]) -> bool:
        """Send operators the difference between ``waiting`` and the queue this process
        last told them about; False if there was none. Another process's changes reach
        the consoles through that process; the maintenance tick calls this too, so
        every conversation a process announced is also announced gone by it."""
        with self._told_lock:
            now = {c.id: queue_item(c) for c in waiting}
            added = [item for conv_id, item in now.items() if self._told.get(conv_id) != item]
            removed = [conv_id for conv_id in self._told if conv_id not in now]
            self._told = now
            if added or removed:
                self.hub.to_operators(queue_change_frame(added, removed))
        return bool(added or removed)

    def presence(self, conv: Conversation, state: str, now: float | None = None) -> None:
        """The person's presence changed: stored, and told to the staff. A waiting
        conversation changes the queue: it shows whether the person is connected, and
        one whose person left (``LEFT_STATES``) leaves it, back in place on return."""
        self.store.set_person_state(conv.id, state, now)
        self.ctx.to_staff(conv.id, {"t": "presence", "conv": conv.id, "person": state})
        if conv.state == "waiting":
            self.queue_changed()

    def assign(self, conv_id: str, operator_id: int) -> bool:
        """Give a waiting conversation to an operator and tell both; False if taken."""
        with self.ctx.lock(conv_id):
            # The store gives a waiting conversation to exactly one caller, whatever
            # the process (store contract); the lock orders it with this
            # conversation's other changes here.
            if not self.store.assign(conv_id, operator_id):
                return False
            self.ctx.routes.changed(conv_id)
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
        self.ctx.routes.changed(conv.id)
        self.ctx.duress.pop(conv.id, None)
        log.info("conversation closed (outcome=%s)", outcome)
        self.routing.soon()
        self.ctx.to_staff(conv.id, {"t": "closed", "conv": conv.id, "outcome": outcome})
        self.hub.to_person(conv.id, {"t": "status", "state": "closed"})
        self.supervision.refresh_floor()

    def close_waiting(self, conv_ids: list[str], outcome: str) -> list[str]:
        """Close many waiting conversations at once (a supervisor clearing a flood);
        returns those closed. Ones taken or closed meanwhile are left as they are. One
        queue change and one floor refresh for all of them."""
        closed: list[str] = []
        for conv_id in dict.fromkeys(conv_ids):
            with self.ctx.lock(conv_id):
                # Only if still waiting, in one step: an operator in another process
                # may take it at any moment, and it must not be closed under them.
                if not self.store.close_waiting_conversation(conv_id, outcome):
                    continue
                self.ctx.routes.changed(conv_id)
                self.ctx.duress.pop(conv_id, None)
            self.hub.to_person(conv_id, {"t": "status", "state": "closed"})
            closed.append(conv_id)
        log.info("%d waiting conversation(s) closed as %s", len(closed), outcome)
        if closed:
            self.queue_changed()
        return closed
