"""The store backend interface and the records it keeps.

A store holds ciphertext and the minimal metadata an operator needs to triage a
conversation: never a message text, never a key that opens one.
"""

from __future__ import annotations

import abc
import bisect
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "CONVERSATION_STATES",
    "DURATION_BUCKETS",
    "NOTE_KINDS",
    "OUTCOMES",
    "PERSON_STATES",
    "WAIT_BUCKETS",
    "WHAT",
    "WHO",
    "ActivityCounts",
    "ActivityGroup",
    "CannedReply",
    "Conversation",
    "DeskKey",
    "Handover",
    "NewConversation",
    "Note",
    "Operator",
    "Store",
    "StoredMessage",
    "bucket_index",
    "check_bounds",
    "check_capacity",
    "check_note_kind",
    "count_in_intervals",
    "tally_activity",
]

WHO = ("victim", "relative", "witness", "professional")
WHAT = (
    "sexual",
    "sexist",
    "domestic",
    "intra_family",
    "cyber_harassment",
    "discrimination",
    "other",
)
OUTCOMES = ("information", "referral", "report", "emergency", "person_left")
CONVERSATION_STATES = ("waiting", "active", "closed")
PERSON_STATES = ("connected", "reconnecting", "gone", "quick_exit")
ROLES = ("operator", "supervisor")
NOTE_KINDS = ("note", "whisper")

# Histogram buckets of the statistics: (label, upper bound in seconds, excluded; None for
# the last, open-ended one). A value falls in the first bucket whose bound it is below.
WAIT_BUCKETS: tuple[tuple[str, float | None], ...] = (
    ("<1 min", 60),
    ("1-5 min", 300),
    ("5-15 min", 900),
    ("15-30 min", 1800),
    ("30-60 min", 3600),
    ("1 h+", None),
)
DURATION_BUCKETS: tuple[tuple[str, float | None], ...] = (
    ("<5 min", 300),
    ("5-15 min", 900),
    ("15-30 min", 1800),
    ("30-60 min", 3600),
    ("1-2 h", 7200),
    ("2 h+", None),
)


@dataclass(frozen=True)
class NewConversation:
    partner: str
    who: str
    what: str
    danger: bool
    lang: str
    sealed_key: bytes
    desk_key: str


@dataclass(frozen=True)
class Conversation:
    id: str
    partner: str
    who: str
    what: str
    danger: bool
    lang: str
    sealed_key: bytes
    desk_key: str
    state: str
    person: str
    operator_id: int | None
    outcome: str | None
    created_at: float
    assigned_at: float | None
    closed_at: float | None
    last_seq: int
    # when ``person`` last changed, and when a message was last stored (epoch seconds)
    person_since: float
    last_activity: float


@dataclass(frozen=True)
class StoredMessage:
    conv: str
    seq: int
    sender: str  # "person" | "operator"
    client_id: str
    body: bytes
    created_at: float


@dataclass(frozen=True)
class Handover:
    """A deliberate transfer: the note is ciphertext under the conversation key."""

    conv: str
    from_operator: int | None
    to_operator: int
    note: bytes
    created_at: float


@dataclass(frozen=True)
class Operator:
    id: int
    username: str
    role: str
    salt: bytes
    kdf_ops: int
    kdf_mem: int
    auth_hash: bytes
    # X25519 public key derived from the operator's credentials; desk keys are sealed to it.
    public_key: bytes
    removed: bool
    # how many conversations the operator holds at once; None: the deployment default
    capacity: int | None = None


@dataclass(frozen=True)
class Note:
    """A private note on a conversation (by the operator), or a supervisor's whisper to
    the operator: ciphertext under the conversation key, never shown to the person."""

    conv: str
    id: int  # increasing per store (order of creation)
    author: int  # operator id
    kind: str  # one of NOTE_KINDS
    body: bytes
    created_at: float


@dataclass(frozen=True)
class CannedReply:
    """A ready-made reply, written by supervisors, in one language. Not conversation
    content: stored in clear."""

    id: int
    lang: str
    title: str
    text: str
    updated_at: float


def check_note_kind(kind: str) -> None:
    """ValueError unless ``kind`` is one of :data:`NOTE_KINDS` (every store checks)."""
    if kind not in NOTE_KINDS:
        raise ValueError(f"a note's kind must be one of {', '.join(NOTE_KINDS)}, not {kind!r}")


def check_capacity(capacity: int | None) -> None:
    """ValueError unless ``capacity`` is None or a whole number of at least 1."""
    if capacity is None:
        return
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
        raise ValueError(f"capacity must be None or a whole number of at least 1, not {capacity!r}")


@dataclass(frozen=True)
class DeskKey:
    id: str
    public: bytes
    created_at: float


@dataclass(frozen=True)
class ActivityCounts:
    """Aggregate counts over the conversations started in a time range.

    Counts only: no conversation id, no operator, no content, no per-person row. A
    conversation belongs to the range it was *started* in (``created_at``); ``taken``,
    ``closed``, the outcome and ``quick_exits`` say what has become of those
    conversations by now. ``by_outcome`` counts closed conversations only.

    ``median_wait`` is the median, in seconds, of the time from start to being taken
    over the ``waits_measured`` conversations taken and never transferred (a transfer
    moves ``assigned_at`` to the handover, so their first wait is unknown); None when
    there is none.

    ``wait_buckets`` counts those same conversations by their wait, and
    ``duration_buckets`` the closed ones among them by the time from being taken to
    being closed, under the labels of :data:`WAIT_BUCKETS` and :data:`DURATION_BUCKETS`
    (every label, in that order, zeros included).
    """

    started: int = 0
    taken: int = 0
    closed: int = 0
    danger: int = 0
    quick_exits: int = 0
    by_who: dict[str, int] = field(default_factory=dict)
    by_what: dict[str, int] = field(default_factory=dict)
    by_outcome: dict[str, int] = field(default_factory=dict)
    by_lang: dict[str, int] = field(default_factory=dict)
    waits_measured: int = 0
    median_wait: float | None = None
    wait_buckets: dict[str, int] = field(default_factory=lambda: _zeros(WAIT_BUCKETS))
    duration_buckets: dict[str, int] = field(default_factory=lambda: _zeros(DURATION_BUCKETS))


def _zeros(buckets: Sequence[tuple[str, float | None]]) -> dict[str, int]:
    return dict.fromkeys((label for label, _ in buckets), 0)


def bucket_index(seconds: float, buckets: Sequence[tuple[str, float | None]]) -> int:
    """Which bucket a duration falls in (what the stores' ``CASE`` computes)."""
    for i, (_, below) in enumerate(buckets):
        if below is None or seconds < below:
            return i
    raise ValueError("the last bucket must be open-ended (bound None)")


def _bucketed(
    rows: Iterable[tuple[int, int]], buckets: Sequence[tuple[str, float | None]]
) -> dict[str, int]:
    counts = _zeros(buckets)
    labels = list(counts)
    for index, n in rows:
        counts[labels[int(index)]] += int(n)
    return counts


def check_bounds(bounds: Sequence[float]) -> None:
    """ValueError unless the bounds of :meth:`Store.started_series` strictly increase."""
    if not all(a < b for a, b in itertools.pairwise(bounds)):
        raise ValueError("bounds must be strictly increasing epoch seconds")


def count_in_intervals(times: Iterable[float], bounds: Sequence[float]) -> list[int]:
    """How many ``times`` fall in each ``[bounds[i], bounds[i+1])`` (the in-memory way)."""
    check_bounds(bounds)
    counts = [0] * max(0, len(bounds) - 1)
    for t in times:
        i = bisect.bisect_right(bounds, t) - 1
        if 0 <= i < len(counts):
            counts[i] += 1
    return counts


@dataclass(frozen=True)
class ActivityGroup:
    """One row of a store's ``GROUP BY``: how many conversations share these values."""

    who: str
    what: str
    lang: str
    outcome: str | None
    danger: bool
    quick_exit: bool
    taken: bool
    closed: bool
    count: int


def tally_activity(
    groups: Iterable[ActivityGroup],
    waits_measured: int = 0,
    median_wait: float | None = None,
    *,
    wait_buckets: Iterable[tuple[int, int]] = (),
    duration_buckets: Iterable[tuple[int, int]] = (),
) -> ActivityCounts:
    """Sum grouped rows into :class:`ActivityCounts` (what every store's ``activity`` does).

    ``wait_buckets`` and ``duration_buckets`` are ``(bucket index, count)`` rows, indexes
    into :data:`WAIT_BUCKETS` and :data:`DURATION_BUCKETS`."""
    totals = {"started": 0, "taken": 0, "closed": 0, "danger": 0, "quick_exits": 0}
    by: dict[str, dict[str, int]] = {"who": {}, "what": {}, "outcome": {}, "lang": {}}
    for g in groups:
        n = int(g.count)
        if n <= 0:
            continue
        totals["started"] += n
        totals["taken"] += n if g.taken else 0
        totals["closed"] += n if g.closed else 0
        totals["danger"] += n if g.danger else 0
        totals["quick_exits"] += n if g.quick_exit else 0
        for name, key in (("who", g.who), ("what", g.what), ("lang", g.lang)):
            by[name][key] = by[name].get(key, 0) + n
        if g.closed and g.outcome is not None:
            by["outcome"][g.outcome] = by["outcome"].get(g.outcome, 0) + n
    return ActivityCounts(
        **totals,
        by_who=by["who"],
        by_what=by["what"],
        by_outcome=by["outcome"],
        by_lang=by["lang"],
        waits_measured=waits_measured if waits_measured else 0,
        median_wait=median_wait if waits_measured else None,
        wait_buckets=_bucketed(wait_buckets, WAIT_BUCKETS),
        duration_buckets=_bucketed(duration_buckets, DURATION_BUCKETS),
    )


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
        """Waiting conversations, danger first, then oldest first."""

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
    def add_operator(
        self,
        username: str,
        role: str,
        salt: bytes,
        kdf_ops: int,
        kdf_mem: int,
        auth_hash: bytes,
        public_key: bytes,
    ) -> Operator: ...

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
    def add_desk_key(self, key: DeskKey, wraps: dict[int, bytes]) -> None:
        """Add a desk key (it becomes the current one) with its secret key wrapped for
        each operator id, in one transaction."""

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
