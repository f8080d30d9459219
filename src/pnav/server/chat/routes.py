"""Who a conversation's frames go to, kept in memory: its state, the operator who holds
it and the supervisors observing it. A message then costs one write and no read.

Every change of these (assignment, closing, transfer, a supervisor joining or leaving)
is stored first, then announced with :meth:`Routes.changed`: this process forgets the
conversation's route at once, and every other process when the broker's notice reaches
it (Hub.route_changed). Until then another process may relay a message with the route
it had, exactly as when it read the conversation just before the change: the message is
stored with its sequence number either way, and a console or chat that missed it gets
it from its ``sync`` (docs/protocol.md, "Delivery guarantees"). A route read from the
store while a notice arrives is not kept (the generation counter), and a broker outage
forgets every route, since notices may have been lost.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pnav.sdk.store import Store

if TYPE_CHECKING:
    from pnav.server.chat.hub import Hub

__all__ = ["Route", "Routes"]


@dataclass(frozen=True)
class Route:
    state: str
    operator_id: int | None
    observers: tuple[int, ...]

    def staff(self) -> list[int]:
        """The operator who holds the conversation, then the supervisors observing it."""
        holder = [] if self.operator_id is None else [self.operator_id]
        return holder + [o for o in self.observers if o not in holder]


class Routes:
    """The routes of the conversations this process relayed lately (at most ``most``)."""

    def __init__(self, store: Store, hub: Hub, most: int = 20_000) -> None:
        self._store = store
        self._hub = hub
        self._most = most
        self._lock = threading.Lock()
        self._routes: dict[str, Route] = {}
        self._generation = 0  # counts the changes heard of
        hub.route_listener = self.forget

    def get(self, conv_id: str) -> Route | None:
        """The conversation's route; None if there is no such conversation."""
        with self._lock:
            route = self._routes.get(conv_id)
            generation = self._generation
        if route is not None:
            return route
        conv = self._store.get_conversation(conv_id)
        if conv is None:
            return None
        route = Route(conv.state, conv.operator_id, tuple(self._store.observers(conv_id)))
        with self._lock:
            if self._generation == generation:  # no change was heard of meanwhile
                if len(self._routes) >= self._most:
                    self._routes.clear()
                self._routes[conv_id] = route
        return route

    def changed(self, conv_id: str) -> None:
        """The conversation's state, holder or observers changed (and are stored):
        forgotten here now, and in every process when the notice reaches it."""
        self.forget(conv_id)
        self._hub.route_changed(conv_id)

    def forget(self, conv_id: str | None) -> None:
        """Forget one conversation's route, or every route (None)."""
        with self._lock:
            self._generation += 1
            if conv_id is None:
                self._routes.clear()
            else:
                self._routes.pop(conv_id, None)
