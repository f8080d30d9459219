"""The broker contract, run over every built-in broker; Redis against the real server."""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable

import pytest
import redis

from pnav.sdk.broker import InProcessBroker
from pnav.sdk.testing.broker import BrokerContract
from pnav.server.brokers.redis import RedisBroker

REDIS_URL = os.environ.get("PNAV_TEST_REDIS", "redis://127.0.0.1:6379/0")


class TestInProcessBroker(BrokerContract):
    __test__ = True
    processes = 1

    @pytest.fixture
    def brokers(self):
        return lambda n: [InProcessBroker() for _ in range(n)]


class TestRedisBroker(BrokerContract):
    __test__ = True
    processes = 2

    @pytest.fixture
    def brokers(self):
        try:
            redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
        except redis.ConnectionError as exc:
            pytest.fail(f"Redis is not reachable at {REDIS_URL} ({exc}); start redis-server")
        prefix = f"pnav-test-{secrets.token_hex(4)}"
        made: list[RedisBroker] = []

        def make(n: int) -> list[RedisBroker]:
            made.extend(RedisBroker(REDIS_URL, prefix=prefix) for _ in range(n))
            return made[-n:]

        yield make
        for broker in made:
            broker.close()


def test_a_redis_process_reads_only_the_topics_of_its_sockets() -> None:
    """With several workers, each decodes only its own share of the frames: a process
    gets no publication on a topic it holds no socket for (any longer)."""
    prefix = f"pnav-test-{secrets.token_hex(4)}"
    holder, other = RedisBroker(REDIS_URL, prefix=prefix), RedisBroker(REDIS_URL, prefix=prefix)
    got: dict[RedisBroker, list[tuple[str, dict[str, object]]]] = {holder: [], other: []}
    marked = {holder: threading.Event(), other: threading.Event()}

    def inbox(broker: RedisBroker) -> Callable[[str, dict[str, object]], None]:
        def deliver(topic: str, frame: dict[str, object]) -> None:
            got[broker].append((topic, frame))
            if topic == "o:1":
                marked[broker].set()

        return deliver

    try:
        for broker in (holder, other):
            broker.start(inbox(broker))
            broker.subscribe("o:1")  # a marker: once it arrives, all before it has
        holder.subscribe("p:mine")
        other.subscribe("p:gone")
        other.unsubscribe("p:gone")
        holder.publish("p:mine", {"t": "msg", "seq": 1})
        holder.publish("p:gone", {"t": "msg", "seq": 2})
        holder.publish("o:1", {"t": "marker"})
        assert marked[holder].wait(10) and marked[other].wait(10)
        assert got[other] == [("o:1", {"t": "marker"})]
        assert got[holder] == [("p:mine", {"t": "msg", "seq": 1}), ("o:1", {"t": "marker"})]
    finally:
        holder.close()
        other.close()
