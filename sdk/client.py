"""A Python client that speaks docs/protocol.md: it plays the person or the operator.

Used by tests, benchmarks and integrators' own checks. Encryption happens here, on
the client side, exactly as in the browser; the server sees ciphertext only.
"""

from __future__ import annotations

import contextlib
import json
import queue
import secrets
import threading
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.error import HTTPError
from urllib.parse import quote, urlsplit

from simple_websocket import Client as WebSocket
from simple_websocket import ConnectionClosed

from . import crypto

__all__ = ["ClientError", "Message", "OperatorClient", "PersonClient"]


class ClientError(RuntimeError):
    """The server refused something; ``code`` is the protocol error code when there is one."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Message:
    seq: int
    sender: str
    text: str
    conv: str | None = None


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


class _WebSocket(WebSocket):  # type: ignore[misc]
    """simple-websocket's client, sending the port in ``Host`` as browsers do."""

    host: str
    port: int

    def handshake(self) -> None:
        if self.port not in (80, 443):
            self.host = f"{self.host}:{self.port}"
        super().handshake()


class _DaemonThread(threading.Thread):
    """simple-websocket's reader thread, made a daemon so it never holds up exit."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, daemon=True, **kwargs)


class _Socket:
    """A websocket whose frames a reader thread sorts into acks, messages and the rest."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.ws = _WebSocket.connect(url, headers=headers, thread_class=_DaemonThread)
        self.acks: dict[str, int] = {}
        self.ack_cv = threading.Condition()
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            while True:
                raw = self.ws.receive()
                if raw is None:
                    continue
                frame = json.loads(raw)
                if frame.get("t") == "ack":
                    with self.ack_cv:
                        self.acks[frame["id"]] = frame["seq"]
                        self.ack_cv.notify_all()
                elif frame.get("t") == "msg":
                    self.messages.put(frame)
                else:
                    self.events.put(frame)
        except ConnectionClosed:
            self.events.put({"t": "closed-socket"})

    def send(self, frame: dict[str, Any]) -> None:
        self.ws.send(json.dumps({"v": 1, **frame}))

    def wait_ack(self, cid: str, timeout: float) -> int:
        with self.ack_cv:
            if not self.ack_cv.wait_for(lambda: cid in self.acks, timeout):
                raise ClientError(f"no acknowledgement for message {cid} in {timeout}s")
            return self.acks[cid]

    def wait_event(self, kind: str, timeout: float, **match: Any) -> dict[str, Any]:
        """The next event of this type (and field values); errors raise, others are skipped."""
        while True:
            try:
                frame = self.events.get(timeout=timeout)
            except queue.Empty:
                raise ClientError(f"no {kind!r} frame within {timeout}s") from None
            if frame.get("t") == "error" and kind != "error":
                raise ClientError(frame.get("message", "error"), frame.get("code"))
            if frame.get("t") == kind and all(frame.get(k) == v for k, v in match.items()):
                return frame

    def close(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            self.ws.close()


class PersonClient:
    """A person on a partner page: asks for a ticket, seals a key, chats."""

    def __init__(self, sock: _Socket, key: bytes, welcome: dict[str, Any]) -> None:
        self._sock = sock
        self.key = key
        self.conv: str = welcome["conv"]
        self.token: str = welcome["token"]
        self.exit_token: str = welcome["exit"]

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
    ) -> PersonClient:
        base = server_url.rstrip("/")
        info, _ = _http(
            base + "/api/ticket",
            json.dumps({"partner": partner}).encode(),
            {"Origin": origin, "Content-Type": "text/plain"},
        )
        key = crypto.new_conversation_key()
        sealed = crypto.seal_conversation_key(key, crypto.b64decode(info["desk_key"]["public"]))
        sock = _Socket(info["ws"])
        start = {
            "who": who,
            "what": what,
            "danger": danger,
            "lang": lang,
            "sealed_key": crypto.b64encode(sealed),
            "desk_key": info["desk_key"]["id"],
        }
        sock.send({"t": "hello", "ticket": info["ticket"], "start": start})
        welcome = sock.wait_event("welcome", timeout)
        return cls(sock, key, welcome)

    def send(self, text: str, timeout: float = 10) -> int:
        """Encrypt and send; returns the sequence number once the server has stored it."""
        cid = secrets.token_urlsafe(12)
        body = crypto.encrypt_message(self.key, {"type": "text", "text": text})
        self._sock.send({"t": "msg", "id": cid, "body": crypto.b64encode(body)})
        return self._sock.wait_ack(cid, timeout)

    def send_raw(self, raw: str) -> None:
        """Send a frame as it is (for tests of what the server refuses)."""
        self._sock.ws.send(raw)

    def receive(self, timeout: float = 10) -> Message:
        try:
            frame = self._sock.messages.get(timeout=timeout)
        except queue.Empty:
            raise ClientError(f"no message within {timeout}s") from None
        content = crypto.decrypt_message(self.key, crypto.b64decode(frame["body"]))
        return Message(frame["seq"], frame["from"], str(content.get("text", "")))

    def wait(self, kind: str, timeout: float = 10, **match: Any) -> dict[str, Any]:
        return self._sock.wait_event(kind, timeout, **match)

    def quick_exit(self) -> None:
        self._sock.send({"t": "exit"})
        self.close()

    def close(self) -> None:
        self._sock.close()


class OperatorClient:
    """An operator: logs in, opens the desk key locally, takes and answers conversations."""

    def __init__(self, sock: _Socket, desk_secrets: dict[str, bytes]) -> None:
        self._sock = sock
        self._desk = desk_secrets
        self.keys: dict[str, bytes] = {}

    @classmethod
    def login(cls, server_url: str, username: str, password: str) -> OperatorClient:
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
        sock = _Socket(ws_url, headers={"Cookie": cookie, "Origin": origin})
        sock.wait_event("hello", 10)
        return cls(sock, desk)

    def _learn(self, frame: dict[str, Any]) -> None:
        sealed = crypto.b64decode(frame["sealed_key"])
        self.keys[frame["conv"]] = crypto.open_sealed_key(sealed, self._desk[frame["desk_key"]])

    def wait_queue(self, conv: str | None = None, timeout: float = 10) -> list[dict[str, Any]]:
        """The next queue update (that lists ``conv``, when given)."""
        while True:
            items: list[dict[str, Any]] = self._sock.wait_event("queue", timeout)["items"]
            if conv is None or any(i["conv"] == conv for i in items):
                return items

    def accept(self, conv: str, timeout: float = 10) -> dict[str, Any]:
        self._sock.send({"t": "accept", "conv": conv})
        frame = self._sock.wait_event("conversation", timeout, conv=conv)
        self._learn(frame)
        return frame

    def send(self, conv: str, text: str, timeout: float = 10) -> int:
        cid = secrets.token_urlsafe(12)
        body = crypto.encrypt_message(self.keys[conv], {"type": "text", "text": text})
        self._sock.send({"t": "msg", "conv": conv, "id": cid, "body": crypto.b64encode(body)})
        return self._sock.wait_ack(cid, timeout)

    def receive(self, timeout: float = 10, sender: str = "person") -> Message:
        """The next message from ``sender`` (echoes of the operator's own replies are skipped)."""
        while True:
            try:
                frame = self._sock.messages.get(timeout=timeout)
            except queue.Empty:
                raise ClientError(f"no message within {timeout}s") from None
            if frame["from"] != sender:
                continue
            conv = frame["conv"]
            content = crypto.decrypt_message(self.keys[conv], crypto.b64decode(frame["body"]))
            return Message(frame["seq"], frame["from"], str(content.get("text", "")), conv)

    def wait(self, kind: str, timeout: float = 10, **match: Any) -> dict[str, Any]:
        return self._sock.wait_event(kind, timeout, **match)

    def close_conversation(self, conv: str, outcome: str, timeout: float = 10) -> None:
        self._sock.send({"t": "close", "conv": conv, "outcome": outcome})
        self._sock.wait_event("closed", timeout, conv=conv)

    def close(self) -> None:
        self._sock.close()
