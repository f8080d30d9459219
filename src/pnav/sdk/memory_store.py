"""An in-memory :class:`~pnav.sdk.store.Store` for tests: fast, thread-safe, forgets on exit.

It keeps the same semantics as the SQLite and PostgreSQL stores (the contract suite in
:mod:`pnav.sdk.testing.store` runs over all three), including the integrity rules a
database would enforce: unique usernames, wraps only for known operators and desk keys.
Conversations, messages, resume codes and statistics are here; the operators' side is
:class:`~pnav.sdk.memory_staff.MemoryStaff`.
"""

from __future__ import annotations

import secrets
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from pnav.sdk.memory_staff import MemoryStaff
from pnav.sdk.store import (
    DURATION_BUCKETS,
    LEFT_STATES,
    WAIT_BUCKETS,
    ActivityCounts,
    ActivityGroup,
    Conversation,
    Handover,
    NewConversation,
    StoredMessage,
    bucket_index,
    count_in_intervals,
    queue_order,
    tally_activity,
)

__all__ = ["MemoryStore"]


class MemoryStore(MemoryStaff):
    """Every method holds one lock, so each call is atomic like a database transaction."""

    def __init__(self) -> None:
        super().__init__()
        # dicts keep insertion order, which breaks ties between equal timestamps
        self._conversations: dict[str, Conversation] = {}
        self._messages: dict[str, list[StoredMessage]] = {}
        self._by_client_id: dict[tuple[str, str, str], StoredMessage] = {}
        self._handovers: dict[str, list[Handover]] = {}
        self._resume_codes: dict[bytes, tuple[str, bytes]] = {}

    # -- conversations -------------------------------------------------
    def create_conversation(self, new: NewConversation) -> Conversation:
        with self._lock:
            conv_id = secrets.token_urlsafe(16)
            now = time.time()
            conv = Conversation(
                id=conv_id,
                partner=new.partner,
                who=new.who,
                what=new.what,
                danger=new.danger,
                lang=new.lang,
                sealed_key=new.sealed_key,
                desk_key=new.desk_key,
                state="waiting",
                person="connected",
                operator_id=None,
                outcome=None,
                created_at=now,
                assigned_at=None,
                closed_at=None,
                last_seq=0,
                person_since=now,
                last_activity=now,
            )
            self._conversations[conv_id] = conv
            return conv

    def get_conversation(self, conv_id: str) -> Conversation | None:
        with self._lock:
            return self._conversations.get(conv_id)

    def _where(self, *states: str) -> list[Conversation]:
        return [c for c in self._conversations.values() if c.state in states]

    def waiting_conversations(self) -> list[Conversation]:
        with self._lock:
            waiting = [c for c in self._where("waiting") if c.person not in LEFT_STATES]
            return sorted(waiting, key=queue_order)

    def queue_position(self, conv_id: str) -> int | None:
        with self._lock:
            conv = self._conversations.get(conv_id)
            if conv is None or conv.state != "waiting" or conv.person in LEFT_STATES:
                return None
            key = queue_order(conv)
            waiting = self._where("waiting")
            return 1 + sum(
                1 for c in waiting if c.person not in LEFT_STATES and queue_order(c) < key
            )

    def operator_conversations(self, operator_id: int) -> list[Conversation]:
        with self._lock:
            mine = [c for c in self._where("active") if c.operator_id == operator_id]
            return sorted(mine, key=_assigned_at)

    def assign(self, conv_id: str, operator_id: int) -> bool:
        return self._change_if(
            conv_id, ("waiting",), "active", operator_id=operator_id, assigned_at=time.time()
        )

    def close_conversation(self, conv_id: str, outcome: str) -> bool:
        return self._change_if(
            conv_id, ("waiting", "active"), "closed", outcome=outcome, closed_at=time.time()
        )

    def close_waiting_conversation(self, conv_id: str, outcome: str) -> bool:
        return self._change_if(
            conv_id, ("waiting",), "closed", outcome=outcome, closed_at=time.time()
        )

    def _change_if(self, conv_id: str, states: tuple[str, ...], state: str, **changes: Any) -> bool:
        """Move a conversation in one of ``states`` to ``state`` with ``changes``, in one
        step; False if it is unknown or in another state."""
        with self._lock:
            conv = self._conversations.get(conv_id)
            if conv is None or conv.state not in states:
                return False
            self._conversations[conv_id] = replace(conv, state=state, **changes)
            return True

    def set_person_state(self, conv_id: str, state: str, now: float | None = None) -> None:
        with self._lock:
            conv = self._conversations.get(conv_id)
            if conv is not None:
                since = time.time() if now is None else now
                self._conversations[conv_id] = replace(conv, person=state, person_since=since)

    def transfer(self, conv_id: str, from_operator: int, handover: Handover) -> bool:
        with self._lock:
            conv = self._conversations.get(conv_id)
            if conv is None or conv.state != "active" or conv.operator_id != from_operator:
                return False
            self._conversations[conv_id] = replace(
                conv, operator_id=handover.to_operator, assigned_at=handover.created_at
            )
            self._handovers.setdefault(conv_id, []).append(replace(handover, conv=conv_id))
            return True

    def handovers(self, conv_id: str) -> list[Handover]:
        with self._lock:
            return list(self._handovers.get(conv_id, ()))

    def active_conversations(self) -> list[Conversation]:
        with self._lock:
            return sorted(self._where("active"), key=_assigned_at)

    def people_in_state(self, state: str, since_before: float) -> list[Conversation]:
        with self._lock:
            return [
                c
                for c in self._where("waiting", "active")
                if c.person == state and c.person_since < since_before
            ]

    def idle_conversations(self, before: float) -> list[Conversation]:
        with self._lock:
            return [
                c
                for c in self._where("waiting", "active")
                if c.person != "connected" and c.last_activity < before
            ]

    def purge_closed(self, closed_before: float) -> int:
        with self._lock:
            doomed = {
                c.id
                for c in self._where("closed")
                if c.closed_at is not None and c.closed_at < closed_before
            }
            for conv_id in doomed:
                del self._conversations[conv_id]
                self._handovers.pop(conv_id, None)
                self._forget(conv_id)
                for msg in self._messages.pop(conv_id, ()):
                    del self._by_client_id[(conv_id, msg.sender, msg.client_id)]
            for lookup_hash, (conv_id, _) in list(self._resume_codes.items()):
                if conv_id in doomed:
                    del self._resume_codes[lookup_hash]
            return len(doomed)

    def activity(self, since: float, until: float) -> ActivityCounts:
        with self._lock:
            started = [c for c in self._conversations.values() if since <= c.created_at < until]
            groups = Counter(
                (
                    c.who,
                    c.what,
                    c.lang,
                    c.outcome if c.state == "closed" else None,
                    c.danger,
                    c.person == "quick_exit",
                    c.assigned_at is not None,
                    c.state == "closed",
                )
                for c in started
            )
            # taken and never transferred: their first wait is known (see ActivityCounts)
            waits: list[float] = []
            durations: list[float] = []
            left = [
                c.person_since - c.created_at
                for c in started
                if c.assigned_at is None and c.person in LEFT_STATES
            ]
            for c in started:
                if c.assigned_at is None or self._handovers.get(c.id):
                    continue
                waits.append(c.assigned_at - c.created_at)
                if c.state == "closed" and c.closed_at is not None:
                    durations.append(c.closed_at - c.assigned_at)
        return tally_activity(
            (ActivityGroup(*key, count=n) for key, n in groups.items()),
            len(waits),
            statistics.median(waits) if waits else None,
            wait_buckets=Counter(bucket_index(w, WAIT_BUCKETS) for w in waits).items(),
            duration_buckets=Counter(bucket_index(d, DURATION_BUCKETS) for d in durations).items(),
            left_wait_buckets=Counter(bucket_index(w, WAIT_BUCKETS) for w in left).items(),
        )

    def started_series(self, bounds: Sequence[float]) -> list[int]:
        with self._lock:
            times = [c.created_at for c in self._conversations.values()]
        return count_in_intervals(times, bounds)

    # -- messages ------------------------------------------------------
    def append_message(
        self, conv_id: str, sender: str, client_id: str, body: bytes
    ) -> tuple[StoredMessage, bool]:
        with self._lock:
            first = self._by_client_id.get((conv_id, sender, client_id))
            if first is not None:
                return first, False
            conv = self._conversations.get(conv_id)
            if conv is None:
                raise KeyError(conv_id)
            now = time.time()
            msg = StoredMessage(conv_id, conv.last_seq + 1, sender, client_id, bytes(body), now)
            self._conversations[conv_id] = replace(conv, last_seq=msg.seq, last_activity=now)
            self._messages.setdefault(conv_id, []).append(msg)
            self._by_client_id[(conv_id, sender, client_id)] = msg
            return msg, True

    def messages_after(self, conv_id: str, after: int) -> list[StoredMessage]:
        with self._lock:
            # appended in sequence order, so the list is already sorted
            return [m for m in self._messages.get(conv_id, ()) if m.seq > after]

    # -- resume codes ----------------------------------------------------
    def put_resume_code(self, conv_id: str, lookup_hash: bytes, wrapped_key: bytes) -> None:
        with self._lock:
            if conv_id not in self._conversations:
                raise KeyError(conv_id)
            for old in [h for h, (c, _) in self._resume_codes.items() if c == conv_id]:
                del self._resume_codes[old]
            self._resume_codes[bytes(lookup_hash)] = (conv_id, bytes(wrapped_key))

    def find_resume_code(self, lookup_hash: bytes) -> tuple[str, bytes] | None:
        with self._lock:
            return self._resume_codes.get(bytes(lookup_hash))


def _assigned_at(conv: Conversation) -> float:
    return conv.assigned_at if conv.assigned_at is not None else conv.created_at
