"""One websocket as the conversation service sees it: frames go into a bounded outbox
that the socket's own writer drains, so no caller ever waits for a peer.

The writer runs only while there is something to write: it starts with the first frame
and the send watch retires it once the socket has been idle for a whole round, so an
idle socket holds no greenlet (or thread) of its own besides its reader.

A peer that stops reading fills its outbox or keeps one write pending past the send
deadline; it is then cut off, and comes back later by its token like any dropped
client (nothing is lost: messages are stored before they are acknowledged, and a
returning client resumes after the last sequence it saw). Contract 6 of the guide.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["Connection", "SendLimits", "Socket", "StartWriter", "Writer", "encode", "start_thread"]

log = logging.getLogger(__name__)


class Socket(Protocol):
    """What a connection needs of a websocket (web/sockets.py adapts flask-sock's)."""

    def send(self, data: str) -> None: ...

    def close(self, reason: int | None = None, message: str | None = None) -> None: ...

    def abort(self) -> None:
        """Cut the connection at once, without waiting for the peer: a write blocked on
        it fails, and so does the reader."""


class Writer(Protocol):
    """A socket's running writer, as ``finish`` waits for it."""

    def join(self, timeout: float | None = None) -> None: ...

    def is_alive(self) -> bool: ...


# Runs a writer loop on its own thread (or greenlet) and returns it at once.
StartWriter = Callable[[Callable[[], None]], Writer]


def start_thread(target: Callable[[], None]) -> Writer:
    """A writer on a thread of its own. (Under gevent, web/sockets.py starts greenlets:
    ``Thread.start`` waits for the new thread to run, which there means a turn of the
    whole event loop, taken while the caller may hold a conversation's lock.)"""
    thread = threading.Thread(target=target, name="pnav-writer", daemon=True)
    thread.start()
    return thread


@dataclass(frozen=True)
class SendLimits:
    """How much a peer may leave unread, and for how long one write may wait."""

    max_frames: int = 1000
    max_bytes: int = 4 * 1024 * 1024
    deadline: float = 10.0


def encode(frame: dict[str, Any]) -> str:
    """A frame as it goes on the wire (serialised once, whatever the number of sockets)."""
    return json.dumps({"v": 1, **frame}, separators=(",", ":"))


class Connection:
    """``send`` may be called from any thread and never blocks on the peer."""

    def __init__(
        self,
        sock: Socket,
        limits: SendLimits | None = None,
        start_writer: StartWriter = start_thread,
    ) -> None:
        self._sock = sock
        self._start_writer = start_writer
        self.limits = limits or SendLimits()
        self._cond = threading.Condition()
        self._outbox: deque[str] = deque()
        self._bytes = 0
        self._waiting_since: float | None = None  # oldest unsent frame, or the write under way
        self._closing: tuple[int, str] | None = None
        self.open = True
        self.cut_off = False  # True once the peer was cut off for not reading
        self.code_tries = 0  # wrong resume codes tried on this socket
        self.status: str | None = None  # a person socket's last status frame, encoded
        self._writer: Writer | None = None  # started by the first frame
        self._busy = False  # a frame was queued since the send watch last looked
        self._retire = False  # the watch asks an idle writer to stop
        _watch.add(self)

    # -- what callers do -----------------------------------------------------
    def send(self, frame: dict[str, Any]) -> None:
        self.send_encoded(encode(frame))

    def send_encoded(self, data: str) -> None:
        """Queue a frame already encoded by :func:`encode`."""
        with self._cond:
            if not self.open:
                return
            if (
                len(self._outbox) >= self.limits.max_frames
                or self._bytes + len(data) > self.limits.max_bytes
            ):
                overflow = True
            else:
                overflow = False
                if self._waiting_since is None:
                    self._waiting_since = time.monotonic()
                self._outbox.append(data)
                self._bytes += len(data)
                self._busy = True
                self._wake_writer()
        if overflow:
            self.cut_off_slow_peer("outbox full")

    def send_status(self, data: str, changed_only: bool = False) -> None:
        """Queue a person's status frame (encoded), remembered so that the queue's
        updates (``changed_only``) send each person only a place that changed."""
        if changed_only and data == self.status:
            return
        self.status = data
        self.send_encoded(data)

    def end(self, frame: dict[str, Any]) -> None:
        """Send a last frame, then close for good (1008: the client must not come back
        on this session)."""
        self.send(frame)
        self._close_after_outbox(1008, "session ended")

    def drop(self) -> None:
        """Close so that the client reconnects and catches up (1012)."""
        self._close_after_outbox(1012, "please reconnect")

    def finish(self, wait: float = 2.0) -> None:
        """The socket's handler is done with it: what is queued goes out (an error frame
        that explains the closing, say) for at most ``wait`` seconds, then the socket
        closes (a close frame, then the connection shut, so that nothing the HTTP server
        writes can follow); a peer that does not take its last frames is cut off."""
        with self._cond:
            self.open = False
            self._cond.notify()
            writer = self._writer
        if writer is not None:
            writer.join(wait)
        if writer is not None and writer.is_alive():
            self.cut_off_slow_peer("did not take its last frames")
            return
        code, reason = self._closing or (1000, "")
        self._close_socket(code, reason)

    def stalled(self, now: float) -> bool:
        """True if a frame has waited longer than the send deadline."""
        since = self._waiting_since
        return self.open and since is not None and now - since > self.limits.deadline

    def cut_off_slow_peer(self, why: str) -> None:
        """Cut the connection of a peer that does not read; its handler cleans up."""
        with self._cond:
            if self.cut_off:
                return
            self.open = False
            self.cut_off = True
            self._outbox.clear()
            self._bytes = 0
            self._cond.notify()
        log.info("socket cut off: %s", why)
        try:
            self._sock.abort()
        except OSError:
            log.debug("aborting a closed socket")

    def retire_if_idle(self) -> None:
        """Stop the writer if nothing was queued since the last call (the send watch
        calls it every round); the next frame starts a new one."""
        with self._cond:
            if self._writer is not None and not self._busy and not self._outbox:
                self._retire = True
                self._cond.notify()
            self._busy = False

    # -- the writer ----------------------------------------------------------
    def _wake_writer(self) -> None:
        """Under ``_cond``: a writer for what is queued (a new one if none runs)."""
        self._retire = False
        if self._writer is None:
            self._writer = self._start_writer(self._write_loop)
        else:
            self._cond.notify()

    def _close_after_outbox(self, code: int, reason: str) -> None:
        with self._cond:
            if not self.open:
                return
            self._closing = (code, reason)
            self.open = False
            self._wake_writer()  # it closes the socket once the outbox is empty

    def _write_loop(self) -> None:
        while True:
            with self._cond:
                while not self._outbox and self.open and not self._retire:
                    self._cond.wait()
                if not self._outbox:
                    if self.open:  # retired while idle: the next frame starts another
                        self._writer = None
                        self._retire = False
                        return
                    break
                data = self._outbox.popleft()
                self._bytes -= len(data)
            try:
                self._sock.send(data)
            except Exception:  # the socket died; its own handler cleans up
                with self._cond:
                    self.open = False
                    self._outbox.clear()
                    self._bytes = 0
                log.debug("send on a closed socket dropped")
                return
            with self._cond:
                self._waiting_since = time.monotonic() if self._outbox else None
        self._waiting_since = None
        if self._closing is not None:
            self._close_socket(*self._closing)

    def _close_socket(self, code: int, reason: str) -> None:
        try:
            self._sock.close(code, reason)
        except Exception:  # already closed
            log.debug("closing a closed socket")


class _SendWatch:
    """One thread per process that cuts off peers whose writes passed their deadline
    (a write blocked on a full TCP buffer cannot notice by itself)."""

    def __init__(self, every: float = 1.0) -> None:
        self.every = every
        self._conns: weakref.WeakSet[Connection] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, conn: Connection) -> None:
        with self._lock:
            self._conns.add(conn)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="pnav-send-watch", daemon=True
                )
                self._thread.start()

    def check(self, now: float | None = None) -> int:
        """Cut off every stalled peer and retire the writers idle since the last round;
        returns how many peers were cut off."""
        now = time.monotonic() if now is None else now
        with self._lock:
            conns = list(self._conns)
        stalled = [c for c in conns if c.stalled(now)]
        for conn in stalled:
            conn.cut_off_slow_peer("send deadline passed")
        for conn in conns:
            conn.retire_if_idle()
        return len(stalled)

    def _run(self) -> None:
        while True:
            time.sleep(self.every)
            try:
                self.check()
            except Exception:  # one failed round must not end the watch for good
                log.exception("send watch round failed")


_watch = _SendWatch()
