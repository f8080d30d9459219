"""A Python client that speaks docs/protocol.md: it plays the person or the operator.

Used by tests, benchmarks and integrators' own checks. Encryption happens here, on
the client side, exactly as in the browser; the server sees ciphertext only.

Both clients keep the delivery promises of docs/protocol.md: they reconnect by
themselves with jittered back-off, resume after the last sequence they saw, resend
what was not acknowledged under the same client id, ask for gaps, and drop
duplicates, so a caller sees every message once and in order.

The pieces: person_client.py and operator_client.py (one side each), client_base.py
(what they share), link.py (the socket that comes back by itself); import them from
here.
"""

from __future__ import annotations

from pnav.sdk.client.base import Message
from pnav.sdk.client.link import ClientError, Timing
from pnav.sdk.client.operator import OperatorClient, PrivateNote
from pnav.sdk.client.person import PersonClient

__all__ = ["ClientError", "Message", "OperatorClient", "PersonClient", "PrivateNote", "Timing"]
