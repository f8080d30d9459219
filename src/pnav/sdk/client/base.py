"""What the person's and the operator's Python clients share.

:class:`ClientBase` runs a :class:`~pnav.sdk.client.link.Link` and keeps the delivery
promises both sides make (docs/protocol.md, "Delivery guarantees"): a message stays
pending, under its client id, until its ``ack`` (or a refusal) comes, and goes again,
in order, after every reconnection; ``msg`` and ``ack`` frames go through the
subclass's sequence keeping; every other frame is an event a caller may wait for.
"""

from __future__ import annotations

import abc
import json
import threading
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.error import HTTPError

from pnav.sdk import crypto
from pnav.sdk.client.link import ClientError, Link, Timing, Waiter

__all__ = ["ClientBase", "Message", "http_json", "open_message"]


@dataclass(frozen=True)
class Message:
    seq: int
    sender: str
    text: str
    conv: str | None = None
    # A referral card from the operator (crypto.referral_card); ``text`` is its
    # plain-text form.
    card: dict[str, str] | None = None


def http_json(url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Any:
    """GET (or POST ``body``) and return the JSON answer and the response headers."""
    req = urllib.request.Request(url, data=body, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310
            return json.loads(resp.read()), resp.headers
    except HTTPError as err:
        try:
            detail = json.loads(err.read()).get("error", err.reason)
        except ValueError:
            detail = err.reason
        raise ClientError(f"{url}: {err.code} {detail}") from err


def open_message(key: bytes, frame: dict[str, Any], conv: str | None) -> Message:
    """Decrypt a ``msg`` frame; one whose inner id or sender is not the frame's is refused."""
    try:
        content = crypto.decrypt_message(
            key,
            crypto.b64decode(frame["body"]),
            expect_id=frame["id"],
            expect_from=frame["from"],
        )
    except crypto.CryptoError as exc:
        raise ClientError(f"message {frame['seq']} refused: {exc}", "undecryptable") from exc
    text = str(content.get("text", ""))
    return Message(frame["seq"], frame["from"], text, conv, crypto.referral_card(content))


class ClientBase(abc.ABC):
    """A socket to the server that comes back by itself; callbacks run on its thread."""

    def __init__(self, ws_url: str, headers: dict[str, str] | None, timing: Timing) -> None:
        self._lock = threading.RLock()
        self._pending: dict[str, dict[str, Any]] = {}  # client id -> msg frame, until acked
        self._ready = False  # connected, and the pending ones resent
        self._w = Waiter()
        self._link = Link(ws_url, headers, self._on_open, self._on_frame, self._on_close, timing)

    def _start_link(self, first: str, timeout: float) -> dict[str, Any]:
        """Start the link and wait for the server's ``first`` frame; closed again if it
        does not come."""
        self._link.start()
        try:
            return self.wait(first, timeout)
        except ClientError:
            self.close()
            raise

    @property
    def reconnects(self) -> int:
        return max(0, self._link.reconnects)

    # -- link callbacks (the link's thread) ------------------------------
    @abc.abstractmethod
    def _on_open(self) -> None:
        """The link (re)opened."""

    def _on_close(self) -> None:
        with self._lock:
            self._ready = False

    def _on_frame(self, frame: dict[str, Any]) -> None:
        kind = frame.get("t")
        with self._lock:
            if kind == "ack":
                self._on_seq(frame, is_message=False)
                self._pending.pop(frame["id"], None)
                self._w.ack(frame["id"], frame["seq"])
                return
            if kind == "msg":
                self._on_seq(frame, is_message=True)
                return
            if kind == "error" and frame.get("id") in self._pending:
                del self._pending[frame["id"]]
                self._w.refuse(frame["id"], ClientError(frame["message"], frame["code"]))
                return
            self._on_event(frame)
        self._w.event(frame)

    @abc.abstractmethod
    def _on_seq(self, frame: dict[str, Any], is_message: bool) -> None:
        """A ``msg`` or ``ack`` frame's sequence number: keep order, ask for gaps, and
        hand a new message (``is_message``) on (caller holds the lock)."""

    @abc.abstractmethod
    def _on_event(self, frame: dict[str, Any]) -> None:
        """Any other frame, before callers may wait for it (caller holds the lock)."""

    def _resend(self) -> None:
        """Send what is not acknowledged again, under the same client ids and in order,
        then let new messages go (caller holds the lock)."""
        for frame in list(self._pending.values()):
            self._link.send(frame)
        self._ready = True

    def _queue(self, cid: str, frame: dict[str, Any]) -> str:
        """Keep a ``msg`` frame until its ``ack`` and send it now if nothing is waiting
        to go before it; returns its client id."""
        with self._lock:
            self._pending[cid] = frame
            if self._ready:
                self._ready = self._link.send(frame)
        return cid

    # -- what a caller does ------------------------------------------------
    def wait_ack(self, cid: str, timeout: float = 10) -> int:
        """The message's sequence number, once the server has stored it."""
        return self._w.wait_ack(cid, timeout)

    def wait(self, kind: str, timeout: float = 10, **match: Any) -> dict[str, Any]:
        """The next frame of this type (and field values) not waited for yet."""
        return self._w.wait_event(kind, timeout, **match)

    def unread(self, kind: str) -> list[dict[str, Any]]:
        """Frames of this type that arrived and were not waited for (``msg`` frames: the
        messages not received yet), oldest first; they stay unread."""
        with self._w.cv:
            if kind == "msg":
                return list(self._w.messages.queue)
            return [f for f in self._w.events if f.get("t") == kind]

    def settle(self, timeout: float = 10) -> None:
        """Send the server a frame it refuses and wait for the ``error`` it answers on this
        socket: every frame the server had queued for this socket before has arrived.
        Tests use it to show that something did *not* arrive, without waiting for it."""
        self.send_raw(json.dumps({"v": 1, "t": "settle"}))
        self.wait("error", timeout)

    def send_raw(self, raw: str) -> None:
        """Send a frame as it is (for tests of what the server refuses)."""
        if not self._link.send_text(raw):
            raise ClientError("not connected")

    def drop(self) -> None:
        """Cut the connection as a network failure would; the client comes back."""
        self._link.drop()

    def close(self) -> None:
        self._link.stop()
