"""The cost of opening a conversation: an ALTCHA proof of work, bound to the ticket.

The ticket answer carries a challenge (ALTCHA v1: find ``n`` such that
SHA-256(salt + n) equals the challenge, ``n`` below ``max_number``), signed with a key
derived from the deployment secret, its salt naming the ticket's nonce. A browser solves
it with WebCrypto while the person reads the pre-chat form; a script opening thousands
of conversations pays that many times. The ticket is single-use, so each solution is too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any

from altcha.v1 import ChallengeOptions, Payload, create_challenge, extract_params, verify_solution

__all__ = ["ProofOfWork", "check_shape"]

_FIELDS = ("algorithm", "challenge", "salt", "signature")


def check_shape(payload: object) -> dict[str, Any] | None:
    """The payload as a dict when it has the shape of an ALTCHA v1 solution, else None."""
    if not isinstance(payload, dict):
        return None
    for name in _FIELDS:
        value = payload.get(name)
        if not isinstance(value, str) or not 0 < len(value) <= 256:
            return None
    number = payload.get("number")
    if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number < 2**31:
        return None
    return {name: payload[name] for name in (*_FIELDS, "number")}


class ProofOfWork:
    def __init__(self, secret_key: bytes, max_number: int, lifetime: int) -> None:
        self._key = hmac.new(secret_key, b"pnav.proof-of-work", hashlib.sha256).hexdigest()
        self.max_number = max_number
        self.lifetime = lifetime

    def challenge(self, nonce: str) -> dict[str, Any]:
        """The challenge a ticket answer carries (the ``pow`` field, docs/protocol.md)."""
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.lifetime)
        options = ChallengeOptions(
            hmac_key=self._key, max_number=self.max_number, params={"t": nonce}, expires=expires
        )
        made = create_challenge(options)
        answer: dict[str, Any] = made.to_dict()
        return answer

    def solved(self, payload: object, nonce: str) -> bool:
        """True when ``payload`` solves this deployment's challenge for ``nonce``."""
        shaped = check_shape(payload)
        if shaped is None or shaped["algorithm"] != "SHA-256":
            return False
        payload = Payload(
            "SHA-256",
            shaped["challenge"],
            shaped["number"],
            shaped["salt"],
            shaped["signature"],
        )
        ok, _ = verify_solution(payload, self._key)
        return ok and extract_params(payload.to_dict()).get("t") == [nonce]
