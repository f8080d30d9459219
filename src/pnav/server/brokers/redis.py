"""A broker on Redis pub/sub, for several server processes on one or more hosts.

Publications go to the channel ``<prefix>:f:<topic>``. A process subscribes to the
channels of the topics it holds sockets for (:meth:`RedisBroker.subscribe`, counted per
socket), so a frame is read and decoded only by the process that delivers it, and adding
processes adds capacity rather than work for everyone. One listener per process (a
greenlet under gevent) reads its subscriptions and only queues each frame on its sockets'
outboxes (chat/hub.py, chat/connection.py); it never writes to a socket. ``subscribe``
returns once Redis confirmed the subscription, so nothing published after a socket
joined can miss it. Publications that arrive together leave in one pipeline (one round
trip, in order: :mod:`~pnav.server.stores.group_commit` batches them as it batches
appends), and each ``publish`` returns once Redis took its frame.

Presence: each process keeps its own counts in the hash ``<prefix>:presence:<process
id>``, refreshed with a short expiry, so the counts of a process that died (even by
SIGKILL) vanish within ``presence_ttl`` seconds. The names of those hashes are in the set
``<prefix>:processes``, so a count is two round trips (the set, then every hash in one
pipeline) rather than a SCAN of the keyspace; names whose hash expired are pruned from
the set.

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
from collections import Counter, defaultdict, deque
from collections.abc import Sequence
from typing import Any

import redis
from redis.client import PubSub

from pnav.sdk.broker import Broker, Deliver
from pnav.server.stores.group_commit import GroupCommit, Outcome

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
        # Subscriptions: sockets per topic; the listener's PubSub (None while Redis is
        # away); per channel, the SUBSCRIBEs sent and not yet confirmed, oldest first.
        self._topics: Counter[str] = Counter()
        self._pubsub: PubSub | None = None
        self._unconfirmed: dict[bytes, deque[threading.Event]] = defaultdict(deque)
        self._live: dict[str, threading.Event] = {}
        self._subscribing = threading.Lock()
        self._outbox: GroupCommit[tuple[str, str], bool] = GroupCommit(self._publish_batch)

    @property
    def _presence_key(self) -> str:
        return f"{self.prefix}:presence:{self._process}"

    @property
    def _processes_key(self) -> str:
        return f"{self.prefix}:processes"

    def _channel(self, topic: str) -> str:
        return f"{self.prefix}:f:{topic}"

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

    # -- subscriptions -----------------------------------------------------
    def subscribe(self, topic: str) -> None:
        with self._subscribing:
            self._topics[topic] += 1
            if self._topics[topic] == 1:
                self._live[topic] = self._send_subscribe([topic])[0]
            live = self._live[topic]
            connected = self._pubsub is not None
        # Redis confirms a subscription once it is in force: from then on no publication
        # on the topic can miss this process. While Redis is away nobody waits (the
        # listener releases the waiters when it sees the outage): it subscribes again
        # when Redis is back and makes every client resynchronise.
        if connected and not live.wait(5) and not self._stop.is_set():
            log.warning("Redis broker: a subscription is not confirmed yet")

    def unsubscribe(self, topic: str) -> None:
        with self._subscribing:
            if self._topics[topic] <= 0:
                return
            self._topics[topic] -= 1
            if self._topics[topic]:
                return
            del self._topics[topic], self._live[topic]
            if self._pubsub is not None:
                with contextlib.suppress(redis.ConnectionError, redis.TimeoutError, OSError):
                    self._pubsub.unsubscribe(self._channel(topic))  # type: ignore[no-untyped-call]

    def _send_subscribe(self, topics: list[str]) -> list[threading.Event]:
        """SUBSCRIBE to ``topics`` (with ``_subscribing`` held); an event per topic, set
        when Redis confirms it."""
        events = [threading.Event() for _ in topics]
        if self._pubsub is None or not topics:
            return events
        channels = [self._channel(t) for t in topics]
        for channel, event in zip(channels, events, strict=True):
            self._unconfirmed[channel.encode()].append(event)
        with contextlib.suppress(redis.ConnectionError, redis.TimeoutError, OSError):
            self._pubsub.subscribe(*channels)  # the listener sees the failure and reconnects
        return events

    def _confirmed(self, channel: bytes) -> None:
        with self._subscribing:
            waiting = self._unconfirmed.get(channel)
            if waiting:
                waiting.popleft().set()
                if not waiting:
                    del self._unconfirmed[channel]

    # -- the listener ------------------------------------------------------
    def _connect(self) -> PubSub:
        """A new subscriber connection, subscribed to this process's own channel (so it
        is live even without a socket) and to every topic it holds sockets for."""
        pubsub: PubSub = self._redis.pubsub()  # type: ignore[no-untyped-call]
        pubsub.subscribe(f"{self.prefix}:process:{self._process}")
        with self._subscribing:
            self._pubsub = pubsub
            self._unconfirmed.clear()
            topics = list(self._topics)
            for topic, event in zip(topics, self._send_subscribe(topics), strict=True):
                self._live[topic] = event
        return pubsub

    def _listen(self, ready: threading.Event) -> None:
        attempt = 0
        outage = False
        prefix = len(self._channel(""))
        while not self._stop.is_set():
            pubsub = None
            try:
                pubsub = self._connect()
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
                    if msg is None:
                        continue
                    kind = msg["type"]
                    if kind == "message":
                        self._hand(msg["channel"][prefix:].decode(), json.loads(msg["data"]))
                    elif kind == "subscribe":
                        self._confirmed(msg["channel"])
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                if not outage:
                    log.warning(
                        "Redis broker: connection lost (%s); reconnecting", type(exc).__name__
                    )
                outage = True
                attempt += 1
                with self._subscribing:
                    # Nobody waits for a confirmation that cannot come: the subscriptions
                    # are made again on reconnection, and every client resynchronises then.
                    self._pubsub = None
                    for waiting in self._unconfirmed.values():
                        for event in waiting:
                            event.set()
                    self._unconfirmed.clear()
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

    def ping(self) -> None:
        """Readiness: Redis answers (raises ``ConnectionError`` when it does not)."""
        try:
            self._redis.ping()
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise ConnectionError(f"Redis broker unavailable: {exc}") from exc

    def publish(self, topic: str, frame: dict[str, Any]) -> None:
        data = json.dumps(frame, separators=(",", ":"))
        self._outbox.submit((self._channel(topic), data))

    def _publish_batch(self, batch: Sequence[tuple[str, str]]) -> list[Outcome[bool]]:
        """The publications queued together, in one pipeline (one round trip), in order."""
        pipe = self._redis.pipeline(transaction=False)
        for channel, data in batch:
            pipe.publish(channel, data)
        try:
            pipe.execute()
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise ConnectionError(f"Redis broker unavailable: {exc}") from exc
        return [(True, None)] * len(batch)

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
