"""An example pnav router, packaged and registered like any third-party backend.

It hands waiting conversations to connected operators in turn, skipping anyone who
holds ``capacity`` conversations already. Configure it with::

    router = "round_robin"
    router_options = { capacity = 2 }
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from pnav.sdk.router import Candidate, Router
from pnav.sdk.store import Conversation

__all__ = ["RoundRobinRouter"]


class RoundRobinRouter(Router):
    def __init__(self, capacity: int = 3) -> None:
        if not isinstance(capacity, int) or capacity < 1:
            raise ValueError("capacity must be a whole number of at least 1")
        self.capacity = capacity
        self._last: int | None = None
        self._lock = threading.Lock()

    def choose(self, conv: Conversation, candidates: Sequence[Candidate]) -> int | None:
        free = sorted(c.id for c in candidates if c.connected and c.active < self.capacity)
        if not free:
            return None
        with self._lock:
            later = [i for i in free if self._last is None or i > self._last]
            self._last = (later or free)[0]
            return self._last
