"""Client addresses as limit keys: a keyed hash, never the address itself.

The key derives from the deployment's secret and the current UTC day, so every process
of a deployment computes the same key (the counts are shared through Redis) and
yesterday's hashes cannot be linked to today's once the day's key is gone. Nothing
here is logged or stored beyond the limit windows (at most an hour).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

__all__ = ["AddressHasher"]

_DAY = 24 * 3600


class AddressHasher:
    def __init__(self, secret_key: bytes, clock: Callable[[], float] = time.time) -> None:
        self._secret = secret_key
        self._clock = clock
        self._day = -1
        self._key = b""

    def _day_key(self) -> bytes:
        day = int(self._clock() // _DAY)
        if day != self._day:
            message = b"pnav.address-key\0" + str(day).encode()
            self._key = hmac.new(self._secret, message, hashlib.sha256).digest()
            self._day = day
        return self._key

    def __call__(self, address: str | None) -> str:
        """A short stable id for ``address`` today (an unknown address is one bucket)."""
        raw = (address or "unknown").encode("utf-8", "replace")
        return hmac.new(self._day_key(), raw, hashlib.sha256).hexdigest()[:24]
