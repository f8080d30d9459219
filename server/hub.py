"""Who is connected where, in this process: delivers frames to live sockets."""

from __future__ import annotations

import json
import logging
import threading
from collections import defaultdict
from typing import Any, Protocol

__all__ = ["Connection", "Hub", "Socket"]

log = logging.getLogger(__name__)


class Socket(Protocol):
    def send(self, data: str) -> None: ...


class Connection:
    """One websocket; ``send`` may be called from any thread."""

    def __init__(self, sock: Socket) -> None:
        self._sock = sock
        self._lock = threading.Lock()
        self.open = True
        self.code_tries = 0  # wrong resume codes tried on this socket

    def send(self, frame: dict[str, Any]) -> None:
        if not self.open:
            return
        data = json.dumps({"v": 1, **frame}, separators=(",", ":"))
        with self._lock:
            try:
                self._sock.send(data)
            except Exception:  # the socket died; its own handler cleans up
                self.open = False
                log.debug("send on a closed socket dropped")


class Hub:
    """Person sockets by conversation, operator sockets by operator id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._people: dict[str, set[Connection]] = defaultdict(set)
        self._operators: dict[int, set[Connection]] = defaultdict(set)
        self._supervisors: set[Connection] = set()

    def join_person(self, conv_id: str, conn: Connection) -> None:
        with self._lock:
            self._people[conv_id].add(conn)

    def leave_person(self, conv_id: str, conn: Connection) -> bool:
        """Forget a person socket; True if the conversation has no other one."""
        with self._lock:
            conns = self._people.get(conv_id)
            if conns is None:
                return True
            conns.discard(conn)
            if not conns:
                del self._people[conv_id]
                return True
            return False

    def join_operator(self, operator_id: int, conn: Connection, supervisor: bool = False) -> bool:
        """Add an operator socket; True if it is the operator's only one (they came back)."""
        with self._lock:
            self._operators[operator_id].add(conn)
            if supervisor:
                self._supervisors.add(conn)
            return len(self._operators[operator_id]) == 1

    def leave_operator(self, operator_id: int, conn: Connection) -> bool:
        """Forget an operator socket; True if the operator has no other one (they left)."""
        with self._lock:
            self._supervisors.discard(conn)
            conns = self._operators.get(operator_id)
            if conns is None:
                return False
            conns.discard(conn)
            if not conns:
                del self._operators[operator_id]
                return True
            return False

    def operator_connected(self, operator_id: int) -> bool:
        with self._lock:
            return bool(self._operators.get(operator_id))

    def person_connected(self, conv_id: str) -> bool:
        with self._lock:
            return bool(self._people.get(conv_id))

    def to_person(self, conv_id: str, frame: dict[str, Any]) -> None:
        with self._lock:
            conns = list(self._people.get(conv_id, ()))
        for conn in conns:
            conn.send(frame)

    def to_people(self, frames: dict[str, dict[str, Any]]) -> None:
        for conv_id, frame in frames.items():
            self.to_person(conv_id, frame)

    def to_operator(self, operator_id: int, frame: dict[str, Any]) -> None:
        with self._lock:
            conns = list(self._operators.get(operator_id, ()))
        for conn in conns:
            conn.send(frame)

    def to_operators(self, frame: dict[str, Any]) -> None:
        with self._lock:
            conns = [c for group in self._operators.values() for c in group]
        for conn in conns:
            conn.send(frame)

    def to_supervisors(self, frame: dict[str, Any]) -> None:
        with self._lock:
            conns = list(self._supervisors)
        for conn in conns:
            conn.send(frame)
