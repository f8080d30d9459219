"""The person's Python client: asks for a ticket, seals a key, chats, comes back.

It says what the chat in the browser says (docs/protocol.md, "Person socket"),
encrypting and decrypting on its side; re-exported by :mod:`pnav.sdk.client`.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from altcha.v1 import solve_challenge

from pnav.sdk import crypto
from pnav.sdk.client.base import ClientBase, Message, http_json, open_message
from pnav.sdk.client.link import ClientError, Sequence, Timing

__all__ = ["PersonClient", "solve_proof_of_work"]


def _ticket(server_url: str, partner: str, origin: str) -> dict[str, Any]:
    """What the loader gets: ticket, socket URL, desk key, resume-code parameters."""
    info, _ = http_json(
        server_url.rstrip("/") + "/api/ticket",
        json.dumps({"partner": partner}).encode(),
        {"Origin": origin, "Content-Type": "text/plain"},
    )
    answer: dict[str, Any] = info
    return answer


def solve_proof_of_work(challenge: dict[str, Any]) -> dict[str, Any]:
    """The solution of a ticket's ALTCHA challenge, as ``hello`` carries it in ``pow``
    (what the chat in the browser computes with WebCrypto)."""
    solution = solve_challenge(
        challenge["challenge"], challenge["salt"], "SHA-256", int(challenge["maxNumber"])
    )
    if solution is None:
        raise ClientError("the proof-of-work challenge has no solution", "bad_pow")
    return {
        "algorithm": "SHA-256",
        "challenge": challenge["challenge"],
        "number": solution.number,
        "salt": challenge["salt"],
        "signature": challenge["signature"],
    }


class PersonClient(ClientBase):
    """A person on a partner page: asks for a ticket, seals a key, chats, comes back."""

    def __init__(
        self,
        ws_url: str,
        ticket: str,
        start: dict[str, Any],
        key: bytes,
        timing: Timing,
    ) -> None:
        super().__init__(ws_url, None, timing)
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
        self._seq = Sequence()
        self.proof_of_work: dict[str, Any] | None = None  # the solved ticket challenge

    @classmethod
    def start(
        cls,
        server_url: str,
        partner: str,
        origin: str,
        *,
        who: str | None = "victim",
        what: str | None = "domestic",
        danger: bool = False,
        lang: str = "fr",
        timeout: float = 10,
        ws_url: str | None = None,
        timing: Timing | None = None,
    ) -> PersonClient:
        """Open a conversation. ``who`` or ``what`` None: left out of ``hello`` (not
        said). ``ws_url`` overrides the socket address the server gives (to go through
        a proxy)."""
        info = _ticket(server_url, partner, origin)
        key = crypto.new_conversation_key()
        sealed = crypto.seal_conversation_key(key, crypto.b64decode(info["desk_key"]["public"]))
        said = {k: v for k, v in (("who", who), ("what", what)) if v is not None}
        start = {
            **said,
            "danger": danger,
            "lang": lang,
            "sealed_key": crypto.b64encode(sealed),
            "desk_key": info["desk_key"]["id"],
        }
        client = cls(ws_url or info["ws"], info["ticket"], start, key, timing or Timing())
        client.resume_params = info["resume"]
        client.proof_of_work = solve_proof_of_work(info["pow"])
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

    def _connect(self, timeout: float) -> PersonClient:
        self._start_link("welcome", timeout)
        return self

    @property
    def last_seq(self) -> int:
        return self._seq.last

    # -- link callbacks (the link's thread) ------------------------------
    def _on_open(self) -> None:
        with self._lock:
            # New messages wait until the unacknowledged ones went again (after
            # `welcome`), so the server stores them in the order they were written.
            self._ready = False
            hello: dict[str, Any]
            if self.token is not None:
                hello = {"t": "hello", "resume": {"token": self.token, "after": self._seq.last}}
            elif self._code is not None:
                hello = {"t": "hello", "code": {**self._code, "after": self._seq.last}}
            else:
                hello = {
                    "t": "hello",
                    "ticket": self._ticket,
                    "start": self._start,
                    "pow": self.proof_of_work,
                }
        self._link.send(hello)

    def _on_event(self, frame: dict[str, Any]) -> None:
        kind = frame.get("t")
        if kind == "welcome":
            if self._code_wrap is not None:
                wrapped = crypto.b64decode(frame["wrapped_key"])
                self.key = crypto.unwrap_conversation_key(wrapped, self._code_wrap)
                self._code = self._code_wrap = None
            self.conv, self.token, self.exit_token = frame["conv"], frame["token"], frame["exit"]
            self._resend()
        elif kind == "error" and (
            frame.get("code") in ("bad_ticket", "bad_token")
            or (self.token is None and frame.get("code") in ("bad_code", "rate_limited"))
        ):
            # Trying again by itself would not help (and would use up code tries).
            self._link.stop()
            self._w.fail(ClientError(frame.get("message", ""), frame.get("code")))
        elif kind == "status" and frame.get("state") == "closed":
            self._pending.clear()

    def _on_seq(self, frame: dict[str, Any], is_message: bool) -> None:
        verdict = self._seq.take(frame["seq"])
        if verdict == "gap":
            if self._seq.need_sync():
                self._link.send({"t": "sync", "after": self._seq.last})
        elif verdict == "new" and is_message:
            if frame["from"] == "person" and frame["id"] in self._own_ids:
                # Our own message, replayed after a resume: it is stored.
                self._pending.pop(frame["id"], None)
                self._w.ack(frame["id"], frame["seq"])
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
            return self._queue(cid, {"t": "msg", "id": cid, "body": body})

    def send(self, text: str, timeout: float = 10) -> int:
        """Encrypt and send; returns the sequence number once the server has stored it.

        Survives disconnections: the message is resent until acknowledged."""
        return self.wait_ack(self.send_nowait(text), timeout)

    def receive(self, timeout: float = 10) -> Message:
        """The next message, decrypted and verified, in order, once: the operator's, and
        after :meth:`come_back` also the person's own from before.

        A ciphertext that does not open, or whose inner id or sender is not its frame's
        (replayed or moved by the server), raises :class:`ClientError`."""
        frame = self._w.next_message(timeout)
        return open_message(self.key, frame, self.conv)

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

    def quick_exit(self) -> None:
        self._link.send({"t": "exit"})
        self.close()
