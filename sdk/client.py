"""A Python client that speaks docs/protocol.md: it plays the person or the operator.

Used by tests, benchmarks and integrators' own checks. Encryption happens here, on
the client side, exactly as in the browser; the server sees ciphertext only.

Both clients keep the delivery promises of docs/protocol.md: they reconnect by
themselves with jittered back-off, resume after the last sequence they saw, resend
what was not acknowledged under the same client id, ask for gaps, and drop
duplicates, so a caller sees every message once and in order.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.error import HTTPError
from urllib.parse import quote, urlsplit

from . import crypto
from .link import ClientError, Link, Sequence, Timing, Waiter

__all__ = ["ClientError", "Message", "OperatorClient", "PersonClient", "PrivateNote", "Timing"]


@dataclass(frozen=True)
class Message:
    seq: int
    sender: str
    text: str
    conv: str | None = None
    # A referral card from the operator (crypto.referral_card); ``text`` is its
    # plain-text form.
    card: dict[str, str] | None = None


@dataclass(frozen=True)
class PrivateNote:
    """A private note or a supervisor's whisper on a conversation, decrypted and checked."""

    id: int  # the server's number for it
    conv: str
    author: str  # username
    kind: str  # "note" or "whisper"
    text: str
    cid: str  # the writer's client id, bound inside the ciphertext


def _http(url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Any:
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


def _ticket(server_url: str, partner: str, origin: str) -> dict[str, Any]:
    """What the loader gets: ticket, socket URL, desk key, resume-code parameters."""
    info, _ = _http(
        server_url.rstrip("/") + "/api/ticket",
        json.dumps({"partner": partner}).encode(),
        {"Origin": origin, "Content-Type": "text/plain"},
    )
    answer: dict[str, Any] = info
    return answer


def _open(key: bytes, frame: dict[str, Any], conv: str | None) -> Message:
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


class PersonClient:
    """A person on a partner page: asks for a ticket, seals a key, chats, comes back."""

    def __init__(
        self,
        ws_url: str,
        ticket: str,
        start: dict[str, Any],
        key: bytes,
        timing: Timing,
    ) -> None:
        self.key = key
        self.conv: str | None = None
        self.token: str | None = None
        self.exit_token: str | None = None
        self._ticket = ticket
        self._start = start
        self._code: dict[str, Any] | None = None  # hello by resume code, until welcome
        self._code_wrap: bytes | None = None
        self.resume_params: dict[str, Any] = {}
        self._own_ids: set[str] = set()
        self._lock = threading.RLock()
        self._seq = Sequence()
        self._pending: dict[str, str] = {}  # client id -> body, in send order, until acked
        self._ready = False  # welcomed on the current socket, and the pending ones resent
        self._w = Waiter()
        self._link = Link(ws_url, None, self._on_open, self._on_frame, self._on_close, timing)

    @classmethod
    def start(
        cls,
        server_url: str,
        partner: str,
        origin: str,
        *,
        who: str = "victim",
        what: str = "domestic",
        danger: bool = False,
        lang: str = "fr",
        timeout: float = 10,
        ws_url: str | None = None,
        timing: Timing | None = None,
    ) -> PersonClient:
        """Open a conversation. ``ws_url`` overrides the socket address the server gives
        (to go through a proxy)."""
        info = _ticket(server_url, partner, origin)
        key = crypto.new_conversation_key()
        sealed = crypto.seal_conversation_key(key, crypto.b64decode(info["desk_key"]["public"]))
        start = {
            "who": who,
            "what": what,
            "danger": danger,
            "lang": lang,
            "sealed_key": crypto.b64encode(sealed),
            "desk_key": info["desk_key"]["id"],
        }
        client = cls(ws_url or info["ws"], info["ticket"], start, key, timing or Timing())
        client.resume_params = info["resume"]
        return client._connect(timeout)

    @classmethod
    def resume(
        cls,
        ws_url: str,
        token: str,
        key: bytes,
        *,
        after: int = 0,
        timeout: float = 10,
        timing: Timing | None = None,
    ) -> PersonClient:
        """Come back to a conversation with its resume token and key (from another
        client, or a later session); messages after ``after`` are delivered again."""
        client = cls(ws_url, "", {}, key, timing or Timing())
        client.token = token
        client._seq.last = after
        return client._connect(timeout)

    def _connect(self, timeout: float) -> PersonClient:
        """Start the link and wait for ``welcome``; closed again if it does not come."""
        self._link.start()
        try:
            self.wait("welcome", timeout)
        except ClientError:
            self.close()
            raise
        return self

    @property
    def last_seq(self) -> int:
        return self._seq.last

    @property
    def reconnects(self) -> int:
        return max(0, self._link.reconnects)

    # -- link callbacks (the link's thread) ------------------------------
    def _on_close(self) -> None:
        with self._lock:
            self._ready = False

    def _on_open(self) -> None:
        with self._lock:
            # New messages wait until the unacknowledged ones went again (after
            # `welcome`), so the server stores them in the order they were written.
            self._ready = False
            if self.token is not None:
                hello = {"t": "hello", "resume": {"token": self.token, "after": self._seq.last}}
            elif self._code is not None:
                hello = {"t": "hello", "code": {**self._code, "after": self._seq.last}}
            else:
                hello = {"t": "hello", "ticket": self._ticket, "start": self._start}
        self._link.send(hello)

    def _on_frame(self, frame: dict[str, Any]) -> None:
        kind = frame.get("t")
        with self._lock:
            if kind == "welcome":
                if self._code_wrap is not None:
                    wrapped = crypto.b64decode(frame["wrapped_key"])
                    self.key = crypto.unwrap_conversation_key(wrapped, self._code_wrap)
                    self._code = self._code_wrap = None
                self.conv, self.token, self.exit_token = (
                    frame["conv"],
                    frame["token"],
                    frame["exit"],
                )
                for cid, body in list(self._pending.items()):
                    self._link.send({"t": "msg", "id": cid, "body": body})
                self._ready = True
            elif kind == "ack":
                self._on_seq(frame["seq"], None)
                self._pending.pop(frame["id"], None)
                self._w.ack(frame["id"], frame["seq"])
                return
            elif kind == "msg":
                self._on_seq(frame["seq"], frame)
                return
            elif kind == "error" and frame.get("id") in self._pending:
                del self._pending[frame["id"]]
                self._w.refuse(frame["id"], ClientError(frame["message"], frame["code"]))
                return
            elif kind == "error" and (
                frame.get("code") in ("bad_ticket", "bad_token")
                or (self.token is None and frame.get("code") in ("bad_code", "rate_limited"))
            ):
                # Trying again by itself would not help (and would use up code tries).
                self._link.stop()
                self._w.fail(ClientError(frame.get("message", ""), frame.get("code")))
            elif kind == "status" and frame.get("state") == "closed":
                self._pending.clear()
        self._w.event(frame)

    def _on_seq(self, seq: int, frame: dict[str, Any] | None) -> None:
        verdict = self._seq.take(seq)
        if verdict == "gap":
            if self._seq.need_sync():
                self._link.send({"t": "sync", "after": self._seq.last})
        elif verdict == "new" and frame is not None:
            if frame["from"] == "person" and frame["id"] in self._own_ids:
                # Our own message, replayed after a resume: it is stored.
                self._pending.pop(frame["id"], None)
                self._w.ack(frame["id"], seq)
            else:
                # The operator's, or ours from an earlier session (back with a code).
                self._w.messages.put(frame)

    # -- what a caller does ------------------------------------------------
    def send_nowait(self, text: str) -> str:
        """Encrypt and queue a message; returns its client id (see :meth:`wait_ack`)."""
        cid = secrets.token_urlsafe(12)
        content = {"type": "text", "text": text, "id": cid, "from": "person"}
        body = crypto.b64encode(crypto.encrypt_message(self.key, content))
        with self._lock:
            self._own_ids.add(cid)
            self._pending[cid] = body
            if self._ready:
                self._ready = self._link.send({"t": "msg", "id": cid, "body": body})
        return cid

    def wait_ack(self, cid: str, timeout: float = 10) -> int:
        """The message's sequence number, once the server has stored it."""
        return self._w.wait_ack(cid, timeout)

    def send(self, text: str, timeout: float = 10) -> int:
        """Encrypt and send; returns the sequence number once the server has stored it.

        Survives disconnections: the message is resent until acknowledged."""
        return self.wait_ack(self.send_nowait(text), timeout)

    def send_raw(self, raw: str) -> None:
        """Send a frame as it is (for tests of what the server refuses)."""
        if not self._link.send_text(raw):
            raise ClientError("not connected")

    def receive(self, timeout: float = 10) -> Message:
        """The next message, decrypted and verified, in order, once: the operator's, and
        after :meth:`come_back` also the person's own from before.

        A ciphertext that does not open, or whose inner id or sender is not its frame's
        (replayed or moved by the server), raises :class:`ClientError`."""
        frame = self._w.next_message(timeout)
        return _open(self.key, frame, self.conv)

    def create_resume_code(self, timeout: float = 30) -> str:
        """Make a resume code for this conversation and register it (replacing any
        earlier one). Show it to the person; it is all they need to come back."""
        params = self.resume_params
        code = crypto.new_resume_code()
        keys = crypto.derive_resume_keys(
            code, crypto.b64decode(params["salt"]), params["ops"], params["mem"]
        )
        wrapped = crypto.wrap_conversation_key(self.key, keys.wrap)
        frame = {
            "t": "resume_code",
            "lookup": crypto.b64encode(keys.lookup),
            "wrapped_key": crypto.b64encode(wrapped),
        }
        if not self._link.send(frame):
            raise ClientError("not connected: try again")
        self.wait("resume_code", timeout, saved=True)
        return code

    @classmethod
    def come_back(
        cls,
        server_url: str,
        partner: str,
        origin: str,
        code: str,
        *,
        timeout: float = 30,
        timing: Timing | None = None,
    ) -> PersonClient:
        """Return to a conversation with its resume code, from anywhere: the whole
        history is delivered by :meth:`receive`, and the conversation goes on."""
        info = _ticket(server_url, partner, origin)
        params = info["resume"]
        try:
            keys = crypto.derive_resume_keys(
                code, crypto.b64decode(params["salt"]), params["ops"], params["mem"]
            )
        except crypto.CryptoError as exc:
            raise ClientError(str(exc), "bad_code") from exc
        client = cls(info["ws"], "", {}, b"", timing or Timing())
        client.resume_params = params
        client._code = {"lookup": crypto.b64encode(keys.lookup)}
        client._code_wrap = keys.wrap
        return client._connect(timeout)

    def wait(self, kind: str, timeout: float = 10, **match: Any) -> dict[str, Any]:
        return self._w.wait_event(kind, timeout, **match)

    def drop(self) -> None:
        """Cut the connection as a network failure would; the client comes back."""
        self._link.drop()

    def quick_exit(self) -> None:
        self._link.send({"t": "exit"})
        self.close()

    def close(self) -> None:
        self._link.stop()


class OperatorClient:
    """An operator: logs in, opens the desk key locally, takes and answers conversations."""

    def __init__(
        self, ws_url: str, headers: dict[str, str], desk: dict[str, bytes], timing: Timing
    ) -> None:
        self._desk = desk
        self.keys: dict[str, bytes] = {}
        self.operator: dict[str, Any] = {}
        self._lock = threading.RLock()
        self._seqs: dict[str, Sequence] = {}
        self._pending: dict[str, dict[str, Any]] = {}  # client id -> msg frame, until acked
        self._ready = False  # connected, and the pending ones resent
        self._w = Waiter()
        self._link = Link(ws_url, headers, self._on_open, self._on_frame, self._on_close, timing)

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
        pre, _ = _http(f"{base}/console/api/prelogin?username={quote(username)}")
        salt = crypto.b64decode(pre["salt"])
        keys = crypto.derive_operator_keys(password, salt, pre["kdf"]["ops"], pre["kdf"]["mem"])
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(base))
        body = json.dumps({"username": username, "auth": crypto.b64encode(keys.auth)}).encode()
        info, headers = _http(
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
        client._link.start()
        try:
            client.operator = client.wait("hello", timeout)["operator"]
        except ClientError:
            client.close()
            raise
        return client

    @property
    def reconnects(self) -> int:
        return max(0, self._link.reconnects)

    def last_seq(self, conv: str) -> int:
        with self._lock:
            return self._seqs[conv].last if conv in self._seqs else 0

    # -- link callbacks (the link's thread) ------------------------------
    def _on_close(self) -> None:
        with self._lock:
            self._ready = False

    def _on_open(self) -> None:
        with self._lock:
            # What was sent but not acknowledged goes again, under the same client id,
            # before anything new (see send_nowait), so the order is kept.
            for frame in list(self._pending.values()):
                self._link.send(frame)
            self._ready = True

    def _on_frame(self, frame: dict[str, Any]) -> None:
        kind = frame.get("t")
        with self._lock:
            if kind == "conversation":
                conv = frame["conv"]
                sealed = crypto.b64decode(frame["sealed_key"])
                self.keys[conv] = crypto.open_sealed_key(sealed, self._desk[frame["desk_key"]])
                seq = self._seqs.setdefault(conv, Sequence())
                if frame["last_seq"] > seq.last:
                    self._link.send({"t": "sync", "conv": conv, "after": seq.last})
            elif kind == "ack":
                self._on_seq(frame["conv"], frame["seq"], None)
                self._pending.pop(frame["id"], None)
                self._w.ack(frame["id"], frame["seq"])
                return
            elif kind == "msg":
                self._on_seq(frame["conv"], frame["seq"], frame)
                return
            elif kind == "error" and frame.get("id") in self._pending:
                del self._pending[frame["id"]]
                self._w.refuse(frame["id"], ClientError(frame["message"], frame["code"]))
                return
            elif kind in ("closed", "transferred"):
                for cid, pending in list(self._pending.items()):
                    if pending["conv"] == frame["conv"]:
                        del self._pending[cid]
        self._w.event(frame)

    def _on_seq(self, conv: str, seq: int, frame: dict[str, Any] | None) -> None:
        state = self._seqs.setdefault(conv, Sequence())
        verdict = state.take(seq)
        if verdict == "gap":
            if state.need_sync():
                self._link.send({"t": "sync", "conv": conv, "after": state.last})
        elif verdict == "new" and frame is not None:
            if frame["from"] == "operator" and frame["id"] in self._pending:
                self._pending.pop(frame["id"])
                self._w.ack(frame["id"], seq)
            self._w.messages.put(frame)

    # -- what a caller does ------------------------------------------------
    def wait_queue(self, conv: str | None = None, timeout: float = 10) -> list[dict[str, Any]]:
        """The next queue update (that lists ``conv``, when given)."""
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

    def send_nowait(self, conv: str, text: str) -> str:
        cid = secrets.token_urlsafe(12)
        return self._queue(conv, cid, {"type": "text", "text": text, "id": cid, "from": "operator"})

    def send_referral(self, conv: str, card: dict[str, str], text: str, timeout: float = 10) -> int:
        """Send a referral card (docs/protocol.md, crypto.REFERRAL_FIELDS); ``text`` is
        its plain-text form, what a client that shows only text displays."""
        cid = secrets.token_urlsafe(12)
        content = {"type": "referral", "text": text, "id": cid, "from": "operator", "card": card}
        return self.wait_ack(self._queue(conv, cid, content), timeout)

    def _queue(self, conv: str, cid: str, content: dict[str, Any]) -> str:
        frame = {"t": "msg", "conv": conv, "id": cid, "body": self._encrypt(conv, content)}
        with self._lock:
            self._pending[cid] = frame
            if self._ready:
                self._ready = self._link.send(frame)
        return cid

    def wait_ack(self, cid: str, timeout: float = 10) -> int:
        return self._w.wait_ack(cid, timeout)

    def send(self, conv: str, text: str, timeout: float = 10) -> int:
        return self.wait_ack(self.send_nowait(conv, text), timeout)

    def receive(self, timeout: float = 10, sender: str = "person") -> Message:
        """The next message from ``sender`` (echoes of the operator's own replies are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            frame = self._w.next_message(max(0.0, deadline - time.monotonic()))
            if frame["from"] != sender:
                continue
            return _open(self.keys[frame["conv"]], frame, frame["conv"])

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

    def decrypt_note(self, conv: str, note: str) -> str:
        """A handover note from a ``conversation`` frame, decrypted."""
        content = crypto.decrypt_message(self.keys[conv], crypto.b64decode(note))
        return str(content.get("text", ""))

    def transfer(self, conv: str, to: str, note: str, timeout: float = 10) -> dict[str, Any]:
        """Hand the conversation to operator ``to`` with an encrypted note."""
        body = self._encrypt(conv, {"type": "note", "text": note})
        self._link.send({"t": "transfer", "conv": conv, "to": to, "note": body})
        return self.wait("transferred", timeout, conv=conv)

    def open_key(self, conv: str, sealed_key: str, desk_key: str) -> None:
        """Learn a conversation's key from its sealed key (a supervisor's attention item)."""
        key = crypto.open_sealed_key(crypto.b64decode(sealed_key), self._desk[desk_key])
        with self._lock:
            self.keys[conv] = key

    def wait(self, kind: str, timeout: float = 10, **match: Any) -> dict[str, Any]:
        return self._w.wait_event(kind, timeout, **match)

    def send_raw(self, raw: str) -> None:
        """Send a frame as it is (for tests of what the server refuses)."""
        if not self._link.send_text(raw):
            raise ClientError("not connected")

    def close_conversation(self, conv: str, outcome: str, timeout: float = 10) -> None:
        self._link.send({"t": "close", "conv": conv, "outcome": outcome})
        self.wait("closed", timeout, conv=conv)

    def drop(self) -> None:
        """Cut the connection as a network failure would; the client comes back."""
        self._link.drop()

    def close(self) -> None:
        self._link.stop()
