"""What every part of the conversation service shares: the store, the hub, the clock,
the conversations' locks, and who gets a conversation's frames.

:class:`ChatContext` is handed to each collaborator of
:class:`~pnav.server.chat.service.ChatService` (the person's and the operator's side,
notes, supervision, views, lifecycle); it knows none of them, so nothing here imports
back.

Routes (routes.py): who a conversation's frames go to, kept in memory; whoever changes
a conversation's state, holder or observers calls ``routes.changed`` after storing it.

Ordering: everything that stores or replays a conversation's messages runs under that
conversation's lock, so each socket receives a conversation's ``msg`` and ``ack``
frames in increasing sequence (docs/protocol.md, "Delivery guarantees"). Lock order: a
conversation's lock, then the floor's or the attention list's, then a connection's own
lock. There is no queue lock: the store gives a waiting conversation to exactly one
caller (its contract), which a lock in one process could not do across processes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pnav.sdk.store import Conversation, Operator, Store
from pnav.server.chat.hub import Hub
from pnav.server.chat.parse import FrameError, require_str
from pnav.server.chat.routes import Routes

__all__ = ["ChatContext", "ConversationLocks", "Timings"]


class _Held:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.users = 0  # holding it or waiting for it


class ConversationLocks:
    """A re-entrant lock per conversation, which exists only while someone holds it or
    waits for it (memory stays bounded by the conversations being worked on). Not
    shared by hash: a writer that waits for its commit under its conversation's lock
    (the group commit, stores/group_commit.py) holds up no other conversation."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._held: dict[str, _Held] = {}

    @contextmanager
    def __call__(self, conv_id: str) -> Iterator[None]:
        with self._guard:
            held = self._held.get(conv_id)
            if held is None:
                held = self._held[conv_id] = _Held()
            held.users += 1
        try:
            with held.lock:
                yield
        finally:
            with self._guard:
                held.users -= 1
                if not held.users:
                    del self._held[conv_id]

    def __len__(self) -> int:
        """Conversations whose lock is held or awaited now."""
        with self._guard:
            return len(self._held)


@dataclass(frozen=True)
class Timings:
    """How long things wait (seconds); from the settings of the same names."""

    person_gone_after: float = 120
    operator_grace: float = 300
    idle_close_hours: float = 72
    retention_days: float = 30


@dataclass
class ChatContext:
    store: Store
    hub: Hub
    max_body_chars: int
    timings: Timings = field(default_factory=Timings)
    clock: Callable[[], float] = time.time
    # Conversations whose person signalled duress. It lives in memory: a restarted
    # process learns it again from the chat, which repeats it when it reconnects.
    duress: dict[str, bool] = field(default_factory=dict)
    # ``with ctx.lock(conv_id):`` serialises what stores or replays one conversation.
    lock: ConversationLocks = field(default_factory=ConversationLocks)
    routes: Routes = field(init=False)

    def __post_init__(self) -> None:
        self.routes = Routes(self.store, self.hub)

    def username(self, operator_id: int | None) -> str | None:
        op = None if operator_id is None else self.store.get_operator(operator_id)
        return None if op is None else op.username

    def frame_conversation(self, frame: dict[str, Any]) -> Conversation:
        conv_id = require_str(frame, "conv", 64)
        conv = self.store.get_conversation(conv_id)
        if conv is None:
            raise FrameError("no_conversation", "no such conversation")
        return conv

    def check_active(self, op: Operator, ref: str | None = None) -> None:
        """Refuse every action of an operator removed since they connected."""
        current = self.store.get_operator(op.id)
        if current is None or current.removed:
            raise FrameError("unauthorised", "this account was removed", ref)

    def readable(self, op: Operator, conv: Conversation, ref: str | None = None) -> Conversation:
        """The conversation, if ``op`` holds or observes it; else ``not_yours``."""
        self.check_active(op, ref)
        route = self.routes.get(conv.id)
        if conv.operator_id != op.id and (route is None or op.id not in route.observers):
            raise FrameError("not_yours", "this conversation is assigned to someone else", ref)
        return conv

    def to_staff(self, conv_id: str, frame: dict[str, Any]) -> None:
        """A frame for every console of the conversation's staff (its holder and the
        supervisors observing it), in every process."""
        route = self.routes.get(conv_id)
        for operator_id in [] if route is None else route.staff():
            self.hub.to_operator(operator_id, frame)
