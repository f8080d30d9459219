"""The operator's Python client: logs in, opens the desk key locally, takes and answers
conversations; a supervisor's too (observing, whispers, capacity).

It says what the console says (docs/protocol.md, "Operator socket"), encrypting
and decrypting on its side; re-exported by :mod:`pnav.sdk.client`.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from pnav.sdk import crypto
from pnav.sdk.client.base import ClientBase, Message, http_json, open_message
from pnav.sdk.client.link import ClientError, Sequence, Timing

__all__ = ["OperatorClient", "PrivateNote"]


@dataclass(frozen=True)
class PrivateNote:
    """A private note or a supervisor's whisper on a conversation, decrypted and checked."""

    id: int  # the server's number for it
    conv: str
    author: str  # username
    kind: str  # "note" or "whisper"
    text: str
    cid: str  # the writer's client id, bound inside the ciphertext


class OperatorClient(ClientBase):
    """An operator: logs in, opens the desk key locally, takes and answers conversations."""

    def __init__(
        self, ws_url: str, headers: dict[str, str], desk: dict[str, bytes], timing: Timing
    ) -> None:
        super().__init__(ws_url, headers, timing)
        self._desk = desk
        self.keys: dict[str, bytes] = {}
        self.operator: dict[str, Any] = {}
        self._seqs: dict[str, Sequence] = {}
        # The queue as the server described it: `queue` (all) then `queue_change`s.
        self.queue: dict[str, dict[str, Any]] = {}

    @classmethod
    def login(
        cls,
        server_url: str,
        username: str,
        password: str,
        *,
        timing: Timing | None = None,
        timeout: float = 10,
    ) -> OperatorClient:
        base = server_url.rstrip("/")
        pre, _ = http_json(f"{base}/console/api/prelogin?username={quote(username)}")
        salt = crypto.b64decode(pre["salt"])
        keys = crypto.derive_operator_keys(password, salt, pre["kdf"]["ops"], pre["kdf"]["mem"])
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(base))
        body = json.dumps({"username": username, "auth": crypto.b64encode(keys.auth)}).encode()
        info, headers = http_json(
            base + "/console/api/login",
            body,
            {"Content-Type": "application/json", "Origin": origin},
        )
        cookie = headers["Set-Cookie"].split(";", 1)[0]
        desk = {
            k["id"]: crypto.unwrap_desk_key(crypto.b64decode(k["wrapped"]), keys.wrap)
            for k in info["desk_keys"]
        }
        ws_url = base.replace("http", "ws", 1) + "/console/ws"
        client = cls(ws_url, {"Cookie": cookie, "Origin": origin}, desk, timing or Timing())
        client.operator = client._start_link("hello", timeout)["operator"]
        return client

    def last_seq(self, conv: str) -> int:
        with self._lock:
            return self._seqs[conv].last if conv in self._seqs else 0

    # -- link callbacks (the link's thread) ------------------------------
    def _on_open(self) -> None:
        with self._lock:
            # What was sent but not acknowledged goes again, under the same client id,
            # before anything new (see send_nowait), so the order is kept.
            self._resend()

    def _queue_items(self) -> list[dict[str, Any]]:
        """The queue in the server's order: danger first, then the longest waiting."""
        return sorted(self.queue.values(), key=lambda i: (not i["danger"], i["waiting_since"]))

    def _on_event(self, frame: dict[str, Any]) -> None:
        kind = frame.get("t")
        if kind == "queue":
            self.queue = {item["conv"]: item for item in frame["items"]}
        elif kind == "queue_change":
            for conv_id in frame["removed"]:
                self.queue.pop(conv_id, None)
            for item in frame["added"]:
                self.queue[item["conv"]] = item
            # What wait_queue waits for: the whole queue after this change.
            self._w.event({"t": "queue", "items": self._queue_items(), "change": True})
        elif kind == "conversation":
            conv = frame["conv"]
            sealed = crypto.b64decode(frame["sealed_key"])
            self.keys[conv] = crypto.open_sealed_key(sealed, self._desk[frame["desk_key"]])
            seq = self._seqs.setdefault(conv, Sequence())
            if frame["last_seq"] > seq.last:
                self._link.send({"t": "sync", "conv": conv, "after": seq.last})
        elif kind in ("closed", "transferred"):
            for cid, pending in list(self._pending.items()):
                if pending["conv"] == frame["conv"]:
                    del self._pending[cid]

    def _on_seq(self, frame: dict[str, Any], is_message: bool) -> None:
        conv = frame["conv"]
        state = self._seqs.setdefault(conv, Sequence())
        verdict = state.take(frame["seq"])
        if verdict == "gap":
            if state.need_sync():
                self._link.send({"t": "sync", "conv": conv, "after": state.last})
        elif verdict == "new" and is_message:
            if frame["from"] == "operator" and frame["id"] in self._pending:
                self._pending.pop(frame["id"])
                self._w.ack(frame["id"], frame["seq"])
            self._w.messages.put(frame)

    # -- what a caller does ------------------------------------------------
    def wait_queue(self, conv: str | None = None, timeout: float = 10) -> list[dict[str, Any]]:
        """The queue after the next change (that lists ``conv``, when given): the
        client keeps the queue from the ``queue`` and ``queue_change`` frames."""
        while True:
            items: list[dict[str, Any]] = self.wait("queue", timeout)["items"]
            if conv is None or any(i["conv"] == conv for i in items):
                return items

    def accept(self, conv: str, timeout: float = 10) -> dict[str, Any]:
        self._link.send({"t": "accept", "conv": conv})
        return self.wait("conversation", timeout, conv=conv)

    def _encrypt(self, conv: str, content: dict[str, Any]) -> str:
        with self._lock:
            key = self.keys.get(conv)
        if key is None:
            raise ClientError(f"no key for conversation {conv}: accept it first")
        return crypto.b64encode(crypto.encrypt_message(key, content))

    def _queue_message(self, conv: str, cid: str, content: dict[str, Any]) -> str:
        frame = {"t": "msg", "conv": conv, "id": cid, "body": self._encrypt(conv, content)}
        return self._queue(cid, frame)

    def send_nowait(self, conv: str, text: str) -> str:
        cid = secrets.token_urlsafe(12)
        content = {"type": "text", "text": text, "id": cid, "from": "operator"}
        return self._queue_message(conv, cid, content)

    def send(self, conv: str, text: str, timeout: float = 10) -> int:
        return self.wait_ack(self.send_nowait(conv, text), timeout)

    def send_referral(self, conv: str, card: dict[str, str], text: str, timeout: float = 10) -> int:
        """Send a referral card (docs/protocol.md, crypto.REFERRAL_FIELDS); ``text`` is
        its plain-text form, what a client that shows only text displays."""
        cid = secrets.token_urlsafe(12)
        content = {"type": "referral", "text": text, "id": cid, "from": "operator", "card": card}
        return self.wait_ack(self._queue_message(conv, cid, content), timeout)

    def receive(self, timeout: float = 10, sender: str = "person") -> Message:
        """The next message from ``sender`` (echoes of the operator's own replies are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            frame = self._w.next_message(max(0.0, deadline - time.monotonic()))
            if frame["from"] != sender:
                continue
            return open_message(self.keys[frame["conv"]], frame, frame["conv"])

    def close_conversation(self, conv: str, outcome: str, timeout: float = 10) -> None:
        self._link.send({"t": "close", "conv": conv, "outcome": outcome})
        self.wait("closed", timeout, conv=conv)

    def transfer(self, conv: str, to: str, note: str, timeout: float = 10) -> dict[str, Any]:
        """Hand the conversation to operator ``to`` with an encrypted note."""
        body = self._encrypt(conv, {"type": "note", "text": note})
        self._link.send({"t": "transfer", "conv": conv, "to": to, "note": body})
        return self.wait("transferred", timeout, conv=conv)

    def decrypt_note(self, conv: str, note: str) -> str:
        """A handover note from a ``conversation`` frame, decrypted."""
        content = crypto.decrypt_message(self.keys[conv], crypto.b64decode(note))
        return str(content.get("text", ""))

    def open_key(self, conv: str, sealed_key: str, desk_key: str) -> None:
        """Learn a conversation's key from its sealed key (a supervisor's attention item)."""
        key = crypto.open_sealed_key(crypto.b64decode(sealed_key), self._desk[desk_key])
        with self._lock:
            self.keys[conv] = key

    # -- private notes and supervision -------------------------------------
    def note(self, conv: str, text: str, kind: str = "note", timeout: float = 10) -> PrivateNote:
        """Write a private note (or, for a supervisor observing ``conv``, a whisper to
        its operator); returns it once the server has stored it and handed it out."""
        cid = secrets.token_urlsafe(12)
        author = str(self.operator.get("username", ""))
        content = {"type": "note", "text": text, "id": cid, "from": author, "kind": kind}
        body = self._encrypt(conv, content)
        if not self._link.send({"t": "note", "conv": conv, "id": cid, "kind": kind, "body": body}):
            raise ClientError("not connected: try again")
        return self.open_note(conv, self.wait("note", timeout, conv=conv, id=cid)["note"])

    def wait_note(self, conv: str, timeout: float = 10) -> PrivateNote:
        """The next note or whisper of ``conv`` handed out by the server, decrypted."""
        return self.open_note(conv, self.wait("note", timeout, conv=conv)["note"])

    def open_note(self, conv: str, item: dict[str, Any]) -> PrivateNote:
        """Decrypt a note of a ``note`` frame or of a conversation's ``notes``; one whose
        inner author or kind is not its frame's is refused (moved by the server)."""
        try:
            with self._lock:
                key = self.keys[conv]
            content = crypto.decrypt_message(
                key, crypto.b64decode(item["body"]), expect_from=item["author"]
            )
        except (KeyError, crypto.CryptoError) as exc:
            raise ClientError(f"note {item.get('id')} refused: {exc}", "undecryptable") from exc
        if content.get("type") != "note" or content.get("kind") != item["kind"]:
            raise ClientError(f"note {item.get('id')} is not a {item['kind']}", "undecryptable")
        text, cid = content.get("text"), content.get("id")
        if not isinstance(text, str) or not isinstance(cid, str):
            raise ClientError(f"note {item.get('id')} has no text or id", "undecryptable")
        return PrivateNote(item["id"], conv, item["author"], item["kind"], text, cid)

    def join(self, conv: str, timeout: float = 10) -> dict[str, Any]:
        """A supervisor observes ``conv`` (its operator is told); returns the
        ``conversation`` frame. Its messages then arrive as for its operator."""
        self._link.send({"t": "join", "conv": conv})
        return self.wait("conversation", timeout, conv=conv, observing=True)

    def leave(self, conv: str, timeout: float = 10) -> None:
        """Stop observing ``conv``."""
        self._link.send({"t": "leave", "conv": conv})
        self.wait("left", timeout, conv=conv)

    def set_capacity(
        self, username: str, capacity: int | None, timeout: float = 10
    ) -> dict[str, Any]:
        """A supervisor sets how many conversations routing gives ``username`` at once
        (None: the deployment's default); returns the ``floor`` that shows it."""
        self._link.send({"t": "capacity", "operator": username, "capacity": capacity})
        deadline = time.monotonic() + timeout
        while True:
            floor = self.wait("floor", max(0.0, deadline - time.monotonic()))
            for op in floor["operators"]:
                if op["username"] == username and op["capacity"] == capacity:
                    return floor
