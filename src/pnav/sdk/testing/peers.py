"""Peers for hostile-load tests of a deployment: a socket that never reads, and a floor
of honest conversations whose latency is measured while an attack runs.

Used by pnav's own tests (tests/abuse/) and bench/hostile.py; an integrator can point
them at a staging deployment (loopback or their own test hosts only).
"""

from __future__ import annotations

import json
import socket
import time
from collections import deque
from typing import Any
from urllib.parse import urlsplit

from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Message, Ping, Request, TextMessage

from pnav.sdk.client import OperatorClient, PersonClient, Timing

__all__ = ["HonestFloor", "RawSocket"]

FAST = Timing(ping_every=0.5, dead_after=3, min_delay=0.05, max_delay=0.5)


class RawSocket:
    """A websocket client that writes and never reads unless asked: what a client
    stalled on purpose (or a phone gone to sleep mid-download) looks like; or, reading
    with :meth:`receive`, a script written from docs/protocol.md. ``source`` binds the
    client's end to a local address (another loopback address than the honest
    clients' makes the attacker a network of its own)."""

    def __init__(self, ws_url: str, receive_buffer: int = 4096, source: str | None = None) -> None:
        parts = urlsplit(ws_url)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(10)
        if source is not None:
            self.sock.bind((source, 0))
        self.sock.connect((parts.hostname or "127.0.0.1", parts.port or 80))
        self._frames: deque[dict[str, Any]] = deque()
        self._partial = ""
        self._closed = False
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.sock.sendall(self.ws.send(Request(host=parts.netloc, target=parts.path)))
        while True:
            data = self.sock.recv(4096)
            if not data:
                raise ConnectionError("the server closed the connection during the handshake")
            self.ws.receive_data(data)
            if any(isinstance(e, AcceptConnection) for e in self.ws.events()):
                break

    def send(self, frame: dict[str, object]) -> None:
        self.sock.sendall(self.ws.send(Message(data=json.dumps({"v": 1, **frame}))))

    def receive(self, timeout: float = 10) -> dict[str, Any] | None:
        """The next frame the server sent; None when the server closed the connection
        or nothing came within ``timeout``. Pings are answered."""
        deadline = time.monotonic() + timeout
        while not self._frames and not self._closed:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(1 << 16)
            except TimeoutError:
                return None
            except OSError:
                return None  # reset by the server
            if not data:
                return None
            self.ws.receive_data(data)
            for event in self.ws.events():
                if isinstance(event, TextMessage):
                    self._partial += event.data
                    if event.message_finished:
                        self._frames.append(json.loads(self._partial))
                        self._partial = ""
                elif isinstance(event, Ping):
                    self.sock.sendall(self.ws.send(event.response()))
                elif isinstance(event, CloseConnection):
                    self._closed = True  # what came before the close is still read
        return self._frames.popleft() if self._frames else None

    def ask(self, frame: dict[str, object], timeout: float = 10) -> dict[str, Any] | None:
        """Send a frame; the first answer that is not a queue position (``status``)."""
        self.send(frame)
        while (answer := self.receive(timeout)) is not None and answer.get("t") == "status":
            pass
        return answer

    def closed_by_server(self, timeout: float) -> bool:
        """Read what is left; True if the server closed the connection by then."""
        self.sock.settimeout(0.5)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if not self.sock.recv(1 << 16):
                    return True
            except TimeoutError:
                continue
            except OSError:
                return True
        return False

    def close(self) -> None:
        self.sock.close()


class HonestFloor:
    """``pairs`` people, each in a conversation with one operator, writing back and
    forth; every delivery's latency (send to decrypted receipt) is kept."""

    def __init__(
        self, url: str, partner: str, origin: str, operator: str, password: str, pairs: int = 6
    ) -> None:
        self.url, self.partner, self.origin = url, partner, origin
        self.op = OperatorClient.login(url, operator, password, timing=FAST)
        self.people: list[PersonClient] = []
        for _ in range(pairs):
            person = PersonClient.start(url, partner, origin, timing=FAST)
            if person.conv is None:
                raise ConnectionError("the server opened no conversation")
            self.op.wait_queue(person.conv)
            self.op.accept(person.conv)
            person.wait("status", state="active")
            self.people.append(person)
        self.latencies: list[float] = []

    def round(self, n: int) -> None:
        """Each person writes, the operator reads it and answers, the person reads the
        answer; a lost or changed message raises."""
        for i, person in enumerate(self.people):
            text = f"round {n} person {i}"
            began = time.monotonic()
            person.send(text)
            got = self.op.receive()
            self.latencies.append(time.monotonic() - began)
            if got.text != text:
                raise AssertionError(f"operator got {got.text!r}, not {text!r}")
            began = time.monotonic()
            assert person.conv is not None  # checked when the floor was made
            self.op.send(person.conv, f"answer {n} {i}")
            answer = person.receive()
            self.latencies.append(time.monotonic() - began)
            if answer.text != f"answer {n} {i}":
                raise AssertionError(f"person got {answer.text!r}")

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))]

    def welcome_time(self) -> float:
        """Seconds until a newcomer's conversation is open (``welcome``)."""
        began = time.monotonic()
        newcomer = PersonClient.start(self.url, self.partner, self.origin, timing=FAST)
        took = time.monotonic() - began
        newcomer.close()
        return took

    def close(self) -> None:
        for person in self.people:
            person.close()
        self.op.close()
