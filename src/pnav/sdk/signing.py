"""Signatures on the webhooks pnav sends (emergencies, reports), for both ends.

pnav signs ``<timestamp>.<body>`` with HMAC-SHA256 under a secret shared with the
receiver and sends::

    X-Pnav-Timestamp: 1714650000
    X-Pnav-Signature: sha256=<hex digest>
    X-Pnav-Delivery: <id, the same on every retry of one delivery>

A receiver checks the signature over the exact bytes it got (:func:`verify`), refuses
a timestamp more than ``tolerance`` seconds away from its clock, and ignores a
delivery id it has already processed (a retry after a lost answer): together these
stop replays.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

__all__ = [
    "DELIVERY_HEADER",
    "EVENT_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "BadSignature",
    "SignatureExpired",
    "sign",
    "signed_headers",
    "verify",
]

SIGNATURE_HEADER = "X-Pnav-Signature"
TIMESTAMP_HEADER = "X-Pnav-Timestamp"
DELIVERY_HEADER = "X-Pnav-Delivery"
EVENT_HEADER = "X-Pnav-Event"


class BadSignature(ValueError):
    """The signature is missing, malformed or does not match."""


class SignatureExpired(BadSignature):
    """The signature matches but its timestamp is too far from now."""


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The ``X-Pnav-Signature`` value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signed_headers(
    secret: bytes, body: bytes, delivery: str, event: str, now: float | None = None
) -> dict[str, str]:
    """The headers to send with ``body``."""
    timestamp = int(time.time() if now is None else now)
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        DELIVERY_HEADER: delivery,
        EVENT_HEADER: event,
    }


def verify(
    secret: bytes,
    body: bytes,
    headers: Mapping[str, str],
    now: float | None = None,
    tolerance: int = 300,
) -> int:
    """Check a delivery's signature; returns its timestamp or raises :class:`BadSignature`
    (:class:`SignatureExpired` for a stale or future timestamp). ``headers`` lookups
    should be case-insensitive (as in Flask, http.server, email.message)."""
    raw_ts = headers.get(TIMESTAMP_HEADER)
    given = headers.get(SIGNATURE_HEADER)
    if not raw_ts or not given:
        raise BadSignature("missing signature or timestamp header")
    try:
        timestamp = int(raw_ts)
    except ValueError:
        raise BadSignature("the timestamp is not a whole number") from None
    expected = sign(secret, timestamp, body).encode()
    if not hmac.compare_digest(expected, given.strip().encode("utf-8", "replace")):
        raise BadSignature("the signature does not match")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureExpired(f"the timestamp is {int(current - timestamp)} s away from now")
    return timestamp
