"""Routing rounds: waiting conversations offered to the router, and the wait estimate.

The router (pnav.sdk.router) decides; this module asks it at the right moments, on a
thread of its own (a router may call a remote service), and assigns what it chose.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import replace

from pnav.sdk.router import Candidate, Router
from pnav.sdk.store import Store
from pnav.server.chat.hub import Hub

__all__ = ["Routing"]

log = logging.getLogger(__name__)


class Routing:
    def __init__(
        self,
        router: Router,
        store: Store,
        hub: Hub,
        assign: Callable[[str, int], bool],
        queue_changed: Callable[[], None],
    ) -> None:
        self.router = router
        self.store = store
        self.hub = hub
        self._assign = assign
        self._queue_changed = queue_changed
        self._assigned_at: deque[float] = deque(maxlen=20)  # for the wait estimate
        self._lock = threading.Lock()
        self._wanted = threading.Event()
        self._closing = threading.Event()
        if router.automatic:
            threading.Thread(target=self._loop, name="pnav-router", daemon=True).start()

    def assigned(self, at: float) -> None:
        """A conversation was taken (by routing or by an operator) at this time."""
        self._assigned_at.append(at)

    def wait_estimate(self, position: int) -> int | None:
        """Seconds until a conversation at ``position`` is taken, from the pace at which
        recent ones were (None until there is a pace to go by)."""
        times = list(self._assigned_at)
        if len(times) < 2 or times[-1] <= times[0]:
            return None
        pace = (times[-1] - times[0]) / (len(times) - 1)  # seconds per taken conversation
        return max(1, round(pace * position))

    def soon(self) -> None:
        """Ask for a routing round on the routing thread."""
        if self.router.automatic:
            self._wanted.set()

    def _loop(self) -> None:
        while not self._closing.is_set():
            self._wanted.wait(5)
            self._wanted.clear()
            if self._closing.is_set():
                return
            try:
                self.route()
            except Exception:  # a failing router leaves conversations in the queue
                log.exception("routing round failed; conversations stay in the queue")

    def route(self) -> int:
        """One routing round: offer waiting conversations (danger first, then oldest) to
        the router; returns how many were assigned. An operator at the capacity a
        supervisor set for them gets no more, whatever the router chose."""
        if not self.router.automatic:
            return 0
        with self._lock:
            waiting = self.store.waiting_conversations()
            if not waiting:
                return 0
            load: dict[int, int] = {}
            for conv in self.store.active_conversations():
                if conv.operator_id is not None:
                    load[conv.operator_id] = load.get(conv.operator_id, 0) + 1
            candidates = {
                op.id: Candidate(
                    op.id,
                    op.username,
                    op.role,
                    load.get(op.id, 0),
                    self.hub.operator_connected(op.id),
                    capacity=op.capacity,
                )
                for op in self.store.list_operators()
                # a psychologist supports operators and never writes to a person
                if not op.removed and op.role != "psychologist"
            }
            assigned = 0
            for conv in waiting:
                choice = self.router.choose(conv, list(candidates.values()))
                chosen = candidates.get(choice) if choice is not None else None
                if chosen is None or not chosen.connected:
                    continue
                if chosen.capacity is not None and chosen.active >= chosen.capacity:
                    # A supervisor's cap holds whatever the router (a remote one too) says.
                    log.info("router chose operator %d, who is at capacity", chosen.id)
                    continue
                if self._assign(conv.id, chosen.id):
                    log.info("conversation routed to operator %d", chosen.id)
                    candidates[chosen.id] = replace(chosen, active=chosen.active + 1)
                    assigned += 1
            if assigned:
                self._queue_changed()
            return assigned

    def close(self) -> None:
        """Stop the routing thread and release the router."""
        self._closing.set()
        self._wanted.set()
        self.router.close()
