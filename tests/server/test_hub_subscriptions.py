"""The hub subscribes to the topics of the sockets this process holds, one subscription
per socket, and drops them as the sockets leave: with Redis, a worker reads only the
frames of its own sockets."""

from __future__ import annotations

from collections import Counter

from pnav.sdk.broker import InProcessBroker
from pnav.server.chat.hub import Connection, Hub


class _Socket:
    def send(self, data: str) -> None:
        pass

    def close(self, reason: int | None = None, message: str | None = None) -> None:
        pass

    def abort(self) -> None:
        pass


class _CountingBroker(InProcessBroker):
    def __init__(self) -> None:
        super().__init__()
        self.subscribed: Counter[str] = Counter()

    def subscribe(self, topic: str) -> None:
        self.subscribed[topic] += 1

    def unsubscribe(self, topic: str) -> None:
        self.subscribed[topic] -= 1


def test_each_socket_holds_the_subscriptions_of_its_topics_while_it_is_here() -> None:
    broker = _CountingBroker()
    hub = Hub(broker)
    person, second, console, floor = (Connection(_Socket()) for _ in range(4))  # type: ignore[arg-type]
    try:
        hub.join_person("c1", person)
        hub.join_person("c1", second)  # the same conversation in two tabs
        hub.join_operator(7, console)
        hub.join_operator(8, floor, supervisor=True)
        assert +broker.subscribed == {
            "routes": 1,  # every process hears of changed routes
            "p:c1": 2,
            "queue": 2,
            "o:7": 1,
            "x:7": 1,
            "o:8": 1,
            "x:8": 1,
            "ops": 2,
            "sup": 1,
        }
        hub.leave_person("c1", person)
        hub.leave_person("c1", person)  # twice: counted once
        hub.leave_operator(8, floor)
        assert +broker.subscribed == {
            "routes": 1,
            "p:c1": 1,
            "queue": 1,
            "o:7": 1,
            "x:7": 1,
            "ops": 1,
        }
        hub.leave_person("c1", second)
        hub.leave_operator(7, console)
        assert +broker.subscribed == Counter({"routes": 1})
    finally:
        for conn in (person, second, console, floor):
            conn.finish()
        hub.close()


def test_someone_is_on_duty_while_a_console_of_someone_who_answers_is_connected() -> None:
    """The banner's "on duty" is one presence count, not one per operator account."""
    hub = Hub(InProcessBroker())
    first, second, psychologist = (Connection(_Socket()) for _ in range(3))  # type: ignore[arg-type]
    try:
        hub.join_operator(9, psychologist, supervisor=True, answering=False)
        assert not hub.answering_connected()
        hub.join_operator(7, first, answering=True)
        hub.join_operator(7, second, answering=True)  # two tabs
        hub.leave_operator(7, first)
        assert hub.answering_connected()
        hub.leave_operator(7, second)
        hub.leave_operator(7, second)  # twice: counted once
        assert not hub.answering_connected()
    finally:
        for conn in (first, second, psychologist):
            conn.finish()
        hub.close()
