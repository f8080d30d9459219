"""The store backend interface, and (re-exported) the records it keeps.

A store holds ciphertext and the minimal metadata an operator needs to triage a
conversation: never a message text, never a key that opens one. The records live in
:mod:`pnav.sdk.store_records` and the statistics in :mod:`pnav.sdk.store_activity`;
import both from here.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

from pnav.sdk.store_activity import (
    DURATION_BUCKETS,
    WAIT_BUCKETS,
    ActivityCounts,
    ActivityGroup,
    bucket_index,
    check_bounds,
    count_in_intervals,
    tally_activity,
)
from pnav.sdk.store_records import (
    CONSOLE_LANGS,
    CONVERSATION_STATES,
    LEFT_STATES,
    NOTE_KINDS,
    OUTCOMES,
    PERSON_STATES,
    ROLES,
    WHAT,
    WHO,
    CannedReply,
    Conversation,
    DeskKey,
    FloorTally,
    Handover,
    NewConversation,
    NewOperator,
    Note,
    Operator,
    StoredMessage,
    check_capacity,
    check_console_lang,
    check_note_kind,
    queue_order,
)

__all__ = [
    "CONSOLE_LANGS",
    "CONVERSATION_STATES",
    "DURATION_BUCKETS",
    "LEFT_STATES",
    "NOTE_KINDS",
    "OUTCOMES",
    "PERSON_STATES",
    "ROLES",
    "WAIT_BUCKETS",
    "WHAT",
    "WHO",
    "ActivityCounts",
    "ActivityGroup",
    "CannedReply",
    "Conversation",
    "DeskKey",
    "FloorTally",
    "Handover",
    "NewConversation",
    "NewOperator",
    "Note",
    "Operator",
    "Store",
    "StoredMessage",
    "bucket_index",
    "check_bounds",
    "check_capacity",
    "check_console_lang",
    "check_note_kind",
    "count_in_intervals",
    "queue_order",
    "tally_activity",
]


class Store(abc.ABC):
    """Where conversations, ciphertext and operator records live.

    Every method is safe to call from several threads at once.
    """

    # -- conversations -------------------------------------------------
    @abc.abstractmethod
    def create_conversation(self, new: NewConversation) -> Conversation: ...

    @abc.abstractmethod
    def get_conversation(self, conv_id: str) -> Conversation | None: ...

    @abc.abstractmethod
    def waiting_conversations(self) -> list[Conversation]:
        """Waiting conversations in :func:`queue_order` (danger first, then the oldest,
        then by id). A person ``gone`` or left by quick exit (:data:`LEFT_STATES`) has left
        before an answer and is not waiting; back in their place if they come back."""

    def queue_position(self, conv_id: str) -> int | None:
        """The conversation's place in :meth:`waiting_conversations` (1 is next), or None
        if it is not there. This default reads the whole queue; stores override it with
        a count, since every person who connects while waiting asks it."""
        for place, conv in enumerate(self.waiting_conversations(), start=1):
            if conv.id == conv_id:
                return place
        return None

    @abc.abstractmethod
    def operator_conversations(self, operator_id: int) -> list[Conversation]:
        """The operator's active conversations, oldest first."""

    @abc.abstractmethod
    def assign(self, conv_id: str, operator_id: int) -> bool:
        """Give a waiting conversation to an operator; False if it was not waiting."""

    @abc.abstractmethod
    def close_conversation(self, conv_id: str, outcome: str) -> bool:
        """Close an active or waiting conversation; False if it was already closed."""

    @abc.abstractmethod
    def close_waiting_conversation(self, conv_id: str, outcome: str) -> bool:
        """Close a conversation only if it is still waiting; False if it is not (taken by
        an operator, closed, unknown). Atomic against :meth:`assign` in any process:
        of the two, exactly one wins, so a conversation an operator has just taken is
        never closed under them (a supervisor closing a flood of fakes, say)."""

    @abc.abstractmethod
    def set_person_state(self, conv_id: str, state: str, now: float | None = None) -> None:
        """Record the person's connection state and when it changed (default: now)."""

    @abc.abstractmethod
    def transfer(self, conv_id: str, from_operator: int, handover: Handover) -> bool:
        """Move an active conversation held by ``from_operator`` to ``handover.to_operator``
        and record the handover; False if it is not active or not held by them."""

    @abc.abstractmethod
    def handovers(self, conv_id: str) -> list[Handover]:
        """The conversation's handovers, oldest first."""

    @abc.abstractmethod
    def active_conversations(self) -> list[Conversation]:
        """Every conversation held by an operator, oldest assignment first."""

    def floor_tally(self, overdue_before: float) -> FloorTally:
        """The floor in counts, for the readiness check and the floor alarms (every few
        seconds): the queue, its danger conversations, the active ones, and the danger
        conversations overdue: waiting since before ``overdue_before``, or held with the
        person's last message (the conversation's last) stored before it. This default
        reads every waiting and active conversation and the last message of each danger
        one; stores override it with counts in the database."""
        waiting = self.waiting_conversations()
        danger = [c for c in waiting if c.danger]
        overdue = sum(1 for c in danger if c.created_at < overdue_before)
        active = self.active_conversations()
        for conv in active:
            if conv.danger and conv.last_seq > 0:
                last = self.messages_after(conv.id, conv.last_seq - 1)
                overdue += bool(
                    last and last[-1].sender == "person" and last[-1].created_at < overdue_before
                )
        return FloorTally(len(waiting), len(danger), len(active), overdue)

    @abc.abstractmethod
    def people_in_state(self, state: str, since_before: float) -> list[Conversation]:
        """Open conversations whose person has been in ``state`` since before the time."""

    @abc.abstractmethod
    def idle_conversations(self, before: float) -> list[Conversation]:
        """Open conversations with no message since ``before`` and no person connected."""

    @abc.abstractmethod
    def purge_closed(self, closed_before: float) -> int:
        """Delete every trace of conversations closed before the time; returns how many.

        Deleted content must not stay readable in the backend's files."""

    @abc.abstractmethod
    def activity(self, since: float, until: float) -> ActivityCounts:
        """Counts over the conversations started at or after ``since`` and before
        ``until`` (epoch seconds); see :class:`ActivityCounts`. Counts only: a backend
        aggregates in the database (``GROUP BY``) and never returns conversation rows."""

    @abc.abstractmethod
    def started_series(self, bounds: Sequence[float]) -> list[int]:
        """How many conversations were started in each interval ``[bounds[i],
        bounds[i+1])`` (epoch seconds, strictly increasing, else ValueError): one count
        per interval, ``len(bounds) - 1`` of them (none for fewer than two bounds).
        Counts only, computed in the database like :meth:`activity`."""

    # -- notes and observers ---------------------------------------------
    @abc.abstractmethod
    def add_note(self, conv_id: str, author: int, kind: str, body: bytes) -> Note:
        """Store a note or a whisper (``kind``, one of :data:`NOTE_KINDS`) by operator
        ``author``; KeyError for an unknown conversation or operator, ValueError for a
        bad kind. Notes go with their conversation when it is purged."""

    @abc.abstractmethod
    def notes(self, conv_id: str) -> list[Note]:
        """The conversation's notes and whispers, oldest first (empty if unknown)."""

    @abc.abstractmethod
    def join_conversation(self, conv_id: str, operator_id: int) -> None:
        """Record that a supervisor observes the conversation; joining twice changes
        nothing. KeyError for an unknown conversation or operator."""

    @abc.abstractmethod
    def leave_conversation(self, conv_id: str, operator_id: int) -> None:
        """Stop observing; leaving a conversation one does not observe changes nothing."""

    @abc.abstractmethod
    def observers(self, conv_id: str) -> list[int]:
        """Ids of the operators observing the conversation, in joining order."""

    # -- messages ------------------------------------------------------
    @abc.abstractmethod
    def append_message(
        self, conv_id: str, sender: str, client_id: str, body: bytes
    ) -> tuple[StoredMessage, bool]:
        """Store a message under the next sequence number.

        Returns the stored message and whether it is new: a client id already
        stored for this conversation and sender returns the first copy, unchanged.
        """

    @abc.abstractmethod
    def messages_after(self, conv_id: str, after: int) -> list[StoredMessage]: ...

    # -- operators and desk keys --------------------------------------
    @abc.abstractmethod
    def add_operator(self, new: NewOperator) -> Operator:
        """Store a new operator; ValueError if an operator (removed ones too) has this
        username."""

    @abc.abstractmethod
    def remove_operator(self, operator_id: int) -> None:
        """Mark the operator removed and delete every desk key wrapped for them."""

    @abc.abstractmethod
    def get_operator(self, operator_id: int) -> Operator | None: ...

    @abc.abstractmethod
    def find_operator(self, username: str) -> Operator | None: ...

    @abc.abstractmethod
    def list_operators(self) -> list[Operator]: ...

    @abc.abstractmethod
    def set_capacity(self, operator_id: int, capacity: int | None) -> None:
        """Set how many conversations the operator may hold at once (None: the deployment
        default). KeyError for an unknown operator, ValueError for a capacity below 1."""

    @abc.abstractmethod
    def set_operator_lang(self, operator_id: int, lang: str | None) -> None:
        """Keep the console language the operator chose (None: their browser's). KeyError
        for an unknown operator, ValueError for a language not in CONSOLE_LANGS."""

    @abc.abstractmethod
    def add_desk_key(self, key: DeskKey, wraps: dict[int, bytes]) -> None:
        """Add a desk key (it becomes the current one) with its secret key wrapped for
        each operator id, in one transaction: ValueError if the key id exists, KeyError
        for an unknown operator id, and then nothing is stored."""

    @abc.abstractmethod
    def current_desk_key(self) -> DeskKey | None: ...

    @abc.abstractmethod
    def put_desk_key_wrap(self, operator_id: int, desk_key: str, wrapped: bytes) -> None: ...

    @abc.abstractmethod
    def desk_key_wraps(self, operator_id: int) -> dict[str, bytes]:
        """Desk key id -> that desk secret key, wrapped for this operator."""

    # -- resume codes ----------------------------------------------------
    @abc.abstractmethod
    def put_resume_code(self, conv_id: str, lookup_hash: bytes, wrapped_key: bytes) -> None:
        """Remember a conversation's resume code (replacing an earlier one): only the
        hash of its lookup id and the conversation key wrapped under its wrap key."""

    @abc.abstractmethod
    def find_resume_code(self, lookup_hash: bytes) -> tuple[str, bytes] | None:
        """(conversation id, wrapped key) for a lookup hash, or None."""

    # -- canned replies --------------------------------------------------
    @abc.abstractmethod
    def canned_replies(self, lang: str | None = None) -> list[CannedReply]:
        """The canned replies (only those in ``lang`` if given), by language, then title."""

    @abc.abstractmethod
    def put_canned_reply(
        self, lang: str, title: str, text: str, reply_id: int | None = None
    ) -> CannedReply:
        """Add a reply (``reply_id`` None) or replace reply ``reply_id`` (KeyError if there
        is none); returns it as stored, ``updated_at`` now."""

    @abc.abstractmethod
    def delete_canned_reply(self, reply_id: int) -> bool:
        """Delete a reply; False if there was none."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
