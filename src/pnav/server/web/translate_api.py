"""The console's translation endpoint: ``POST /console/api/translate``.

Translation happens on the operator's side of the encryption (docs/backends-casework.md,
"Trust boundary"): the console decrypts a message and sends its plaintext here, over
its authenticated same-origin session; the server passes it to the configured
translator through :class:`~pnav.sdk.translator.SafeTranslator` and answers. The text
is held in memory for the call only: never stored, never logged (not even its length),
never put into an error message.

``GET`` answers ``{"available": bool}``: with ``translator = "none"`` the console sends
nothing. ``POST`` ``{"text", "target", "source"?, "detect"?}``; answer ``{"text", "source",
"target", "translated", "reason"?}``. A translator that is off, slow, failing or
answering nonsense gives ``translated: false`` with a reason and the original text:
the console sends or shows the original, marked, and the chat goes on.

Which language the text is in: ``source`` (the conversation's pre-chat language, or
what an earlier answer said), unless the translator detects a different one in a text
long enough for detection to mean something. ``detect: false`` (the operator's own
replies, whose language the console knows) skips detection.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, jsonify, request

from pnav.sdk.store import Operator
from pnav.sdk.translator import NoneTranslator, is_language_code
from pnav.server.ops import metrics
from pnav.server.web.state import state

__all__ = ["MAX_TEXT_CHARS", "RateLimit", "available", "translate"]

# A message is at most a few thousand characters in practice; LibreTranslate's own
# default char limit is 5000.
MAX_TEXT_CHARS = 5000
# Shorter texts ("ok", "merci") are detected too unreliably to override the
# conversation's language.
DETECT_MIN_CHARS = 12
# Per operator: a burst for a conversation's history on accept, then one a second.
BURST = 120
PER_SECOND = 1.0


class RateLimit:
    """A token bucket per operator (per worker process: with several workers an
    operator gets the burst once per worker, which still bounds the load)."""

    def __init__(
        self,
        burst: int = BURST,
        per_second: float = PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.burst = burst
        self.per_second = per_second
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, who: str) -> float:
        """0 when ``who`` may go on, else the seconds to wait."""
        now = self._clock()
        with self._lock:
            tokens, then = self._buckets.get(who, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - then) * self.per_second)
            if tokens < 1:
                self._buckets[who] = (tokens, now)
                return (1 - tokens) / self.per_second
            self._buckets[who] = (tokens - 1, now)
            if len(self._buckets) > 10_000:  # operators come and go; keep it bounded
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 600}
            return 0.0


def _limit() -> RateLimit:
    limit: RateLimit = current_app.extensions.setdefault("pnav.translate_limit", RateLimit())
    return limit


def _answer(body: dict[str, Any], status: int = 200) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def available() -> Response:
    """Whether a translator is configured, so that a console on a platform without one
    never sends any text at all."""
    on = not isinstance(state().casework.translator.inner, NoneTranslator)
    return _answer({"available": on})


def translate(op: Operator) -> Response:
    """Translate for ``op`` (already authenticated, from the console's origin)."""
    wait = _limit().take(str(op.id))
    if wait:
        response = _answer({"error": "too many translation requests"}, 429)
        response.headers["Retry-After"] = str(max(1, round(wait)))
        return response
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _answer({"error": 'body must be JSON {"text", "target", "source"?}'}, 400)
    text, target = data.get("text"), data.get("target")
    source, detect = data.get("source"), data.get("detect", True)
    if not isinstance(text, str) or not isinstance(target, str) or not is_language_code(target):
        return _answer({"error": "text (a string) and target (a language code) are required"}, 400)
    if source in ("", None):
        source = None
    elif not is_language_code(source):
        return _answer({"error": "source must be a language code"}, 400)
    if not isinstance(detect, bool):
        return _answer({"error": "detect must be true or false"}, 400)
    if len(text) > MAX_TEXT_CHARS:
        return _answer({"error": f"text is longer than {MAX_TEXT_CHARS} characters"}, 413)
    translator = state().casework.translator
    if detect and (source is None or len("".join(text.split())) >= DETECT_MIN_CHARS):
        found = translator.detect(text)
        if found is not None:
            source = found
    body: dict[str, Any]
    if source is None:
        body = {"text": text, "source": None, "target": target, "translated": False}
        body["reason"] = "unknown_language"
        metrics.translation("unknown_language")
        return _answer(body)
    result = translator.translate(text, source, target)
    body = {
        "text": result.text,
        "source": result.source,
        "target": result.target,
        "translated": result.translated,
    }
    if not result.translated:
        body["reason"] = result.reason
    metrics.translation("translated" if result.translated else result.reason or "error")
    return _answer(body)
