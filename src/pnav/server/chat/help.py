"""Help on call: an operator asks for help from inside a conversation; the connected
supervisors and psychologists are alerted and one of them joins from the alert.

The call is a ``help`` frame from the operator who holds the conversation. Every
connected floor console (supervision.FLOOR_ROLES) gets a ``help_call`` with the
conversation's triage metadata and its sealed key (as the attention list has), never a
message; joining is the usual ``join`` (supervision.py), after which the calls for that
conversation end with ``help_answered`` naming who came. Calls live in memory, like the
floor: they are about the people connected now. One call per conversation at a time,
and at most one every ``MIN_INTERVAL`` seconds (a limit on what an operator creates).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from pnav.sdk import crypto
from pnav.sdk.store import Operator
from pnav.server.chat.connection import Connection
from pnav.server.chat.context import ChatContext
from pnav.server.chat.frames import ms, triage
from pnav.server.chat.parse import FrameError
from pnav.server.chat.supervision import FLOOR_ROLES

__all__ = ["MIN_INTERVAL", "HelpCalls"]

log = logging.getLogger(__name__)

MIN_INTERVAL = 10.0


class HelpCalls:
    def __init__(self, ctx: ChatContext) -> None:
        self.ctx = ctx
        self.store = ctx.store
        # conversation id -> the call's frame (what a floor console is told)
        self._calls: dict[str, dict[str, Any]] = {}
        self._asked_at: dict[str, float] = {}
        self._lock = threading.Lock()

    def helpers_connected(self) -> int:
        """How many supervisors and psychologists have a console connected anywhere."""
        return sum(
            1
            for op in self.store.list_operators()
            if not op.removed and op.role in FLOOR_ROLES and self.ctx.hub.operator_connected(op.id)
        )

    def ask(self, op: Operator, frame: dict[str, Any], conn: Connection) -> None:
        """The operator holding the conversation asks for help; answered by ``help_asked``
        with how many helpers were alerted (0: nobody who can help is connected)."""
        self.ctx.check_active(op)
        conv = self.ctx.frame_conversation(frame)
        if conv.operator_id != op.id or conv.state != "active":
            raise FrameError("not_yours", "only the operator of a conversation in progress asks")
        now = self.ctx.clock()
        call = {
            "t": "help_call",
            "conv": conv.id,
            "operator": op.username,
            "since": ms(now),
            **triage(conv),
            "sealed_key": crypto.b64encode(conv.sealed_key),
            "desk_key": conv.desk_key,
        }
        with self._lock:
            # only recent asks matter: older ones are dropped, so this stays small
            self._asked_at = {k: v for k, v in self._asked_at.items() if now - v < MIN_INTERVAL}
            if conv.id in self._asked_at:
                raise FrameError(
                    "rate_limited", f"help was asked less than {MIN_INTERVAL:.0f} s ago"
                )
            self._asked_at[conv.id] = now
            self._calls[conv.id] = call
        helpers = self.helpers_connected()
        log.info("operator %d asks for help (%d helper(s) connected)", op.id, helpers)
        self.ctx.hub.to_supervisors(call)
        conn.send({"t": "help_asked", "conv": conv.id, "helpers": helpers})

    def joined(self, op: Operator, frame: dict[str, Any]) -> None:
        """Someone joined the conversation (after a successful ``join``): its call ends,
        and the asker learns who came."""
        conv_id = frame.get("conv")
        with self._lock:
            call = self._calls.pop(conv_id, None) if isinstance(conv_id, str) else None
        if call is None:
            return
        answered = {"t": "help_answered", "conv": conv_id, "by": op.username}
        self.ctx.hub.to_supervisors(answered)
        conv = self.store.get_conversation(str(conv_id))
        if conv is not None and conv.operator_id is not None:
            self.ctx.hub.to_operator(conv.operator_id, answered)

    def send_open(self, conn: Connection) -> None:
        """The calls still open, for a floor console that just connected."""
        with self._lock:
            calls = list(self._calls.values())
        for call in calls:
            conn.send(call)

    def forget(self, conv_id: str) -> None:
        """The conversation closed or changed hands: its call ends."""
        with self._lock:
            call = self._calls.pop(conv_id, None)
            self._asked_at.pop(conv_id, None)
        if call is not None:
            self.ctx.hub.to_supervisors({"t": "help_answered", "conv": conv_id, "by": None})
