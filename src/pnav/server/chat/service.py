"""The conversation service: what happens when a person or an operator says something.

No Flask here: handlers parse a frame and call one method; the methods store first,
then tell the live sockets (contract 3: a message is stored before it is acknowledged).
:class:`ChatService` joins the person's side (chat_person.py) and the operator's side
(chat_operator.py), both built on the shared state, frames, assignment and closing of
chat_base.py, and adds time passing. A conversation's staff frames go to its operator
and to the supervisors observing it (supervision.py); private notes live in notes.py.
"""

from __future__ import annotations

import logging

from pnav.server.chat.base import Timings
from pnav.server.chat.operator_side import OperatorSide
from pnav.server.chat.parse import FrameError
from pnav.server.chat.person_side import PersonSide

__all__ = ["ChatService", "Timings"]

log = logging.getLogger(__name__)


class ChatService(PersonSide, OperatorSide):
    """Every method may be called from any socket's thread.

    Ordering: everything that stores or replays a conversation's messages runs under
    that conversation's lock, so each socket receives a conversation's ``msg`` and
    ``ack`` frames in increasing sequence (docs/protocol.md, "Delivery guarantees").
    Lock order: conversation lock, then the queue lock, then a connection's own lock.
    """

    def tick(self, now: float | None = None) -> None:
        """Removed accounts, presence, supervision, idle closing and retention; run every
        few seconds."""
        now = self.clock() if now is None else now
        t = self.timings
        self.end_removed_operators()
        for conv in self.store.people_in_state("reconnecting", now - t.person_gone_after):
            with self.lock(conv.id):
                if not self.hub.person_connected(conv.id):
                    self._presence(conv, "gone", now)
        self.supervision.refresh_attention(now)
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

    def close(self) -> None:
        """Stop the routing thread and release the router."""
        self.routing.close()
