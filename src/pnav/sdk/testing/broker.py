"""The contract every broker keeps, as a test suite an integrator runs on theirs.

Subclass :class:`BrokerContract` in a test module, name the subclass ``Test…``, and
give it a ``brokers`` fixture that returns a function making ``n`` brokers joined to
one backend (as if in ``n`` server processes), closing them after the test::

    class TestMyBroker(BrokerContract):
        __test__ = True  # the base class is not collected by itself
        processes = 2

        @pytest.fixture
        def brokers(self):
            made = []
            def make(n):
                made.extend(MyBroker(url=...) for _ in range(n))
                return made[-n:]
            yield make
            for b in made:
                b.close()

A broker that can only live in one process sets ``processes = 1``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from pnav.sdk.broker import Broker

__all__ = ["BrokerContract"]

MakeBrokers = Callable[[int], list[Broker]]


class _Inbox:
    def __init__(self) -> None:
        self.got: list[tuple[str, dict[str, Any]]] = []
        self.cv = threading.Condition()

    def __call__(self, topic: str, frame: dict[str, Any]) -> None:
        with self.cv:
            self.got.append((topic, frame))
            self.cv.notify_all()

    def wait_for(self, count: int, timeout: float = 10) -> list[tuple[str, dict[str, Any]]]:
        with self.cv:
            self.cv.wait_for(lambda: len(self.got) >= count, timeout)
            return list(self.got)


class BrokerContract:
    __test__ = False
    processes = 2

    def _started(
        self, brokers: MakeBrokers, topics: tuple[str, ...] = ("p:conv", "o:0", "o:1", "sup")
    ) -> tuple[list[Broker], list[_Inbox]]:
        """Started brokers, each subscribed to ``topics`` (as a process holding sockets)."""
        made = brokers(self.processes)
        inboxes = [_Inbox() for _ in made]
        for broker, inbox in zip(made, inboxes, strict=True):
            broker.start(inbox)
            for topic in topics:
                broker.subscribe(topic)
        return made, inboxes

    def test_every_process_gets_every_publication_in_order(self, brokers: MakeBrokers) -> None:
        made, inboxes = self._started(brokers)
        frames = [("p:conv", {"t": "msg", "seq": i, "body": "x" * (i % 7)}) for i in range(50)]
        for topic, frame in frames:
            made[0].publish(topic, frame)
        for inbox in inboxes:
            assert inbox.wait_for(len(frames)) == frames

    def test_publications_from_each_process_keep_their_order(self, brokers: MakeBrokers) -> None:
        made, inboxes = self._started(brokers)
        for i in range(20):
            for n, broker in enumerate(made):
                broker.publish(f"o:{n}", {"t": "msg", "seq": i})
        for inbox in inboxes:
            got = inbox.wait_for(20 * len(made))
            for n in range(len(made)):
                assert [f["seq"] for t, f in got if t == f"o:{n}"] == list(range(20))

    def test_frames_arrive_as_published(self, brokers: MakeBrokers) -> None:
        made, inboxes = self._started(brokers)
        frame = {"t": "msg", "text": "é 漢字 🙂", "n": 1.5, "ok": True, "none": None, "l": [1]}
        made[-1].publish("sup", frame)
        assert inboxes[0].wait_for(1) == [("sup", frame)]

    def test_a_subscription_counts_its_sockets(self, brokers: MakeBrokers) -> None:
        made, inboxes = self._started(brokers, topics=())
        for broker in made:
            broker.subscribe("p:a")
            broker.subscribe("p:a")
            broker.unsubscribe("p:a")  # one socket of two left: still subscribed
        made[0].publish("p:a", {"t": "msg", "seq": 1})
        for inbox in inboxes:
            assert ("p:a", {"t": "msg", "seq": 1}) in inbox.wait_for(1)

    def test_presence_is_counted_over_all_processes(self, brokers: MakeBrokers) -> None:
        made, _ = self._started(brokers)
        first, last = made[0], made[-1]
        assert first.presence_count("o:7") == 0
        assert first.presence_add("o:7") == 1
        assert last.presence_add("o:7") == 2
        assert last.presence_count("o:7") == 2
        assert first.presence_remove("o:7") == 1
        assert last.presence_remove("o:7") == 0
        assert first.presence_count("o:7") == 0
        assert first.presence_count("o:8") == 0

    def test_removing_more_than_was_added_never_goes_below_zero(self, brokers: MakeBrokers) -> None:
        made, _ = self._started(brokers)
        assert made[0].presence_remove("p:x") == 0
        assert made[0].presence_add("p:x") == 1

    def test_a_closed_process_no_longer_counts(self, brokers: MakeBrokers) -> None:
        if self.processes < 2:
            pytest.skip("a broker that lives in one process has no other process to close")
        made, _ = self._started(brokers)
        made[1].presence_add("o:1")
        assert made[0].presence_count("o:1") == 1
        made[1].close()
        deadline = time.monotonic() + 5
        while made[0].presence_count("o:1") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert made[0].presence_count("o:1") == 0
