"""A fake webhook receiver that checks pnav's signatures and answers as scripted.

``script`` is a list of answers used one per request (``(status, body)``, or
``"hang"`` to hold the request until the receiver stops); when it runs out, the
receiver acknowledges: ``200 {"ack": true, "reference": "R-<n>"}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pnav.sdk import signing

from .base import FakeHTTPServer, QuietHandler


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    signature_ok: bool
    signature_problem: str
    status: int  # what the receiver answered (0: it never did)

    @property
    def envelope(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.body)
        return value


class _Handler(QuietHandler):
    server: FakeWebhook

    def do_POST(self) -> None:
        fake = self.server
        body = self.body()
        try:
            signing.verify(fake.secret, body, self.headers)
            ok, problem = True, ""
        except signing.BadSignature as exc:
            ok, problem = False, str(exc)
        with fake.lock:
            step = fake.script.pop(0) if fake.script else None
            n = len(fake.received) + 1
            if step is None:
                step = (200, {"ack": True, "reference": f"R-{n}"})
            status = 0 if step == "hang" else step[0]
            fake.received.append(Received(dict(self.headers.items()), body, ok, problem, status))
            fake.lock.notify_all()
        if step == "hang":
            fake.release.wait(30)
            return
        answer = step[1]
        self.answer(status, answer if isinstance(answer, bytes) else json.dumps(answer).encode())


class FakeWebhook(FakeHTTPServer):
    def __init__(self, secret: bytes, script: list[Any] | None = None) -> None:
        super().__init__(_Handler)
        self.secret = secret
        self.script: list[Any] = list(script or [])
        self.received: list[Received] = []

    def accepted(self) -> list[Received]:
        """Deliveries answered with a 2xx."""
        with self.lock:
            return [r for r in self.received if 200 <= r.status < 300]

    def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        with self.lock:
            self.lock.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)
