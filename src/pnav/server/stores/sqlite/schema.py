"""The SQLite store's schema, version by version, and how a file is brought to it.

A file records its version in ``PRAGMA user_version``. A new file is created at the
latest version when the store opens it; an older one is refused until ``pnav db
upgrade`` has run; a newer one, or one from before the first release, is refused.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from pnav.server.stores.migrations import Migration, SchemaVersionError, check_version, pending

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate"]

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


def _statements(script: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in script.split(";") if s.strip())


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

# Version 4: the console language each operator chose (None: their browser's).
_SCHEMA_4 = """
ALTER TABLE operators ADD COLUMN lang TEXT
"""

# One step per schema change, applied in order by ``pnav db upgrade``
# (:func:`pnav.server.stores.sqlite.store.upgrade`); a new database runs them all. Version 2 is
# the first released schema: files from earlier versions predate releases and are
# refused, not guessed at.
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
    Migration(4, "operators' console language", _statements(_SCHEMA_4)),
]
SCHEMA_VERSION = MIGRATIONS[-1].version


def migrate(
    db: sqlite3.Connection, path: Path, migrations: Sequence[Migration], *, upgrading: bool
) -> list[int]:
    """Create a new database, or check (``upgrading``: upgrade) an existing one, against
    ``migrations``; returns the versions applied."""
    latest = migrations[-1].version
    # the write lock first, so two processes opening a new file do not both create it
    db.execute("BEGIN IMMEDIATE")
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        has_tables = db.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'conversations'"
        ).fetchone()
        if not has_tables:
            version = 0
        elif version < migrations[0].version:
            raise SchemaVersionError(
                f"{path} has schema version {version} and this pnav uses "
                f"{latest}; versions before the first release cannot be upgraded: "
                "move the file away to start afresh"
            )
        else:
            check_version(version, latest, str(path), upgrading=upgrading, backup="the file")
        applied = []
        for step in pending(migrations, version):
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
