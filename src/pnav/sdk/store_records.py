"""The records a :class:`~pnav.sdk.store.Store` keeps, and the values their fields take.

Ciphertext and the minimal metadata an operator needs to triage a conversation: never
a message text, never a key that opens one. Import them from :mod:`pnav.sdk.store`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CONSOLE_LANGS",
    "CONVERSATION_STATES",
    "LEFT_STATES",
    "NOTE_KINDS",
    "OUTCOMES",
    "PERSON_STATES",
    "ROLES",
    "WHAT",
    "WHO",
    "CannedReply",
    "Conversation",
    "DeskKey",
    "FloorTally",
    "Handover",
    "NewConversation",
    "NewOperator",
    "Note",
    "Operator",
    "StoredMessage",
    "check_capacity",
    "check_console_lang",
    "check_note_kind",
    "queue_order",
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
# "abuse": closed by a supervisor as a fake (a flood of fake conversations, say).
OUTCOMES = ("information", "referral", "report", "emergency", "person_left", "abuse")
CONVERSATION_STATES = ("waiting", "active", "closed")
PERSON_STATES = ("connected", "reconnecting", "gone", "quick_exit")
# a person in one of these states has left: a waiting conversation leaves the queue
LEFT_STATES = ("gone", "quick_exit")
ROLES = ("operator", "supervisor", "psychologist")
# the languages a console can be shown in, kept with the account (Store.set_operator_lang)
CONSOLE_LANGS = ("en", "fr")
NOTE_KINDS = ("note", "whisper")


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
class NewOperator:
    """What :meth:`~pnav.sdk.store.Store.add_operator` stores for a new account: the
    salt and KDF cost the console derives the operator's keys with, the hash of the
    login key derived from the password (never the password), and the public key the
    desk key is wrapped to (pnav.server.operators.desk.enrol_operator makes them)."""

    username: str
    role: str
    salt: bytes
    kdf_ops: int
    kdf_mem: int
    auth_hash: bytes
    public_key: bytes


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


def queue_order(conv: Conversation) -> tuple[bool, float, str]:
    """The order of the queue, the one rule every store's ``waiting_conversations``
    follows (and so the order routing offers conversations in and people see their
    position in): a person in danger first, then the one waiting longest, then by id
    (code-point order), so that equal times still give one order in every store and
    every process. SQL stores write it as ``ORDER BY danger DESC, created_at, id`` with
    a binary collation for ``id``; the store contract checks each store against this
    function."""
    return (not conv.danger, conv.created_at, conv.id)


@dataclass(frozen=True)
class FloorTally:
    """The floor in counts (``Store.floor_tally``): no id, no content."""

    waiting: int  # in the queue (``Store.waiting_conversations``)
    waiting_danger: int  # of which marked in danger
    active: int  # held by an operator
    # Danger conversations in the queue since before the bound, or held, with the
    # person's last message unanswered since before it.
    danger_overdue: int


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
    # the console's language chosen by the operator (CONSOLE_LANGS); None: the browser's
    lang: str | None = None


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


@dataclass(frozen=True)
class DeskKey:
    id: str
    public: bytes
    created_at: float


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


def check_console_lang(lang: str | None) -> None:
    """ValueError unless ``lang`` is one of :data:`CONSOLE_LANGS` or None."""
    if lang is not None and lang not in CONSOLE_LANGS:
        raise ValueError(f"console language must be one of {', '.join(CONSOLE_LANGS)}, or None")
