"""The embedded default store: one SQLite file in WAL mode."""

from __future__ import annotations

import itertools
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pnav.sdk.store import (
    ActivityCounts,
    ActivityGroup,
    CannedReply,
    Conversation,
    DeskKey,
    Handover,
    NewConversation,
    Note,
    Operator,
    Store,
    StoredMessage,
    check_bounds,
    check_capacity,
    check_note_kind,
    tally_activity,
)

from .activity_sql import duration_histogram, wait_histogram

__all__ = ["MIGRATIONS", "Migration", "SQLiteStore", "SchemaVersionError", "upgrade"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    partner TEXT NOT NULL,
    who TEXT NOT NULL,
    what TEXT NOT NULL,
    danger INTEGER NOT NULL,
    lang TEXT NOT NULL,
    sealed_key BLOB NOT NULL,
    desk_key TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'waiting',
    person TEXT NOT NULL DEFAULT 'connected',
    operator_id INTEGER REFERENCES operators(id),
    outcome TEXT,
    created_at REAL NOT NULL,
    assigned_at REAL,
    closed_at REAL,
    last_seq INTEGER NOT NULL DEFAULT 0,
    person_since REAL NOT NULL,
    last_activity REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_state ON conversations(state, operator_id);
CREATE TABLE IF NOT EXISTS messages (
    conv TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    sender TEXT NOT NULL,
    client_id TEXT NOT NULL,
    body BLOB NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (conv, seq),
    UNIQUE (conv, sender, client_id)
);
CREATE TABLE IF NOT EXISTS handovers (
    id INTEGER PRIMARY KEY,
    conv TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    from_operator INTEGER,
    to_operator INTEGER NOT NULL,
    note BLOB NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS handovers_conv ON handovers(conv);
CREATE TABLE IF NOT EXISTS operators (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    salt BLOB NOT NULL,
    kdf_ops INTEGER NOT NULL,
    kdf_mem INTEGER NOT NULL,
    auth_hash BLOB NOT NULL,
    public_key BLOB NOT NULL,
    removed INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS resume_codes (
    lookup_hash BLOB PRIMARY KEY,
    conv TEXT NOT NULL UNIQUE REFERENCES conversations(id) ON DELETE CASCADE,
    wrapped_key BLOB NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS desk_keys (
    id TEXT PRIMARY KEY,
    public BLOB NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS desk_key_wraps (
    operator_id INTEGER NOT NULL REFERENCES operators(id),
    desk_key TEXT NOT NULL REFERENCES desk_keys(id),
    wrapped BLOB NOT NULL,
    PRIMARY KEY (operator_id, desk_key)
);
"""

_CONV_COLUMNS = (
    "id, partner, who, what, danger, lang, sealed_key, desk_key, state, person, "
    "operator_id, outcome, created_at, assigned_at, closed_at, last_seq, person_since, "
    "last_activity"
)


def _statements(script: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in script.split(";") if s.strip())


class SchemaVersionError(RuntimeError):
    """The database's schema is not the one this pnav uses; the message says what to do."""


@dataclass(frozen=True)
class Migration:
    """One schema version: the statements that bring the previous version to it."""

    version: int
    description: str
    statements: tuple[str, ...]


# Version 3: notes and whispers (ciphertext, purged with their conversation), who observes
# a conversation, operators' capacity, canned replies, an index for the statistics.
# AUTOINCREMENT: an id is never reused, so note ids keep increasing and a stale page
# cannot edit another reply.
_SCHEMA_3 = """
ALTER TABLE operators ADD COLUMN capacity INTEGER;
CREATE INDEX conversations_created ON conversations(created_at);
CREATE TABLE notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conv TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    author INTEGER NOT NULL REFERENCES operators(id),
    kind TEXT NOT NULL,
    body BLOB NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX notes_conv ON notes(conv);
CREATE TABLE observers (
    joined INTEGER PRIMARY KEY AUTOINCREMENT,
    conv TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    operator_id INTEGER NOT NULL REFERENCES operators(id),
    UNIQUE (conv, operator_id)
);
CREATE TABLE canned_replies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    lang TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX canned_replies_lang ON canned_replies(lang, title)
"""

# One step per schema change, applied in order by ``pnav db upgrade`` (:func:`upgrade`); a
# new database runs them all. Version 2 is the first released schema: files from earlier
# versions predate releases and are refused, not guessed at.
MIGRATIONS: list[Migration] = [
    Migration(
        2,
        "conversations, messages, handovers, operators, resume codes, desk keys",
        _statements(_SCHEMA),
    ),
    Migration(
        3,
        "notes and whispers, observers, operators' capacity, canned replies, statistics index",
        _statements(_SCHEMA_3),
    ),
]
SCHEMA_VERSION = MIGRATIONS[-1].version


def _conversation(row: sqlite3.Row) -> Conversation:
    values: dict[str, Any] = dict(row)
    values["danger"] = bool(values["danger"])
    values["sealed_key"] = bytes(values["sealed_key"])
    return Conversation(**values)


def _operator(row: sqlite3.Row) -> Operator:
    values: dict[str, Any] = dict(row)
    values.pop("created_at")
    values["removed"] = bool(values["removed"])
    values["public_key"] = bytes(values["public_key"])
    return Operator(**values)


class SQLiteStore(Store):
    """One connection guarded by a lock: SQLite serialises writers anyway."""

    @classmethod
    def from_options(cls, options: dict[str, Any], context: dict[str, Any]) -> SQLiteStore:
        """Registry hook: ``path`` option, else the ``database`` setting's path."""
        path = options.pop("path", None) or context["database_path"]
        if options:
            raise ValueError(f"unknown options {', '.join(sorted(options))} (known: path)")
        return cls(path)

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA synchronous=FULL")
        # Deleted rows are overwritten on disk, so purged ciphertext does not linger in free pages.
        self._db.execute("PRAGMA secure_delete=ON")
        try:
            _migrate(self._db, self.path, upgrading=False)
        except BaseException:
            self._db.close()
            raise

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _all(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _one(self, sql: str, *args: Any) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._db.execute(sql, args).fetchone()
            return row

    # -- conversations -------------------------------------------------
    def create_conversation(self, new: NewConversation) -> Conversation:
        conv_id = secrets.token_urlsafe(16)
        with self._tx() as db:
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
            "ORDER BY danger DESC, created_at ASC"
        )
        return [_conversation(r) for r in rows]

    def operator_conversations(self, operator_id: int) -> list[Conversation]:
        rows = self._all(
            f"SELECT {_CONV_COLUMNS} FROM conversations WHERE state = 'active' "  # noqa: S608 - fixed column list
            "AND operator_id = ? ORDER BY assigned_at ASC",
            operator_id,
        )
        return [_conversation(r) for r in rows]

    def assign(self, conv_id: str, operator_id: int) -> bool:
        with self._tx() as db:
            cur = db.execute(
                "UPDATE conversations SET state = 'active', operator_id = ?, assigned_at = ? "
                "WHERE id = ? AND state = 'waiting'",
                (operator_id, time.time(), conv_id),
            )
            return cur.rowcount == 1

    def close_conversation(self, conv_id: str, outcome: str) -> bool:
        with self._tx() as db:
            cur = db.execute(
                "UPDATE conversations SET state = 'closed', outcome = ?, closed_at = ? "
                "WHERE id = ? AND state != 'closed'",
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

    def purge_closed(self, closed_before: float) -> int:
        with self._tx() as db:
            cur = db.execute(
                "DELETE FROM conversations WHERE state = 'closed' AND closed_at < ?",
                (closed_before,),
            )
            count = cur.rowcount
        if count:
            with self._lock:
                # secure_delete zeroed the freed pages; the write-ahead log still holds
                # copies of them until it is checkpointed and truncated.
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return count

    def activity(self, since: float, until: float) -> ActivityCounts:
        with self._lock:  # one connection under the lock: both queries see one state
            groups = self._db.execute(
                "SELECT who, what, lang, CASE WHEN state = 'closed' THEN outcome END, "
                "danger, person = 'quick_exit', assigned_at IS NOT NULL, state = 'closed', "
                "count(*) FROM conversations WHERE created_at >= ? AND created_at < ? "
                "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8",
                (since, until),
            ).fetchall()
            measured = (
                "FROM conversations c WHERE created_at >= ? AND created_at < ? "
                "AND assigned_at IS NOT NULL "
                "AND NOT EXISTS (SELECT 1 FROM handovers h WHERE h.conv = c.id)"
            )
            n = int(self._db.execute("SELECT count(*) " + measured, (since, until)).fetchone()[0])
            middle = self._db.execute(
                "SELECT assigned_at - created_at AS wait " + measured + " "
                "ORDER BY wait LIMIT ? OFFSET ?",
                (since, until, 2 - n % 2, (n - 1) // 2),
            ).fetchall()
            sql, bounds = wait_histogram("?")
            waits = self._db.execute(sql, (*bounds, since, until)).fetchall()
            sql, bounds = duration_histogram("?")
            durations = self._db.execute(sql, (*bounds, since, until)).fetchall()
        return tally_activity(
            (
                ActivityGroup(
                    r[0], r[1], r[2], r[3], bool(r[4]), bool(r[5]), bool(r[6]), bool(r[7]), r[8]
                )
                for r in groups
            ),
            n,
            sum(float(r[0]) for r in middle) / len(middle) if middle else None,
            wait_buckets=[(r[0], r[1]) for r in waits],
            duration_buckets=[(r[0], r[1]) for r in durations],
        )

    def started_series(self, bounds: Sequence[float]) -> list[int]:
        check_bounds(bounds)
        if len(bounds) < 2:
            return []
        intervals = json.dumps([[float(a), float(b)] for a, b in itertools.pairwise(bounds)])
        rows = self._all(
            "SELECT b.key, count(c.created_at) FROM json_each(?) b "
            "LEFT JOIN conversations c ON c.created_at >= json_extract(b.value, '$[0]') "
            "AND c.created_at < json_extract(b.value, '$[1]') GROUP BY b.key ORDER BY b.key",
            intervals,
        )
        return [int(r[1]) for r in rows]

    # -- notes and observers ---------------------------------------------
    def add_note(self, conv_id: str, author: int, kind: str, body: bytes) -> Note:
        check_note_kind(kind)
        with self._tx() as db:
            _known(db, conv_id, author)
            now = time.time()
            cur = db.execute(
                "INSERT INTO notes (conv, author, kind, body, created_at) "
                "VALUES (?, ?, ?, ?, ?) RETURNING id",
                (conv_id, author, kind, body, now),
            )
            note_id = int(cur.fetchone()[0])
        return Note(conv_id, note_id, author, kind, bytes(body), now)

    def notes(self, conv_id: str) -> list[Note]:
        rows = self._all(
            "SELECT conv, id, author, kind, body, created_at FROM notes WHERE conv = ? ORDER BY id",
            conv_id,
        )
        return [Note(r[0], r[1], r[2], r[3], bytes(r[4]), r[5]) for r in rows]

    def join_conversation(self, conv_id: str, operator_id: int) -> None:
        with self._tx() as db:
            _known(db, conv_id, operator_id)
            db.execute(
                "INSERT OR IGNORE INTO observers (conv, operator_id) VALUES (?, ?)",
                (conv_id, operator_id),
            )

    def leave_conversation(self, conv_id: str, operator_id: int) -> None:
        with self._tx() as db:
            db.execute(
                "DELETE FROM observers WHERE conv = ? AND operator_id = ?", (conv_id, operator_id)
            )

    def observers(self, conv_id: str) -> list[int]:
        rows = self._all(
            "SELECT operator_id FROM observers WHERE conv = ? ORDER BY joined", conv_id
        )
        return [int(r[0]) for r in rows]

    # -- messages ------------------------------------------------------
    def append_message(
        self, conv_id: str, sender: str, client_id: str, body: bytes
    ) -> tuple[StoredMessage, bool]:
        with self._tx() as db:
            row = db.execute(
                "SELECT conv, seq, sender, client_id, body, created_at FROM messages "
                "WHERE conv = ? AND sender = ? AND client_id = ?",
                (conv_id, sender, client_id),
            ).fetchone()
            if row is not None:
                return _message(row), False
            now = time.time()
            cur = db.execute(
                "UPDATE conversations SET last_seq = last_seq + 1, last_activity = ? "
                "WHERE id = ? RETURNING last_seq",
                (now, conv_id),
            )
            seq_row = cur.fetchone()
            if seq_row is None:
                raise KeyError(conv_id)
            msg = StoredMessage(conv_id, int(seq_row[0]), sender, client_id, body, now)
            db.execute(
                "INSERT INTO messages (conv, seq, sender, client_id, body, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (msg.conv, msg.seq, msg.sender, msg.client_id, msg.body, msg.created_at),
            )
            return msg, True

    def messages_after(self, conv_id: str, after: int) -> list[StoredMessage]:
        rows = self._all(
            "SELECT conv, seq, sender, client_id, body, created_at FROM messages "
            "WHERE conv = ? AND seq > ? ORDER BY seq",
            conv_id,
            after,
        )
        return [_message(r) for r in rows]

    # -- operators and desk keys --------------------------------------
    def add_operator(
        self,
        username: str,
        role: str,
        salt: bytes,
        kdf_ops: int,
        kdf_mem: int,
        auth_hash: bytes,
        public_key: bytes,
    ) -> Operator:
        with self._tx() as db:
            db.execute(
                "INSERT INTO operators (username, role, salt, kdf_ops, kdf_mem, auth_hash, "
                "public_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (username, role, salt, kdf_ops, kdf_mem, auth_hash, public_key, time.time()),
            )
        op = self.find_operator(username)
        assert op is not None
        return op

    def get_operator(self, operator_id: int) -> Operator | None:
        row = self._one("SELECT * FROM operators WHERE id = ?", operator_id)
        return _operator(row) if row else None

    def find_operator(self, username: str) -> Operator | None:
        row = self._one("SELECT * FROM operators WHERE username = ?", username)
        return _operator(row) if row else None

    def list_operators(self) -> list[Operator]:
        return [_operator(r) for r in self._all("SELECT * FROM operators ORDER BY id")]

    def remove_operator(self, operator_id: int) -> None:
        with self._tx() as db:
            db.execute("UPDATE operators SET removed = 1 WHERE id = ?", (operator_id,))
            db.execute("DELETE FROM desk_key_wraps WHERE operator_id = ?", (operator_id,))

    def set_capacity(self, operator_id: int, capacity: int | None) -> None:
        check_capacity(capacity)
        with self._tx() as db:
            cur = db.execute(
                "UPDATE operators SET capacity = ? WHERE id = ?", (capacity, operator_id)
            )
            if cur.rowcount != 1:
                raise KeyError(f"no operator with id {operator_id}")

    def add_desk_key(self, key: DeskKey, wraps: dict[int, bytes]) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO desk_keys (id, public, created_at) VALUES (?, ?, ?)",
                (key.id, key.public, key.created_at),
            )
            db.executemany(
                "INSERT INTO desk_key_wraps (operator_id, desk_key, wrapped) VALUES (?, ?, ?)",
                [(op_id, key.id, wrapped) for op_id, wrapped in wraps.items()],
            )

    def current_desk_key(self) -> DeskKey | None:
        row = self._one("SELECT * FROM desk_keys ORDER BY created_at DESC, rowid DESC LIMIT 1")
        return DeskKey(row["id"], bytes(row["public"]), row["created_at"]) if row else None

    def put_desk_key_wrap(self, operator_id: int, desk_key: str, wrapped: bytes) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO desk_key_wraps (operator_id, desk_key, wrapped) "
                "VALUES (?, ?, ?)",
                (operator_id, desk_key, wrapped),
            )

    def desk_key_wraps(self, operator_id: int) -> dict[str, bytes]:
        rows = self._all(
            "SELECT desk_key, wrapped FROM desk_key_wraps WHERE operator_id = ?", operator_id
        )
        return {r["desk_key"]: bytes(r["wrapped"]) for r in rows}

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

    # -- canned replies --------------------------------------------------
    def canned_replies(self, lang: str | None = None) -> list[CannedReply]:
        columns = "SELECT id, lang, title, text, updated_at FROM canned_replies"
        order = " ORDER BY lang, title, id"
        if lang is None:
            rows = self._all(columns + order)
        else:
            rows = self._all(columns + " WHERE lang = ?" + order, lang)
        return [CannedReply(*r) for r in rows]

    def put_canned_reply(
        self, lang: str, title: str, text: str, reply_id: int | None = None
    ) -> CannedReply:
        with self._tx() as db:
            now = time.time()
            if reply_id is None:
                cur = db.execute(
                    "INSERT INTO canned_replies (lang, title, text, updated_at) "
                    "VALUES (?, ?, ?, ?) RETURNING id",
                    (lang, title, text, now),
                )
                reply_id = int(cur.fetchone()[0])
            elif (
                db.execute(
                    "UPDATE canned_replies SET lang = ?, title = ?, text = ?, updated_at = ? "
                    "WHERE id = ?",
                    (lang, title, text, now, reply_id),
                ).rowcount
                != 1
            ):
                raise KeyError(f"no canned reply with id {reply_id}")
        return CannedReply(reply_id, lang, title, text, now)

    def delete_canned_reply(self, reply_id: int) -> bool:
        with self._tx() as db:
            return db.execute("DELETE FROM canned_replies WHERE id = ?", (reply_id,)).rowcount == 1

    def close(self) -> None:
        with self._lock:
            self._db.close()


def upgrade(path: str | Path) -> list[int]:
    """Bring the database file to the latest schema version in one transaction.

    Returns the versions applied (empty if it was up to date). Back up the file first.
    """
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA secure_delete=ON")
        return _migrate(db, Path(path), upgrading=True)
    finally:
        db.close()


def _migrate(db: sqlite3.Connection, path: Path, *, upgrading: bool) -> list[int]:
    """Create a new database, or check (``upgrading``: upgrade) an existing one."""
    latest = MIGRATIONS[-1].version
    # the write lock first, so two processes opening a new file do not both create it
    db.execute("BEGIN IMMEDIATE")
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        has_tables = db.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'conversations'"
        ).fetchone()
        if not has_tables:
            version = 0
        elif version < MIGRATIONS[0].version:
            raise SchemaVersionError(
                f"{path} has schema version {version} and this pnav uses "
                f"{latest}; versions before the first release cannot be upgraded: "
                "move the file away to start afresh"
            )
        elif version > latest:
            raise SchemaVersionError(
                f"{path} has schema version {version}, newer than this pnav knows "
                f"({latest}): upgrade pnav"
            )
        elif version < latest and not upgrading:
            raise SchemaVersionError(
                f"{path} has schema version {version} and this pnav needs {latest}: "
                "back up the file, then run `pnav db upgrade`"
            )
        applied = []
        for step in MIGRATIONS:
            if step.version > version:
                for statement in step.statements:
                    db.execute(statement)
                applied.append(step.version)
        if applied:
            db.execute(f"PRAGMA user_version = {int(latest)}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return applied


def _known(db: sqlite3.Connection, conv_id: str, operator_id: int) -> None:
    """KeyError unless the conversation and the operator exist (inside a transaction)."""
    if db.execute("SELECT 1 FROM conversations WHERE id = ?", (conv_id,)).fetchone() is None:
        raise KeyError(f"no conversation {conv_id!r}")
    if db.execute("SELECT 1 FROM operators WHERE id = ?", (operator_id,)).fetchone() is None:
        raise KeyError(f"no operator with id {operator_id}")


def _message(row: sqlite3.Row) -> StoredMessage:
    return StoredMessage(
        row["conv"],
        row["seq"],
        row["sender"],
        row["client_id"],
        bytes(row["body"]),
        row["created_at"],
    )
