"""The broker slot: how frames reach sockets held by other server processes.

A server process publishes every outgoing frame on a topic (``p:<conversation>`` for
the person, ``o:<operator id>``, ``ops`` for every operator, ``sup`` for
supervisors); every process, itself included, gets each publication through the
``deliver`` callback it gave to :meth:`Broker.start` and hands it to its own sockets.
The broker also counts who is connected where (``presence_*``), so a process knows
whether an operator has a console open on another one.

A process says which topics it holds sockets for (:meth:`Broker.subscribe`, once per
socket, and :meth:`Broker.unsubscribe`); a broker may then leave out publications on
topics this process did not subscribe to, so that with many processes each one reads
only its own share. A broker that delivers everything (the default) keeps the contract.

Brokers carry only frames the server would send anyway (ciphertext and metadata).
Messages are stored before they are published: a broker that loses a publication
loses no message, clients catch up from the store (docs/protocol.md).
"""

from __future__ import annotations

import abc
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

__all__ = ["Broker", "Deliver", "InProcessBroker"]

# deliver(topic, frame) for a publication; deliver("", {}) after a broker outage,
# when publications may have been lost (the process then makes its clients resync).
Deliver = Callable[[str, dict[str, Any]], None]


class Broker(abc.ABC):
    """Publish/subscribe between server processes, and a shared presence count."""

    @abc.abstractmethod
    def start(self, deliver: Deliver) -> None:
        """Begin receiving: ``deliver`` is called for every publication (at least on the
        topics this process subscribed to), in order of publication per publisher, from
        any thread."""

    @abc.abstractmethod
    def publish(self, topic: str, frame: dict[str, Any]) -> None:
        """Send a frame to every process; raises ``ConnectionError`` if it cannot."""

    def subscribe(self, topic: str) -> None:  # noqa: B027 - optional: deliver everything
        """This process holds one more socket for ``topic``: from the return of this call
        on, its publications are delivered here (subscriptions are counted)."""

    def unsubscribe(self, topic: str) -> None:  # noqa: B027 - optional: deliver everything
        """This process holds one socket fewer for ``topic``; at zero, its publications
        may stop reaching this process."""

    @abc.abstractmethod
    def presence_add(self, key: str) -> int:
        """Count one more connection for ``key`` (in this process); returns the total
        over all processes."""

    @abc.abstractmethod
    def presence_remove(self, key: str) -> int:
        """Count one connection fewer for ``key`` (in this process); returns the total."""

    @abc.abstractmethod
    def presence_count(self, key: str) -> int:
        """Connections for ``key`` over all live processes."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Stop receiving and release connections."""


class InProcessBroker(Broker):
    """One process: publications are delivered at once, on the publishing thread."""

    def __init__(self) -> None:
        self._deliver: Deliver | None = None
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def start(self, deliver: Deliver) -> None:
        self._deliver = deliver

    def publish(self, topic: str, frame: dict[str, Any]) -> None:
        if self._deliver is None:
            raise RuntimeError("the broker was not started")
        self._deliver(topic, frame)

    def presence_add(self, key: str) -> int:
        with self._lock:
            self._counts[key] += 1
            return self._counts[key]

    def presence_remove(self, key: str) -> int:
        with self._lock:
            self._counts[key] = max(0, self._counts[key] - 1)
            count = self._counts[key]
            if not count:
                del self._counts[key]
            return count

    def presence_count(self, key: str) -> int:
        with self._lock:
            return self._counts.get(key, 0)
