"""The conversation service: what happens when a person or an operator says something.

No Flask here: handlers parse a frame and call one method; the methods store first,
then tell the live sockets (contract 3: a message is stored before it is acknowledged).
:class:`ChatService` builds small collaborators and hands each only what it needs: the
shared :class:`~pnav.server.chat.context.ChatContext` (store, hub, clock, locks), the
views of a conversation (views.py), its lifecycle (lifecycle.py), routing, notes,
supervision, and the two sides that answer sockets: ``person`` (person_side.py) and
``operator`` (operator_side.py). It adds time passing (:meth:`ChatService.tick`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from pnav.sdk import crypto
from pnav.sdk.router import QueueRouter, Router
from pnav.sdk.store import Store
from pnav.server.chat.context import ChatContext, Timings
from pnav.server.chat.help import HelpCalls
from pnav.server.chat.hub import Hub
from pnav.server.chat.lifecycle import Lifecycle
from pnav.server.chat.notes import Notes
from pnav.server.chat.operator_side import OperatorSide
from pnav.server.chat.parse import FrameError
from pnav.server.chat.person_side import PersonSide
from pnav.server.chat.resume import ResumeCodes
from pnav.server.chat.routing import Routing
from pnav.server.chat.supervision import Supervision
from pnav.server.chat.tokens import Tokens
from pnav.server.chat.views import ConversationViews

__all__ = ["ChatService", "Timings"]

log = logging.getLogger(__name__)


def _yield() -> None:
    """Let other sockets run (a greenlet switch under gevent, a GIL switch with threads)."""
    time.sleep(0)


class ChatService:
    """Every method of every part may be called from any socket's thread (ordering and
    lock order: :mod:`~pnav.server.chat.context`)."""

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
        ctx = ChatContext(store, hub, max_body_chars, timings or Timings(), clock)
        self.ctx = ctx
        self.store = store
        self.hub = hub
        self.clock = clock
        self.resume = ResumeCodes(store, resume_salt, clock)
        # Routing calls back into the lifecycle, which is built from routing: the
        # callbacks are bound once both exist.
        self.routing = Routing(
            router or QueueRouter(),
            store,
            hub,
            lambda conv_id, operator_id: self.lifecycle.assign(conv_id, operator_id),
            lambda: self.lifecycle.queue_changed(),
        )
        self.notes = Notes(ctx)
        views = ConversationViews(ctx, self.notes, self.routing)
        self.supervision = Supervision(ctx, views, self.routing)
        self.lifecycle = Lifecycle(ctx, views, self.routing, self.supervision)
        self.person = PersonSide(ctx, tokens, self.resume, views, self.lifecycle, self.routing)
        self.operator = OperatorSide(ctx, views, self.lifecycle, self.routing, self.supervision)
        self.help = HelpCalls(ctx)

    def tick(self, now: float | None = None) -> None:
        """Removed accounts, presence, supervision, idle closing and retention; run every
        few seconds. It runs in steps with a yield between them (a greenlet switch under
        gevent), so that sockets are served between the steps instead of after all."""
        now = self.clock() if now is None else now
        t = self.ctx.timings
        self.operator.end_removed()
        _yield()
        for conv in self.store.people_in_state("reconnecting", now - t.person_gone_after):
            with self.ctx.lock(conv.id):
                if not self.hub.person_connected(conv.id):
                    # Never answered: "left before an answer", and their wait ends when
                    # their socket did (the statistics count it so).
                    left_at = conv.person_since if conv.state == "waiting" else now
                    self.lifecycle.presence(conv, "gone", left_at)
            _yield()
        self.supervision.refresh_attention(now)
        _yield()
        self.supervision.refresh_floor()
        _yield()
        queue_changed = False
        for conv in self.store.idle_conversations(now - t.idle_close_hours * 3600):
            with self.ctx.lock(conv.id):
                log.info("conversation closed after %s idle hours", t.idle_close_hours)
                try:
                    self.lifecycle.close(conv, "person_left")
                except FrameError:
                    continue  # closed meanwhile
                queue_changed |= conv.state == "waiting"
            _yield()
        if queue_changed:
            self.lifecycle.queue_changed()
        elif self.lifecycle.tell_queue_changes(self.store.waiting_conversations()):
            self.supervision.refresh_floor()  # another process changed the queue
        self.routing.soon()
        closed_before = now - t.retention_days * 86400
        purged = self.store.purge_closed(closed_before)
        if purged:
            log.info("purged %d closed conversation(s)", purged)

    def close(self) -> None:
        """Stop the routing thread and release the router; no scheduled floor build."""
        self.supervision.close()
        self.routing.close()
