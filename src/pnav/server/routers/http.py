"""A router that asks the platform's own HTTP service which operator to choose.

``POST url`` with JSON ``{"conversation": {conv, partner, who, what, danger, lang,
waiting_since}, "candidates": [{id, username, role, active, connected, idle_since,
capacity}]}`` (``capacity``: the operator's own cap set by a supervisor, or null); the
answer ``{"operator": <id or username or null>}``. A timeout, an error or a
malformed answer is retried (``retries`` times, with a short back-off); after that
the conversation simply stays in the queue, where operators can take it. The
request never carries a message or a key.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any
from urllib.parse import urlsplit

from pnav.sdk.router import Candidate, Router, describe
from pnav.sdk.store import Conversation

__all__ = ["HttpRouter"]

log = logging.getLogger(__name__)


class HttpRouter(Router):
    def __init__(
        self,
        url: str,
        timeout: float = 2.0,
        retries: int = 2,
        headers: dict[str, str] | None = None,
    ) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"url must be http(s)://…, not {url!r}")
        if timeout <= 0 or timeout > 30:
            raise ValueError("timeout must be between 0 and 30 seconds")
        if not isinstance(retries, int) or retries < 0:
            raise ValueError("retries must be a whole number")
        self.url, self.timeout, self.retries = url, timeout, retries
        self.headers = {"Content-Type": "application/json", **(headers or {})}

    def choose(self, conv: Conversation, candidates: Sequence[Candidate]) -> int | None:
        body = json.dumps(
            {"conversation": describe(conv), "candidates": [asdict(c) for c in candidates]}
        ).encode()
        for attempt in range(self.retries + 1):
            try:
                answer = self._ask(body)
            except (OSError, ValueError) as exc:
                log.warning(
                    "routing service failed (attempt %d/%d): %s",
                    attempt + 1,
                    self.retries + 1,
                    type(exc).__name__,
                )
                time.sleep(min(1.0, 0.1 * 2**attempt))
                continue
            return self._pick(answer, candidates)
        log.warning("routing service unavailable; the conversation waits in the queue")
        return None

    def _ask(self, body: bytes) -> Any:
        req = urllib.request.Request(self.url, data=body, headers=self.headers, method="POST")  # noqa: S310
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310
            answer = json.loads(resp.read(64 * 1024))
        if not isinstance(answer, dict) or "operator" not in answer:
            raise ValueError("the answer must be a JSON object with 'operator'")
        return answer["operator"]

    @staticmethod
    def _pick(answer: Any, candidates: Sequence[Candidate]) -> int | None:
        if answer is None:
            return None
        for c in candidates:
            if c.connected and answer in (c.id, c.username) and not isinstance(answer, bool):
                return c.id
        log.warning("routing service named an operator who is not a connected candidate")
        return None
