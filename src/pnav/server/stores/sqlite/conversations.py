"""The SQLite store's conversations: their life from waiting to closed, handovers,
messages and resume codes."""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import Any, TypeVar, cast

from pnav.sdk.store import Conversation, FloorTally, Handover, NewConversation, StoredMessage
from pnav.server.stores.floor_sql import floor_tally_sql
from pnav.server.stores.group_commit import Append, GroupCommit, Outcome
from pnav.server.stores.sqlite.queries import SQLiteQueries

__all__ = ["SQLiteConversations"]

R = TypeVar("R")
# A write run inside a shared transaction; it returns a value (never None).
Write = Callable[[sqlite3.Connection], Any]

_FLOOR_TALLY = floor_tally_sql("?")
_CONV_COLUMNS = (
    "id, partner, who, what, danger, lang, sealed_key, desk_key, state, person, "
    "operator_id, outcome, created_at, assigned_at, closed_at, last_seq, person_since, "
    "last_activity"
)


# The columns in the order of Conversation's fields, so that a row is its arguments:
# three times faster than by name, which counts when a read returns every active
# conversation (the floor, at 1,000 of them, holds a gevent worker's loop meanwhile).
assert _CONV_COLUMNS.split(", ") == [f.name for f in fields(Conversation)]


def _conversation(row: sqlite3.Row) -> Conversation:
    return Conversation(row[0], row[1], row[2], row[3], bool(row[4]), *row[5:])


class SQLiteConversations(SQLiteQueries):
    """The conversations' part of :class:`~pnav.server.stores.sqlite.store.SQLiteStore`."""

    _writes: GroupCommit[Write, Any]

    def _batched(self, write: Callable[[sqlite3.Connection], R]) -> R:
        """Run ``write`` in a transaction shared with the writes that arrive with it
        (group_commit.py): one fsync for all, and its result once that is durable. It
        runs under a savepoint, so an error refuses this write alone."""
        return cast(R, self._writes.submit(write))

    def _write_batch(self, batch: Sequence[Write]) -> list[Outcome[Any]]:
        outcomes: list[Outcome[Any]] = []
        with self._tx() as db:
            for write in batch:
                db.execute("SAVEPOINT item")
                try:
                    outcomes.append((write(db), None))
                except Exception as exc:  # this write is refused, the others go on
                    db.execute("ROLLBACK TO item")
                    outcomes.append((None, exc))
                db.execute("RELEASE item")
        return outcomes

    # -- conversations -------------------------------------------------
    def create_conversation(self, new: NewConversation) -> Conversation:
        conv_id = secrets.token_urlsafe(16)

        def write(db: sqlite3.Connection) -> bool:
            now = time.time()
            db.execute(
                "INSERT INTO conversations (id, partner, who, what, danger, lang, sealed_key, "
                "desk_key, created_at, person_since, last_activity) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    conv_id,
                    new.partner,
                    new.who,
                    new.what,
                    int(new.danger),
                    new.lang,
                    new.sealed_key,
                    new.desk_key,
                    now,
                    now,
                    now,
                ),
            )
            return True

        self._batched(write)
        conv = self.get_conversation(conv_id)
        assert conv is not None
        return conv

    def get_conversation(self, conv_id: str) -> Conversation | None:
        sql = f"SELECT {_CONV_COLUMNS} FROM conversations WHERE id = ?"  # noqa: S608
        row = self._one(sql, conv_id)
        return _conversation(row) if row else None

    def waiting_conversations(self) -> list[Conversation]:
        rows = self._all(
            f"SELECT {_CONV_COLUMNS} FROM conversations WHERE state = 'waiting' "  # noqa: S608 - fixed column list
            "AND person NOT IN ('gone', 'quick_exit') "
            "ORDER BY danger DESC, created_at, id"  # pnav.sdk.store.queue_order (BINARY collation)
        )
        return [_conversation(r) for r in rows]

    def queue_position(self, conv_id: str) -> int | None:
        # The waiting conversations before this one in queue_order, counted in the database.
        row = self._one(
            "SELECT CASE WHEN c.state = 'waiting' AND c.person NOT IN ('gone', 'quick_exit') "
            "THEN 1 + (SELECT COUNT(*) FROM conversations w WHERE w.state = 'waiting' "
            "AND w.person NOT IN ('gone', 'quick_exit') "
            "AND (-w.danger, w.created_at, w.id) < (-c.danger, c.created_at, c.id)) END "
            "FROM conversations c WHERE c.id = ?",
            conv_id,
        )
        return None if row is None or row[0] is None else int(row[0])

    def operator_conversations(self, operator_id: int) -> list[Conversation]:
        rows = self._all(
            f"SELECT {_CONV_COLUMNS} FROM conversations WHERE state = 'active' "  # noqa: S608 - fixed column list
            "AND operator_id = ? ORDER BY assigned_at ASC",
            operator_id,
        )
        return [_conversation(r) for r in rows]

    def assign(self, conv_id: str, operator_id: int) -> bool:
        def write(db: sqlite3.Connection) -> bool:
            cur = db.execute(
                "UPDATE conversations SET state = 'active', operator_id = ?, assigned_at = ? "
                "WHERE id = ? AND state = 'waiting'",
                (operator_id, time.time(), conv_id),
            )
            return cur.rowcount == 1

        return self._batched(write)

    def close_conversation(self, conv_id: str, outcome: str) -> bool:
        return self._close(conv_id, outcome, "state != 'closed'")

    def close_waiting_conversation(self, conv_id: str, outcome: str) -> bool:
        return self._close(conv_id, outcome, "state = 'waiting'")

    def _close(self, conv_id: str, outcome: str, condition: str) -> bool:
        with self._tx() as db:
            cur = db.execute(
                "UPDATE conversations SET state = 'closed', outcome = ?, closed_at = ? "  # noqa: S608 - fixed conditions
                f"WHERE id = ? AND {condition}",
                (outcome, time.time(), conv_id),
            )
            return cur.rowcount == 1

    def set_person_state(self, conv_id: str, state: str, now: float | None = None) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE conversations SET person = ?, person_since = ? WHERE id = ?",
                (state, time.time() if now is None else now, conv_id),
            )

    def transfer(self, conv_id: str, from_operator: int, handover: Handover) -> bool:
        with self._tx() as db:
            cur = db.execute(
                "UPDATE conversations SET operator_id = ?, assigned_at = ? "
                "WHERE id = ? AND state = 'active' AND operator_id = ?",
                (handover.to_operator, handover.created_at, conv_id, from_operator),
            )
            if cur.rowcount != 1:
                return False
            db.execute(
                "INSERT INTO handovers (conv, from_operator, to_operator, note, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    conv_id,
                    handover.from_operator,
                    handover.to_operator,
                    handover.note,
                    handover.created_at,
                ),
            )
            return True

    def handovers(self, conv_id: str) -> list[Handover]:
        rows = self._all(
            "SELECT conv, from_operator, to_operator, note, created_at FROM handovers "
            "WHERE conv = ? ORDER BY id",
            conv_id,
        )
        return [
            Handover(r["conv"], r["from_operator"], r["to_operator"], bytes(r["note"]), r[4])
            for r in rows
        ]

    def active_conversations(self) -> list[Conversation]:
        rows = self._all(
            f"SELECT {_CONV_COLUMNS} FROM conversations WHERE state = 'active' "  # noqa: S608 - fixed column list
            "ORDER BY assigned_at ASC"
        )
        return [_conversation(r) for r in rows]

    def floor_tally(self, overdue_before: float) -> FloorTally:
        row = self._one(_FLOOR_TALLY, overdue_before, overdue_before)
        assert row is not None  # an aggregate always has its row
        return FloorTally(*(int(v) for v in row))

    def people_in_state(self, state: str, since_before: float) -> list[Conversation]:
        rows = self._all(
            f"SELECT {_CONV_COLUMNS} FROM conversations WHERE state != 'closed' "  # noqa: S608 - fixed column list
            "AND person = ? AND person_since < ?",
            state,
            since_before,
        )
        return [_conversation(r) for r in rows]

    def idle_conversations(self, before: float) -> list[Conversation]:
        rows = self._all(
            f"SELECT {_CONV_COLUMNS} FROM conversations WHERE state != 'closed' "  # noqa: S608 - fixed column list
            "AND person != 'connected' AND last_activity < ?",
            before,
        )
        return [_conversation(r) for r in rows]

    # -- messages ------------------------------------------------------
    def append_message(
        self, conv_id: str, sender: str, client_id: str, body: bytes
    ) -> tuple[StoredMessage, bool]:
        # Appends arriving together share one transaction and one fsync (group_commit.py).
        item = Append(conv_id, sender, client_id, body)
        return self._batched(lambda db: _append(db, item))

    def messages_after(self, conv_id: str, after: int) -> list[StoredMessage]:
        rows = self._all(
            "SELECT conv, seq, sender, client_id, body, created_at FROM messages "
            "WHERE conv = ? AND seq > ? ORDER BY seq",
            conv_id,
            after,
        )
        return [_message(r) for r in rows]

    # -- resume codes ----------------------------------------------------
    def put_resume_code(self, conv_id: str, lookup_hash: bytes, wrapped_key: bytes) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM resume_codes WHERE conv = ?", (conv_id,))
            db.execute(
                "INSERT INTO resume_codes (lookup_hash, conv, wrapped_key, created_at) "
                "VALUES (?, ?, ?, ?)",
                (lookup_hash, conv_id, wrapped_key, time.time()),
            )

    def find_resume_code(self, lookup_hash: bytes) -> tuple[str, bytes] | None:
        row = self._one(
            "SELECT conv, wrapped_key FROM resume_codes WHERE lookup_hash = ?", lookup_hash
        )
        return (row["conv"], bytes(row["wrapped_key"])) if row else None


def _append(db: sqlite3.Connection, item: Append) -> tuple[StoredMessage, bool]:
    """One append inside the batch's transaction (which holds SQLite's write lock, so
    the de-duplicating read and the numbering cannot race another writer)."""
    conv_id, sender, client_id, body = item
    row = db.execute(
        "SELECT conv, seq, sender, client_id, body, created_at FROM messages "
        "WHERE conv = ? AND sender = ? AND client_id = ?",
        (conv_id, sender, client_id),
    ).fetchone()
    if row is not None:
        return _message(row), False
    now = time.time()
    seq_row = db.execute(
        "UPDATE conversations SET last_seq = last_seq + 1, last_activity = ? "
        "WHERE id = ? RETURNING last_seq",
        (now, conv_id),
    ).fetchone()
    if seq_row is None:
        raise KeyError(conv_id)
    msg = StoredMessage(conv_id, int(seq_row[0]), sender, client_id, body, now)
    db.execute(
        "INSERT INTO messages (conv, seq, sender, client_id, body, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (msg.conv, msg.seq, msg.sender, msg.client_id, msg.body, msg.created_at),
    )
    return msg, True


def _message(row: sqlite3.Row) -> StoredMessage:
    # Every read of messages selects "conv, seq, sender, client_id, body, created_at",
    # StoredMessage's fields in order (a BLOB reads as bytes).
    return StoredMessage(*row)
