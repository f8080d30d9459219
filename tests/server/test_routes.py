"""A conversation's route (its state, holder and observers) is read once and kept in
memory, so that a message costs one write and no read (issue 16); every change is
forgotten at once in its process and, through the broker, in every other one."""

from __future__ import annotations

import os
import secrets
import time
from collections import Counter

from pnav.sdk.broker import InProcessBroker
from pnav.sdk.memory_store import MemoryStore
from pnav.sdk.store import Conversation
from pnav.sdk.testing.store.base import new_conversation, new_operator
from pnav.server.brokers.redis import RedisBroker
from pnav.server.chat.hub import Hub
from pnav.server.chat.routes import Routes

REDIS_URL = os.environ.get("PNAV_TEST_REDIS", "redis://127.0.0.1:6379/0")


class _CountingStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.reads: Counter[str] = Counter()
        self.during_read = lambda: None

    def get_conversation(self, conv_id: str) -> Conversation | None:
        self.reads["conversation"] += 1
        self.during_read()
        return super().get_conversation(conv_id)

    def observers(self, conv_id: str) -> list[int]:
        self.reads["observers"] += 1
        return super().observers(conv_id)


def test_a_route_is_read_once_then_kept_until_it_changes() -> None:
    store, hub = _CountingStore(), Hub(InProcessBroker())
    routes = Routes(store, hub)
    conv = store.create_conversation(new_conversation())
    alice = store.add_operator(new_operator("alice"))
    boss = store.add_operator(new_operator("boss", "supervisor"))
    try:
        for _ in range(3):
            route = routes.get(conv.id)
            assert route is not None and (route.state, route.operator_id) == ("waiting", None)
        assert store.reads == {"conversation": 1, "observers": 1}
        assert store.assign(conv.id, alice.id)
        routes.changed(conv.id)
        store.join_conversation(conv.id, boss.id)
        routes.changed(conv.id)
        route = routes.get(conv.id)
        assert route is not None
        assert (route.state, route.staff()) == ("active", [alice.id, boss.id])
        assert routes.get("no-such-conversation") is None
    finally:
        hub.close()


def test_a_change_heard_of_during_a_read_is_not_overwritten_by_it() -> None:
    store, hub = _CountingStore(), Hub(InProcessBroker())
    routes = Routes(store, hub)
    conv = store.create_conversation(new_conversation())
    try:
        # The notice of a change arrives while the route is being read: what was read
        # may predate the change, so it is used once but not kept.
        store.during_read = lambda: routes.forget(conv.id)
        routes.get(conv.id)
        routes.get(conv.id)
        assert store.reads["conversation"] == 2
        store.during_read = lambda: None
        routes.get(conv.id)
        routes.get(conv.id)
        assert store.reads["conversation"] == 3
    finally:
        hub.close()


def test_a_broker_outage_forgets_every_route() -> None:
    store, hub = _CountingStore(), Hub(InProcessBroker())
    routes = Routes(store, hub)
    convs = [store.create_conversation(new_conversation()) for _ in range(2)]
    try:
        for conv in convs:
            routes.get(conv.id)
        hub._deliver("", {"t": "outage"})  # what a broker delivers when it was away
        for conv in convs:
            routes.get(conv.id)
        assert store.reads["conversation"] == 4
    finally:
        hub.close()


def test_a_change_in_one_process_reaches_the_routes_of_another() -> None:
    """Two processes (two hubs on Redis) over one store: the second relays with the new
    holder once the first announced the assignment."""
    prefix = f"pnav-test-{secrets.token_hex(4)}"
    store = MemoryStore()  # stands in for the database both processes share
    hubs = [Hub(RedisBroker(REDIS_URL, prefix=prefix)) for _ in range(2)]
    first, second = (Routes(store, hub) for hub in hubs)
    conv = store.create_conversation(new_conversation())
    alice = store.add_operator(new_operator("alice"))
    try:
        assert second.get(conv.id) is not None
        assert store.assign(conv.id, alice.id)
        first.changed(conv.id)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            route = second.get(conv.id)
            assert route is not None
            if route.operator_id == alice.id:
                break
            time.sleep(0.01)
        assert route.operator_id == alice.id and route.state == "active"
    finally:
        for hub in hubs:
            hub.close()
