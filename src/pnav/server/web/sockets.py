"""Websockets at the edge: how many a process and an address may hold, what a socket
may leave unread, and the adapter the conversation service writes through.

Limits answer before the upgrade, with a plain 503 and a sentence (the client retries
later with back-off); addresses are counted under a keyed hash kept in memory only,
never logged or stored (docs/privacy.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, g, request
from simple_websocket import ConnectionClosed

from pnav.server.chat.connection import Connection, SendLimits, StartWriter, start_thread
from pnav.server.chat.parse import MAX_FRAME_CHARS, FrameError
from pnav.server.ops import metrics

__all__ = [
    "PendingLimits",
    "SocketLimits",
    "WebSocket",
    "init_app",
    "opened",
    "server_options",
    "writer_starter",
]

log = logging.getLogger(__name__)

# The websocket routes (person.py, console.py).
SOCKET_PATHS = frozenset({"/ws/person", "/console/ws"})


@dataclass(frozen=True)
class PendingLimits:
    """What a client may send ahead of the server's reading: a client that writes
    faster than its frames are handled is told ``too_fast`` and disconnected, so one
    socket's memory stays bounded whatever it sends."""

    max_frames: int = 64
    max_bytes: int = 64 * MAX_FRAME_CHARS


class WebSocket:
    """flask-sock's socket (a ``simple_websocket.Server``) as the service needs it."""

    def __init__(self, ws: Any, pending: PendingLimits | None = None) -> None:
        self._ws = ws
        self.pending = pending or PendingLimits()

    def send(self, data: str) -> None:
        self._ws.send(data)

    def close(self, reason: int | None = None, message: str | None = None) -> None:
        """A close frame, then the end of our stream (FIN): nothing can follow it, not
        even the HTTP response Werkzeug would write (flask-sock#20), and under gevent the
        duplicated socket cannot keep the connection open. Reading goes on until the
        peer closes too, so what it has not read yet is not lost to a reset."""
        try:
            self._ws.close(reason, message)
        except ConnectionClosed:
            pass  # the peer closed first
        finally:
            self._shutdown(socket.SHUT_WR)

    def abort(self) -> None:
        """Cut the connection both ways at once (a peer that does not read)."""
        self._shutdown(socket.SHUT_RDWR)

    def _shutdown(self, how: int) -> None:
        raw: socket.socket | None = getattr(self._ws, "sock", None)
        if raw is not None:
            with contextlib.suppress(OSError):
                raw.shutdown(how)

    def receive(self, timeout: float | None = None) -> Any:
        """The next frame (None when ``timeout`` passed first); ``too_fast`` when the
        client has more frames waiting than it may."""
        raw = self._ws.receive(timeout=timeout)
        # Read in place, not copied: simple-websocket's reader only appends to this list
        # and iterating a list that grows is safe. Mostly empty, so mostly free.
        waiting: list[Any] = self._ws.input_buffer
        if waiting and (
            len(waiting) > self.pending.max_frames
            or sum(map(len, waiting)) > self.pending.max_bytes
        ):
            raise FrameError("too_fast", "frames arrive faster than they are handled")
        return raw


class _Reader:
    """simple-websocket's reader "thread" as a bare greenlet (it needs only a name and
    ``start``): a monkey-patched ``threading.Thread`` also carries a lock, an event and
    its bookkeeping, which every idle socket paid for."""

    def __init__(self, target: Callable[[], None]) -> None:
        self._target = target
        self.name = "pnav-websocket-reader"

    def start(self) -> None:
        import gevent

        gevent.spawn(self._target)


class _NotReady(Exception):
    """The wait of :class:`_GreenSelector` timed out (raised and caught there only)."""


class _GreenSelector:
    """simple-websocket's selector for its reader under gevent, which waits for the next
    bytes with a timeout (the next ping) before every read: one read watcher made when
    the socket is registered and waited on directly. gevent's own selector builds a poll
    object, a watcher, a timer and a result on every wait, which took a tenth of a
    loaded worker's CPU (py-spy, bench/relay.py at 1,000 conversations)."""

    def __init__(self) -> None:
        self._watcher: Any = None

    def register(self, sock: Any, events: int, data: Any = None) -> None:
        from gevent import get_hub

        self._watcher = get_hub().loop.io(sock.fileno(), 1)  # 1: readable

    def select(self, timeout: float | None = None) -> list[bool]:
        """``[True]`` once the socket is readable (or closed), ``[]`` after ``timeout``."""
        from gevent.socket import wait

        try:
            wait(self._watcher, timeout, _NotReady)
        except _NotReady:
            return []
        return [True]

    def close(self) -> None:
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None


class _GreenWriter:
    """A connection's writer as a bare greenlet: spawning one returns at once, where
    a monkey-patched ``Thread.start`` waits a turn of the event loop for the thread to
    run (its caller may hold a conversation's lock meanwhile)."""

    def __init__(self, target: Callable[[], None]) -> None:
        import gevent

        self._greenlet = gevent.spawn(target)

    def join(self, timeout: float | None = None) -> None:
        self._greenlet.join(timeout)

    def is_alive(self) -> bool:
        return not self._greenlet.dead


def _gevent_patched() -> bool:
    try:
        from gevent import monkey
    except ImportError:
        return False
    return bool(monkey.is_module_patched("threading"))


def writer_starter() -> StartWriter:
    """How connections start their writers: greenlets under gevent, else threads."""
    return _GreenWriter if _gevent_patched() else start_thread


def server_options() -> dict[str, Any]:
    """simple-websocket's options beyond the frame size and the ping: under gevent, its
    reader as a bare greenlet and its event as gevent's own (issue 16: memory per idle
    socket); with real threads, its defaults."""
    if not _gevent_patched():
        return {}
    from gevent.event import Event

    return {"thread_class": _Reader, "event_class": Event, "selector_class": _GreenSelector}


@contextlib.contextmanager
def opened(ws: Any, kind: str, limits: SendLimits) -> Iterator[tuple[WebSocket, Connection]]:
    """A person's or a console's socket (``kind``), as its handler uses it: counted open
    while the block runs, read through :class:`WebSocket`, written through a
    :class:`~pnav.server.chat.connection.Connection`, which is finished on the way out
    (what is queued goes out, then the close frame and the end of the stream)."""
    with metrics.socket_open(kind):
        sock = WebSocket(ws)
        conn = Connection(sock, limits, writer_starter())
        try:
            yield sock, conn
        finally:
            conn.finish()


class SocketLimits:
    """Sockets open in this process, in all and per address."""

    def __init__(self, secret: bytes, max_total: int, max_per_address: int) -> None:
        self._key = hmac.new(secret, b"pnav.socket-limits", hashlib.sha256).digest()
        self.max_total = max_total
        self.max_per_address = max_per_address
        self._lock = threading.Lock()
        self._total = 0
        self._by_address: Counter[bytes] = Counter()

    def _address_key(self, address: str) -> bytes:
        return hmac.new(self._key, address.encode(), hashlib.sha256).digest()[:16]

    def admit(self, address: str | None) -> tuple[bytes | None, str | None]:
        """A slot for a new socket, or the reason there is none."""
        key = self._address_key(address or "")
        with self._lock:
            if self._total >= self.max_total:
                return None, "this server holds as many connections as it can; try again soon"
            if self._by_address[key] >= self.max_per_address:
                return None, "too many connections from this network; try again soon"
            self._total += 1
            self._by_address[key] += 1
        return key, None

    def release(self, key: bytes) -> None:
        with self._lock:
            self._total -= 1
            self._by_address[key] -= 1
            if self._by_address[key] <= 0:
                del self._by_address[key]

    @property
    def open(self) -> int:
        with self._lock:
            return self._total


def init_app(app: Flask, limits: SocketLimits) -> None:
    """Count every websocket from before its upgrade until its handler ends."""

    def admit() -> Response | None:
        if request.path not in SOCKET_PATHS:
            return None
        key, refused = limits.admit(request.remote_addr)
        if key is None:
            log.warning("websocket refused: %s", refused)
            return Response(f"{refused}\n", status=503, mimetype="text/plain")
        g.pnav_socket_slot = key
        return None

    def release(_exc: BaseException | None) -> None:
        key = g.pop("pnav_socket_slot", None)
        if key is not None:
            limits.release(key)

    app.before_request(admit)
    app.teardown_request(release)
