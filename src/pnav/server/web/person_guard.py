"""The abuse limits a person's socket meets before a frame reaches the chat service.

A new conversation needs a ticket used for the first time, a solved proof of work for
that ticket, and room under its address's conversation limit; wrong resume codes and
code registrations count per address; a conversation's messages count per minute and
its bytes per day. Every refusal is one ``error`` frame with the rule and how long to
wait; the socket stays open (docs/protocol.md, "Limits").
"""

from __future__ import annotations

import logging
from typing import Any

from pnav.server.abuse import AbuseLimits, ProofOfWork, Refusal
from pnav.server.chat.parse import FrameError
from pnav.server.chat.tokens import TokenError, Tokens
from pnav.server.ops import metrics

__all__ = ["LimitError", "PersonGuard", "refused"]

log = logging.getLogger(__name__)

_SENTENCES = {
    "tickets_per_address": "too many chats were opened from this network just now",
    "conversations_per_address": "too many conversations were opened from this network",
    "messages_per_conversation": "too many messages in a minute: wait a moment",
    "bytes_per_conversation": "this conversation has sent too much today",
    "resume_codes_per_address": "too many resume codes were tried from this network",
    "logins_per_account": "too many wrong passwords for this account",
    "logins_per_address": "too many login attempts from this network",
}


def refused(rule: str) -> None:
    """Every abuse refusal passes here once, HTTP or frame: counted by rule in
    ``pnav_limits_refused_total`` (a rule outside the metric's fixed set is "other")."""
    log.debug("refused: %s", rule)
    metrics.limit_refused(rule)


class LimitError(FrameError):
    """A limit was reached: the frame says which rule and when to try again."""

    def __init__(self, refusal: Refusal, ref: str | None = None) -> None:
        sentence = _SENTENCES.get(refusal.rule, "limit reached")
        super().__init__("rate_limited", f"{sentence}; try again in {refusal.retry_after} s", ref)
        self.refusal = refusal
        refused(refusal.rule)

    def frame(self) -> dict[str, Any]:
        out = super().frame()
        out["limit"] = self.refusal.rule
        out["retry_after"] = self.refusal.retry_after
        return out


class PersonGuard:
    """One per person socket; ``address`` is the hashed client address."""

    def __init__(self, limits: AbuseLimits, work: ProofOfWork, tokens: Tokens, address: str):
        self.limits = limits
        self.work = work
        self.tokens = tokens
        self.address = address
        self.ticket_age = work.lifetime

    def new_conversation(self, frame: dict[str, Any]) -> None:
        """Checks for a ``hello`` that opens a conversation (no resume token, no code)."""
        try:
            _, nonce = self.tokens.read_ticket_nonce(frame.get("ticket"))
        except TokenError as exc:
            refused("bad_ticket")
            raise FrameError("bad_ticket", "the chat ticket is invalid or expired") from exc
        if not self.work.solved(frame.get("pow"), nonce):
            refused("proof_of_work")
            raise FrameError("bad_pow", "'pow' must solve this ticket's proof-of-work challenge")
        if not self.limits.first_use("ticket", nonce, self.ticket_age):
            refused("ticket_used")
            raise FrameError("bad_ticket", "this ticket was already used; get a new one")
        refusal = self.limits.hit("conversations_per_address", self.address)
        if refusal is not None:
            raise LimitError(refusal)

    def before_code(self) -> None:
        """Before a resume code is looked up or registered: the try is counted first
        (a try and a registration both tell whether a lookup id exists), so tries sent
        at once cannot all pass a check made before any of them was counted."""
        refusal = self.limits.hit("resume_codes_per_address", self.address)
        if refusal is not None:
            raise LimitError(refusal)

    def message(self, conv_id: str, frame: dict[str, Any]) -> None:
        ref = frame.get("id")
        ref = ref if isinstance(ref, str) and len(ref) <= 64 else None
        refusal = self.limits.hit("messages_per_conversation", conv_id)
        if refusal is None:
            body = frame.get("body")
            size = len(body) if isinstance(body, str) else 0
            refusal = self.limits.hit("bytes_per_conversation", conv_id, max(1, size))
        if refusal is not None:
            raise LimitError(refusal, ref)
