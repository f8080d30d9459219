"""A broker on Redis pub/sub, for several server processes on one or more hosts.

Publications go to the channel ``<prefix>:f:<topic>``; every process listens to
``<prefix>:f:*`` on a thread of its own. Presence: each process keeps its own counts
in the hash ``<prefix>:presence:<process id>``, refreshed with a short expiry, so the
counts of a process that died (even by SIGKILL) vanish within ``presence_ttl`` seconds.
The names of those hashes are in the set ``<prefix>:processes``, so a count is two round
trips (the set, then every hash in one pipeline) rather than a SCAN of the keyspace;
names whose hash expired are pruned from the set.

When Redis goes away, publishing raises ``ConnectionError`` (the message is already
stored; the server carries on) and the listener reconnects with back-off; once back,
it calls ``deliver("", {})`` so the process makes its clients resynchronise.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import secrets
import threading
from collections import Counter
from typing import Any

import redis

from pnav.sdk.broker import Broker, Deliver

__all__ = ["RedisBroker"]

log = logging.getLogger(__name__)


class RedisBroker(Broker):
    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        prefix: str = "pnav",
        presence_ttl: int = 30,
    ) -> None:
        if presence_ttl < 3:
            raise ValueError("presence_ttl must be at least 3 seconds")
        self.url, self.prefix, self.presence_ttl = url, prefix, presence_ttl
        self._redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._process = secrets.token_hex(8)
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._deliver: Deliver | None = None
        self._threads: list[threading.Thread] = []

    @property
    def _presence_key(self) -> str:
        return f"{self.prefix}:presence:{self._process}"

    @property
    def _processes_key(self) -> str:
        return f"{self.prefix}:processes"

    def start(self, deliver: Deliver) -> None:
        self._deliver = deliver
        ready = threading.Event()
        self._threads = [
            threading.Thread(target=self._listen, args=(ready,), daemon=True, name="pnav-redis"),
            threading.Thread(target=self._keep_presence, daemon=True, name="pnav-presence"),
        ]
        for t in self._threads:
            t.start()
        # Publications made before the subscription is live would be lost to this process.
        if not ready.wait(10):
            log.warning("Redis broker: not subscribed yet; frames wait for it")

    def _listen(self, ready: threading.Event) -> None:
        attempt = 0
        outage = False
        while not self._stop.is_set():
            pubsub = None
            try:
                pubsub = self._redis.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
                pubsub.psubscribe(f"{self.prefix}:f:*")
                # Wait for the subscription to be confirmed before saying we are ready.
                while pubsub.get_message(timeout=1.0) is None and not pubsub.subscribed:
                    pass
                ready.set()
                attempt = 0
                if outage:
                    outage = False
                    log.info("Redis broker: connected again; clients resynchronise")
                    self._hand("", {})
                    self._write_presence()
                while not self._stop.is_set():
                    msg = pubsub.get_message(timeout=1.0)
                    if msg is None or msg.get("type") != "pmessage":
                        continue
                    channel = msg["channel"].decode()
                    topic = channel[len(self.prefix) + 3 :]
                    self._hand(topic, json.loads(msg["data"]))
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                if not outage:
                    log.warning(
                        "Redis broker: connection lost (%s); reconnecting", type(exc).__name__
                    )
                outage = True
                attempt += 1
                self._stop.wait(min(5.0, 0.2 * 2**attempt) * (0.5 + random.random() / 2))  # noqa: S311
            finally:
                if pubsub is not None:
                    with contextlib.suppress(Exception):  # already broken
                        pubsub.close()

    def _hand(self, topic: str, frame: dict[str, Any]) -> None:
        if self._deliver is None:
            return
        try:
            self._deliver(topic, frame)
        except Exception:  # one bad delivery must not stop the listener
            log.exception("Redis broker: delivering a frame failed")

    def _write_presence(self) -> None:
        with self._lock:
            counts = {k: v for k, v in self._counts.items() if v > 0}
        pipe = self._redis.pipeline()
        pipe.delete(self._presence_key)
        for key, count in counts.items():
            pipe.hset(self._presence_key, key, count)
        if counts:
            pipe.expire(self._presence_key, self.presence_ttl)
            pipe.sadd(self._processes_key, self._presence_key)
        pipe.execute()
        self._prune_processes()

    def _prune_processes(self) -> None:
        """Forget the processes whose presence hash expired (they died or hold nothing)."""
        names = list(self._redis.smembers(self._processes_key))
        if not names:
            return
        pipe = self._redis.pipeline()
        for name in names:
            pipe.exists(name)
        gone = [name for name, alive in zip(names, pipe.execute(), strict=True) if not alive]
        if gone:
            self._redis.srem(self._processes_key, *gone)

    def _keep_presence(self) -> None:
        while not self._stop.wait(self.presence_ttl / 3):
            # A failure is the listener's to report.
            with contextlib.suppress(redis.ConnectionError, redis.TimeoutError, OSError):
                self._write_presence()

    def publish(self, topic: str, frame: dict[str, Any]) -> None:
        data = json.dumps(frame, separators=(",", ":"))
        try:
            self._redis.publish(f"{self.prefix}:f:{topic}", data)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise ConnectionError(f"Redis broker unavailable: {exc}") from exc

    def _change(self, key: str, delta: int) -> int:
        with self._lock:
            self._counts[key] = max(0, self._counts[key] + delta)
            mine = self._counts[key]
            if not mine:
                del self._counts[key]
        try:
            pipe = self._redis.pipeline()
            if mine:
                pipe.hset(self._presence_key, key, mine)
                pipe.sadd(self._processes_key, self._presence_key)
            else:
                pipe.hdel(self._presence_key, key)
            pipe.expire(self._presence_key, self.presence_ttl)
            pipe.execute()
        except (redis.ConnectionError, redis.TimeoutError):
            log.warning("Redis broker: presence not shared while Redis is away")
        return self.presence_count(key)

    def presence_add(self, key: str) -> int:
        return self._change(key, 1)

    def presence_remove(self, key: str) -> int:
        return self._change(key, -1)

    def presence_count(self, key: str) -> int:
        try:
            mine = (self._presence_key, self._presence_key.encode())
            others = [n for n in self._redis.smembers(self._processes_key) if n not in mine]
            total = 0
            if others:
                pipe = self._redis.pipeline(transaction=False)
                for name in others:
                    pipe.hget(name, key)
                total = sum(int(value) for value in pipe.execute() if value)
        except (redis.ConnectionError, redis.TimeoutError):
            total = 0  # other processes unknown while Redis is away
        with self._lock:
            return total + self._counts.get(key, 0)

    def close(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(3)
        with contextlib.suppress(redis.ConnectionError, redis.TimeoutError):
            self._redis.delete(self._presence_key)
            self._redis.srem(self._processes_key, self._presence_key)
        self._redis.close()
