"""The broker contract, run over every built-in broker; Redis against the real server."""

from __future__ import annotations

import os
import secrets

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
