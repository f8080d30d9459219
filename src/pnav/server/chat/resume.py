"""Resume codes on the server: KDF parameters, lookups and their rate limits.

The server never sees a code: it gets the code's lookup id (docs/security.md,
"Resume code"), keeps only a hash of it, and hands back the conversation key wrapped
under the code's other half.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from pnav.sdk import crypto
from pnav.sdk.store import Store
from pnav.server.chat.connection import Connection
from pnav.server.chat.parse import FrameError, require_str

__all__ = ["CODE_TRIES_PER_SOCKET", "ResumeCodes"]

log = logging.getLogger(__name__)


# Wrong resume codes per socket. Per address, the web layer counts wrong codes and
# registrations (resume_codes_per_address_per_hour, pnav.server.web.person_guard): a
# limit for the whole server would let anyone lock every person out of resuming.
CODE_TRIES_PER_SOCKET = 5


class ResumeCodes:
    def __init__(self, store: Store, salt: bytes, clock: Callable[[], float]) -> None:
        self.store = store
        self.salt = salt

    def params(self) -> dict[str, Any]:
        """What the chat needs to turn a resume code into keys (docs/security.md)."""
        return {
            "salt": crypto.b64encode(self.salt),
            "alg": "argon2id13",
            "ops": crypto.KDF_OPS,
            "mem": crypto.KDF_MEM,
            "digits": crypto.RESUME_DIGITS,
        }

    @staticmethod
    def lookup_hash(code: dict[str, Any]) -> bytes:
        try:
            lookup = crypto.b64decode(require_str(code, "lookup", 64))
        except crypto.CryptoError as exc:
            raise FrameError("malformed", "'lookup' is not base64") from exc
        if len(lookup) != 32:
            raise FrameError("malformed", "'lookup' must be 32 bytes")
        return hashlib.sha256(b"pnav.resume-lookup\0" + lookup).digest()

    @staticmethod
    def wrapped_key(frame: dict[str, Any]) -> bytes:
        try:
            wrapped = crypto.b64decode(require_str(frame, "wrapped_key", 200))
        except crypto.CryptoError as exc:
            raise FrameError("malformed", "'wrapped_key' is not base64") from exc
        if len(wrapped) != 1 + crypto.NONCE_BYTES + 16 + 32 or wrapped[0] != 1:
            raise FrameError("malformed", "'wrapped_key' is not a v1 wrapped key")
        return wrapped

    def find(self, code: dict[str, Any], conn: Connection) -> tuple[str, bytes]:
        """The conversation a resume code's lookup id finds; wrong codes are limited."""
        lookup_hash = self.lookup_hash(code)
        if conn.code_tries >= CODE_TRIES_PER_SOCKET:
            raise FrameError("rate_limited", "too many wrong codes: reload the chat to try again")
        found = self.store.find_resume_code(lookup_hash)
        if found is None:
            conn.code_tries += 1
            log.debug("a resume code did not match")  # per frame (pnav_resume_code_attempts)
            raise FrameError("bad_code", "no conversation has this code; check the digits")
        return found
