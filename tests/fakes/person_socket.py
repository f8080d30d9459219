"""A person's socket written by hand, for tests of what the server refuses."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import simple_websocket

from pnav.sdk import crypto
from pnav.sdk.client.base import http_json
from pnav.sdk.client.person import solve_proof_of_work

__all__ = ["Raw", "hello", "solve_proof_of_work", "start", "ticket"]


def ticket(server: Any) -> dict[str, Any]:
    info, _ = http_json(
        server.url + "/api/ticket",
        json.dumps({"partner": "demo"}).encode(),
        {"Origin": server.origin, "Content-Type": "text/plain"},
    )
    answer: dict[str, Any] = info
    return answer


def start(info: dict[str, Any]) -> dict[str, Any]:
    key = crypto.new_conversation_key()
    sealed = crypto.seal_conversation_key(key, crypto.b64decode(info["desk_key"]["public"]))
    return {
        "who": "victim",
        "what": "domestic",
        "danger": True,
        "lang": "fr",
        "sealed_key": crypto.b64encode(sealed),
        "desk_key": info["desk_key"]["id"],
    }


class Raw:
    """A person socket that says exactly what the test writes."""

    def __init__(self, server: Any) -> None:
        self.ws = simple_websocket.Client.connect(server.url.replace("http", "ws") + "/ws/person")

    def ask(self, frame: dict[str, Any] | str) -> dict[str, Any]:
        """Send a frame; the first answer that is not a queue position (status)."""
        self.ws.send(frame if isinstance(frame, str) else json.dumps({"v": 1, **frame}))
        while True:
            answer: dict[str, Any] = json.loads(self.ws.receive(timeout=10))
            if answer.get("t") != "status":
                return answer

    def still_open(self) -> bool:
        return self.ask({"t": "ping"}).get("t") == "pong"

    def close(self) -> None:
        # The server may have closed it already (after bad_ticket, say).
        with contextlib.suppress(simple_websocket.ConnectionClosed, OSError):
            self.ws.close()


def hello(info: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"t": "hello", "ticket": info["ticket"], "start": start(info), **extra}
