"""Who is connected where: this process's sockets, reached through the broker.

Every frame for a person or an operator is published on the broker; the processes that
hold sockets for its topic (this one included) deliver it to them. With the in-process
broker that is a direct call; with Redis, frames reach sockets held by other processes,
and each process subscribes only to the topics of its own sockets, so it neither reads
nor decodes the frames of the others.
The queue's order goes out once per change for every process, which tells its own
waiting people their place when it changed (not one publication per waiting person).
A change of a conversation's route (chat/routes.py) is announced to every process too.
Presence (is this operator, this person connected anywhere?) is counted by the broker.
Delivering a frame only queues it on each socket (connection.py): nothing here waits
for a peer.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from pnav.sdk.broker import Broker, InProcessBroker
from pnav.server.chat.connection import Connection, encode
from pnav.server.ops import metrics

__all__ = ["QUEUE", "ROUTES", "Hub"]

log = logging.getLogger(__name__)

QUEUE = "queue"  # the broker topic of the queue's order
ROUTES = "routes"  # the broker topic of changed routes (every process subscribes)
ANSWERING = "answering"  # the presence key of the consoles of people who answer


def _place_only(place: int) -> dict[str, Any]:
    return {"t": "status", "state": "waiting", "position": place}


def _nobody(conv_id: str | None) -> None:
    pass


class Hub:
    """Person sockets by conversation, operator sockets by operator id."""

    def __init__(self, broker: Broker | None = None) -> None:
        self.broker = broker or InProcessBroker()
        self._lock = threading.Lock()
        self._people: dict[str, set[Connection]] = defaultdict(set)
        self._operators: dict[int, set[Connection]] = defaultdict(set)
        self._supervisors: set[Connection] = set()
        self._answering: set[Connection] = set()  # consoles of people who answer
        # A waiting person's status frame for a place in the queue (set by the service).
        self.waiting_status: Callable[[int], dict[str, Any]] = _place_only
        # Told of a conversation whose route changed, or None for all of them (set by
        # chat/routes.py).
        self.route_listener: Callable[[str | None], None] = _nobody
        self.broker.start(self._deliver)
        self.broker.subscribe(ROUTES)

    # -- this process's sockets -------------------------------------------
    @staticmethod
    def _operator_topics(operator_id: int, supervisor: bool) -> tuple[str, ...]:
        topics = (f"o:{operator_id}", f"x:{operator_id}", "ops")
        return (*topics, "sup") if supervisor else topics

    def join_person(self, conv_id: str, conn: Connection) -> None:
        # Subscribed (and confirmed) before the caller replays what is stored: every
        # frame published from now on reaches this socket.
        self.broker.subscribe(f"p:{conv_id}")
        self.broker.subscribe(QUEUE)
        with self._lock:
            self._people[conv_id].add(conn)
        self.broker.presence_add(f"p:{conv_id}")

    def leave_person(self, conv_id: str, conn: Connection) -> bool:
        """Forget a person socket; True if the conversation has no other one anywhere."""
        with self._lock:
            conns = self._people.get(conv_id)
            if conns is None or conn not in conns:
                return not self.person_connected(conv_id)
            conns.discard(conn)
            if not conns:
                del self._people[conv_id]
        self.broker.unsubscribe(f"p:{conv_id}")
        self.broker.unsubscribe(QUEUE)
        return self.broker.presence_remove(f"p:{conv_id}") == 0

    def join_operator(
        self, operator_id: int, conn: Connection, supervisor: bool = False, answering: bool = False
    ) -> bool:
        """Add an operator socket (``answering``: of someone who answers people); True
        if it is the operator's only one (they came back)."""
        for topic in self._operator_topics(operator_id, supervisor):
            self.broker.subscribe(topic)
        with self._lock:
            self._operators[operator_id].add(conn)
            if supervisor:
                self._supervisors.add(conn)
            if answering:
                self._answering.add(conn)
        if supervisor:
            self.broker.presence_add("sup")
        if answering:
            self.broker.presence_add(ANSWERING)
        return self.broker.presence_add(f"o:{operator_id}") == 1

    def leave_operator(self, operator_id: int, conn: Connection) -> bool:
        """Forget an operator socket; True if the operator has no other one (they left)."""
        with self._lock:
            supervisor = conn in self._supervisors
            self._supervisors.discard(conn)
            answering = conn in self._answering
            self._answering.discard(conn)
            conns = self._operators.get(operator_id)
            if conns is None or conn not in conns:
                return False
            conns.discard(conn)
            if not conns:
                del self._operators[operator_id]
        for topic in self._operator_topics(operator_id, supervisor):
            self.broker.unsubscribe(topic)
        if supervisor:
            self.broker.presence_remove("sup")
        if answering:
            self.broker.presence_remove(ANSWERING)
        return self.broker.presence_remove(f"o:{operator_id}") == 0

    def local_operators(self) -> list[int]:
        """The operators with a socket in this process."""
        with self._lock:
            return list(self._operators)

    def operator_connected(self, operator_id: int) -> bool:
        return self.broker.presence_count(f"o:{operator_id}") > 0

    def supervisor_connected(self) -> bool:
        """Whether a supervisor's console is connected to any process."""
        return self.broker.presence_count("sup") > 0

    def answering_connected(self) -> bool:
        """Whether someone who answers people has a console connected to any process
        (one count, not one per operator)."""
        return self.broker.presence_count(ANSWERING) > 0

    def person_connected(self, conv_id: str) -> bool:
        return self.broker.presence_count(f"p:{conv_id}") > 0

    # -- sending ----------------------------------------------------------
    def _publish(self, topic: str, frame: dict[str, Any]) -> None:
        try:
            self.broker.publish(topic, frame)
        except ConnectionError as exc:
            # What was stored stays stored; clients catch up when the broker is back.
            log.warning("frame not published: %s", exc)

    def to_person(self, conv_id: str, frame: dict[str, Any]) -> None:
        self._publish(f"p:{conv_id}", frame)

    def to_waiting(self, order: list[str]) -> None:
        """The waiting conversations in queue order, to every process: each tells its
        own waiting people their place, if it changed since they were last told."""
        self._publish(QUEUE, {"t": "queue_order", "order": order})

    def route_changed(self, conv_id: str) -> None:
        """Every process forgets the conversation's route (chat/routes.py)."""
        self._publish(ROUTES, {"t": "route", "conv": conv_id})

    def to_operator(self, operator_id: int, frame: dict[str, Any]) -> None:
        self._publish(f"o:{operator_id}", frame)

    def to_operators(self, frame: dict[str, Any]) -> None:
        self._publish("ops", frame)

    def to_supervisors(self, frame: dict[str, Any]) -> None:
        self._publish("sup", frame)

    def end_operator(self, operator_id: int, frame: dict[str, Any]) -> None:
        """In every process: send ``frame`` to the operator's sockets and close them for
        good (a removed account)."""
        self._publish(f"x:{operator_id}", frame)

    # -- receiving from the broker ------------------------------------------
    def _deliver(self, topic: str, frame: dict[str, Any]) -> None:
        if topic == QUEUE:
            self._tell_places(frame.get("order", ()))
            return
        if topic == ROUTES:
            conv_id = frame.get("conv")
            if isinstance(conv_id, str):
                self.route_listener(conv_id)
            return
        if topic == "":
            self.route_listener(None)  # notices may have been lost with the broker
        kind, _, key = topic.partition(":")
        action = "send"
        with self._lock:
            if topic == "":
                # The broker was away: publications may be lost. Every client
                # reconnects and resumes from the last sequence it saw.
                conns = {c for group in self._people.values() for c in group}
                conns |= {c for group in self._operators.values() for c in group}
                action = "drop"
            elif kind == "p":
                conns = set(self._people.get(key, ()))
            elif kind == "o":
                conns = set(self._operators.get(int(key), ()))
            elif kind == "x":
                conns, action = set(self._operators.get(int(key), ())), "end"
            elif topic == "ops":
                conns = {c for g in self._operators.values() for c in g}
            elif topic == "sup":
                conns = set(self._supervisors)
            else:
                log.warning("frame on an unknown topic dropped")
                return
        if frame.get("t") == "msg":
            metrics.message_relayed("person" if kind == "p" else "operator", len(conns))
        if not conns:
            return  # nobody here (the socket left, or the broker delivers every topic)
        # Each socket's writer sends; this thread (the broker's) only queues, so one
        # peer that does not read delays nobody. Encoded once for all the sockets.
        data = encode(frame) if action == "send" else ""
        if kind == "p" and frame.get("t") == "status":
            for conn in conns:
                conn.send_status(data)
            return
        for conn in conns:
            if action == "drop":
                conn.drop()
            elif action == "end":
                conn.end(frame)
            else:
                conn.send_encoded(data)

    def _tell_places(self, order: list[str]) -> None:
        """This process's waiting people, each their place if it changed."""
        with self._lock:
            places = [
                (place, list(self._people[conv_id]))
                for place, conv_id in enumerate(order, start=1)
                if conv_id in self._people
            ]
        for place, conns in places:
            status = encode(self.waiting_status(place))
            for conn in conns:
                conn.send_status(status, changed_only=True)

    def close(self) -> None:
        self.broker.close()
