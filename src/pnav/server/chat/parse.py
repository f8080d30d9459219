"""Parsing and checking incoming websocket frames (docs/protocol.md).

Every refusal is a :class:`FrameError` carrying a protocol error code and a sentence
for the sender; the socket and the conversation carry on.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pnav.sdk import crypto

__all__ = [
    "CLOSING_ERRORS",
    "NOT_SAID",
    "FrameError",
    "after_seq",
    "body_bytes",
    "client_id",
    "parse",
    "require_str",
    "triage_choice",
]

_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_FRAME_CHARS = 80 * 1024
# No frame of the protocol nests deeper than 3; deeper is hostile (docs/protocol.md).
MAX_DEPTH = 6
# Sequence numbers and other counts: what JSON carries exactly everywhere (2^53 - 1).
MAX_INT = 2**53 - 1
# Errors after which the server closes the socket (the client starts afresh or later).
CLOSING_ERRORS = frozenset({"bad_ticket", "bad_token", "timeout", "too_fast"})


# What a conversation stores for a pre-chat answer the person left out (who, what).
NOT_SAID = "not_said"


class FrameError(ValueError):
    def __init__(self, code: str, message: str, ref: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.ref = ref

    def frame(self) -> dict[str, Any]:
        out: dict[str, Any] = {"t": "error", "code": self.code, "message": self.message}
        if self.ref is not None:
            out["id"] = self.ref
        return out


def _too_deep(value: Any) -> bool:
    """True past MAX_DEPTH levels of objects and arrays (an explicit stack: no frame
    can make the server recurse)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        for child in children:
            if isinstance(child, dict | list):
                if depth >= MAX_DEPTH:
                    return True
                stack.append((child, depth + 1))
    return False


def parse(raw: str | bytes) -> dict[str, Any]:
    if isinstance(raw, bytes):
        raise FrameError("malformed", "frames are JSON text, not binary")
    if len(raw) > MAX_FRAME_CHARS:
        raise FrameError("too_large", f"frame over {MAX_FRAME_CHARS} characters refused")
    try:
        frame = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise FrameError("malformed", "frame is not valid JSON") from exc
    except RecursionError as exc:
        raise FrameError("malformed", f"frame nested deeper than {MAX_DEPTH} levels") from exc
    if _too_deep(frame):
        raise FrameError("malformed", f"frame nested deeper than {MAX_DEPTH} levels")
    if not isinstance(frame, dict):
        raise FrameError("malformed", "frame must be a JSON object")
    if frame.get("v") != 1:
        raise FrameError("malformed", "unsupported protocol version (expected v=1)")
    if not isinstance(frame.get("t"), str):
        raise FrameError("malformed", "frame has no type 't'")
    return frame


def require_str(frame: dict[str, Any], key: str, max_len: int = 256) -> str:
    value = frame.get(key)
    if not isinstance(value, str) or not value or len(value) > max_len:
        raise FrameError("malformed", f"'{key}' must be a non-empty string")
    return value


def client_id(frame: dict[str, Any]) -> str:
    value = frame.get("id")
    if not isinstance(value, str) or not _CLIENT_ID.fullmatch(value):
        raise FrameError("malformed", "'id' must be 1-64 characters of A-Z a-z 0-9 _ -")
    return value


def body_bytes(frame: dict[str, Any], max_chars: int, ref: str) -> bytes:
    """The message ciphertext; checked for shape only (the server cannot read it)."""
    body = frame.get("body")
    if not isinstance(body, str):
        raise FrameError("malformed", "'body' must be base64 ciphertext", ref)
    if len(body) > max_chars:
        raise FrameError("too_large", f"message over {max_chars} characters refused", ref)
    try:
        blob = crypto.b64decode(body)
    except crypto.CryptoError as exc:
        raise FrameError("malformed", "'body' is not base64", ref) from exc
    if len(blob) < 1 + crypto.NONCE_BYTES + 16 or blob[0] != crypto.FORMAT_VERSION:
        raise FrameError("malformed", "'body' is not a v1 ciphertext", ref)
    return blob


def after_seq(frame: dict[str, Any]) -> int:
    """The ``after`` of a ``sync`` or a resume: the last sequence the client saw."""
    after = frame.get("after", 0)
    if isinstance(after, bool) or not isinstance(after, int) or not 0 <= after <= MAX_INT:
        raise FrameError("malformed", "'after' must be an integer from 0 to 2^53 - 1")
    return after


def triage_choice(start: dict[str, Any], name: str, choices: tuple[str, ...]) -> str:
    """An optional pre-chat answer of a ``hello``'s ``start``: one of ``choices``, or
    :data:`NOT_SAID` when absent, null or empty (the chat asks it after "start")."""
    value = start.get(name)
    if value is None or value == "":
        return NOT_SAID
    if value not in choices:
        raise FrameError("malformed", f"'{name}' must be one of {', '.join(choices)} or left out")
    return str(value)
