"""The Python client's transport: a websocket that comes back by itself.

:class:`Link` reconnects with jittered back-off and heartbeats; :class:`Waiter` lets
callers wait for frames and acknowledgements; :class:`Sequence` keeps one
conversation's delivery state (docs/protocol.md, "Delivery guarantees").
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simple_websocket import Client as WebSocket
from simple_websocket import ConnectionClosed
from wsproto.utilities import LocalProtocolError

from pnav.sdk import crypto

__all__ = ["ClientError", "Link", "Sequence", "Timing", "Waiter"]

log = logging.getLogger("pnav.sdk.client")


class ClientError(RuntimeError):
    """The server refused something; ``code`` is the protocol error code when there is one."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Timing:
    """Heartbeat and back-off (seconds); the defaults are the browser's."""

    ping_every: float = 20
    dead_after: float = 45
    min_delay: float = 0.5
    max_delay: float = 15


class _WebSocket(WebSocket):  # type: ignore[misc]
    """simple-websocket's client, sending the port in ``Host`` as browsers do, and not
    leaving frames that came in the same read as the handshake answer unread (they
    would wait for the next packet, which may never come)."""

    host: str
    port: int
    connected: bool

    def handshake(self) -> None:
        if self.port not in (80, 443):
            self.host = f"{self.host}:{self.port}"
        super().handshake()
        if self.connected:
            self.connected = self._handle_events()


class _DaemonThread(threading.Thread):
    """simple-websocket's reader thread, made a daemon so it never holds up exit."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, daemon=True, **kwargs)


class Link:
    """A websocket that comes back by itself (docs/protocol.md, "Delivery guarantees").

    ``on_open`` runs after every (re)connection, ``on_frame`` for every frame; both on
    the link's own thread. ``send`` returns False while disconnected: callers keep what
    they could not send and send it again from ``on_open``.
    """

    def __init__(
        self,
        url: str,
        headers: dict[str, str] | None,
        on_open: Callable[[], None],
        on_frame: Callable[[dict[str, Any]], None],
        on_close: Callable[[], None],
        timing: Timing,
    ) -> None:
        self.url = url
        self.headers = headers
        self.on_open = on_open
        self.on_frame = on_frame
        self.on_close = on_close
        self.timing = timing
        self.reconnects = -1  # how many times the link (re)opened, minus the first
        self._ws: _WebSocket | None = None
        self._send_lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pnav-client", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        attempt = 0
        while not self._stopped.is_set():
            answered = False
            try:
                ws = _WebSocket.connect(self.url, headers=self.headers, thread_class=_DaemonThread)
            except Exception:  # refused, reset, or a half-answered handshake: try again
                ws = None
            if ws is not None:
                with self._send_lock:
                    self._ws = ws
                self.reconnects += 1
                try:
                    self.on_open()
                    answered = self._read(ws)
                finally:
                    with self._send_lock:
                        self._ws = None
                    self.on_close()
                    with contextlib.suppress(Exception):
                        ws.close()
            if answered:
                attempt = 0
            ceiling = min(self.timing.max_delay, self.timing.min_delay * 2**attempt)
            attempt += 1
            # "Equal jitter": clients that dropped together do not come back together.
            self._stopped.wait(ceiling / 2 + random.random() * ceiling / 2)  # noqa: S311

    def _read(self, ws: _WebSocket) -> bool:
        """Read until the socket dies; True if the server said anything at all."""
        answered = False
        last_in = last_ping = time.monotonic()
        while not self._stopped.is_set():
            try:
                raw = ws.receive(timeout=min(1.0, self.timing.ping_every))
            except ConnectionClosed:
                return answered
            now = time.monotonic()
            if raw is None:
                if now - last_in > self.timing.dead_after:
                    return answered  # nothing for too long: the socket is dead
            else:
                answered = True
                last_in = now
                try:
                    frame = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(frame, dict) and frame.get("t") != "pong":
                    try:
                        self.on_frame(frame)
                    except (KeyError, TypeError, ValueError, crypto.CryptoError) as exc:
                        # A frame we cannot use must not end the link for good.
                        log.warning("dropped a %r frame: %r", frame.get("t"), exc)
            if now - last_ping >= self.timing.ping_every:
                last_ping = now
                self.send({"t": "ping"})
        return answered

    def send(self, frame: dict[str, Any]) -> bool:
        return self.send_text(json.dumps({"v": 1, **frame}))

    def send_text(self, raw: str) -> bool:
        with self._send_lock:
            ws = self._ws
            if ws is None:
                return False
            try:
                ws.send(raw)
                return True
            except (ConnectionClosed, OSError, LocalProtocolError):
                # LocalProtocolError: the server's close frame came in first (it is
                # closing); the link comes back and sends again.
                return False

    def drop(self) -> None:
        """Cut the current socket without a goodbye (tests of reconnection)."""
        with self._send_lock:
            ws = self._ws
        if ws is not None:
            with contextlib.suppress(OSError):
                ws.sock.shutdown(2)

    def stop(self) -> None:
        self._stopped.set()
        with self._send_lock:
            ws = self._ws
        if ws is not None:
            with contextlib.suppress(Exception):
                ws.close()


_KEEP_EVENTS = 500


class Waiter:
    """Frames and acknowledgements a caller may wait for."""

    def __init__(self) -> None:
        self.cv = threading.Condition()
        self.acks: dict[str, int] = {}
        self.refused: dict[str, ClientError] = {}
        self.events: list[dict[str, Any]] = []
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.fatal: ClientError | None = None

    def event(self, frame: dict[str, Any]) -> None:
        with self.cv:
            self.events.append(frame)
            if len(self.events) > _KEEP_EVENTS:
                del self.events[0]  # nobody waited for it
            self.cv.notify_all()

    def ack(self, cid: str, seq: int) -> None:
        with self.cv:
            self.acks[cid] = seq
            self.cv.notify_all()

    def refuse(self, cid: str, err: ClientError) -> None:
        """The server refused this message for good."""
        with self.cv:
            self.refused[cid] = err
            self.cv.notify_all()

    def fail(self, err: ClientError) -> None:
        with self.cv:
            self.fatal = err
            self.cv.notify_all()

    def wait_ack(self, cid: str, timeout: float) -> int:
        with self.cv:
            done = lambda: cid in self.acks or cid in self.refused or self.fatal  # noqa: E731
            if not self.cv.wait_for(done, timeout):
                raise ClientError(f"no acknowledgement for message {cid} in {timeout}s")
            if cid in self.acks:
                return self.acks[cid]
            if cid in self.refused:
                raise self.refused.pop(cid)
            assert self.fatal is not None
            raise self.fatal

    def wait_event(self, kind: str, timeout: float, **match: Any) -> dict[str, Any]:
        """The next frame of this type (and field values) not waited for yet.

        An ``error`` frame that arrives first raises, unless ``kind`` is ``error``.
        """
        deadline = time.monotonic() + timeout

        def find() -> dict[str, Any] | None:
            for i, frame in enumerate(self.events):
                if frame.get("t") == "error" and kind != "error":
                    del self.events[i]
                    raise ClientError(frame.get("message", "error"), frame.get("code"))
                if frame.get("t") == kind and all(frame.get(k) == v for k, v in match.items()):
                    del self.events[i]
                    return frame
            if self.fatal is not None:
                raise self.fatal
            return None

        with self.cv:
            while True:
                found = find()
                if found is not None:
                    return found
                # Frames of other kinds stay for later waits; skip what was looked at.
                left = deadline - time.monotonic()
                if left <= 0 or not self.cv.wait(left):
                    found = find()
                    if found is not None:
                        return found
                    raise ClientError(f"no {kind!r} frame within {timeout}s")

    def next_message(self, timeout: float) -> dict[str, Any]:
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            raise ClientError(f"no message within {timeout}s") from None


class Sequence:
    """One conversation's delivery state: the last sequence seen without a gap."""

    def __init__(self, last: int = 0) -> None:
        self.last = last
        self.asked_after: int | None = None  # a sync in flight for a gap after this

    def take(self, seq: int) -> str:
        """'new' (next in order), 'old' (seen: drop) or 'gap' (something is missing)."""
        if seq <= self.last:
            return "old"
        if seq == self.last + 1:
            self.last = seq
            self.asked_after = None
            return "new"
        return "gap"

    def need_sync(self) -> bool:
        if self.asked_after == self.last:
            return False
        self.asked_after = self.last
        return True
