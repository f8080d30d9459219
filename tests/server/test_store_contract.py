"""The store contract over every built-in store: memory, SQLite and a real PostgreSQL.

PostgreSQL comes from ``PNAV_TEST_POSTGRES`` (default: the local test server). Each test
gets its own schema, dropped afterwards, so tests are isolated and may run at once. An
unreachable server fails these tests; it never skips them.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from pnav.sdk.memory_store import MemoryStore
from pnav.sdk.store import Store
from pnav.sdk.store_contract import StoreContract, new_conversation
from pnav.server.postgres_store import PostgresStore
from pnav.server.sqlite_store import SQLiteStore


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def store(self) -> Iterator[Store]:
        store = MemoryStore()
        yield store
        store.close()


class TestSQLiteStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Store]:
        store = SQLiteStore(tmp_path / "pnav.sqlite3")
        yield store
        store.close()


class TestPostgresStore(StoreContract):
    @pytest.fixture
    def store(self, postgres_dsn: str) -> Iterator[Store]:
        store = PostgresStore(postgres_dsn, max_size=10)
        yield store
        store.close()


def _filenodes(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return {
            table: conn.execute("SELECT pg_relation_filenode(%s)", (table,)).fetchone()[0]  # type: ignore[index]
            for table in ("conversations", "messages", "handovers", "resume_codes")
        }


def _purge_one(store: PostgresStore) -> None:
    conv = store.create_conversation(new_conversation())
    store.append_message(conv.id, "person", "c1", b"\xee" * 4000)
    store.put_resume_code(conv.id, b"hash", b"wrapped")
    assert store.close_conversation(conv.id, "information")
    assert store.purge_closed(time.time() + 10) == 1


def test_postgres_purge_rewrites_the_purged_tables(postgres_dsn: str) -> None:
    """VACUUM (FULL) after a purge writes each table to new files without the deleted rows."""
    store = PostgresStore(postgres_dsn)
    try:
        before = _filenodes(postgres_dsn)
        _purge_one(store)
        after = _filenodes(postgres_dsn)
        assert all(after[table] != before[table] for table in before), (before, after)
        assert store.purge_closed(time.time() + 10) == 0
        assert _filenodes(postgres_dsn) == after  # nothing deleted, nothing rewritten
    finally:
        store.close()


def test_postgres_purge_without_vacuum_leaves_the_files(postgres_dsn: str) -> None:
    store = PostgresStore(postgres_dsn, vacuum="off")
    try:
        before = _filenodes(postgres_dsn)
        _purge_one(store)
        assert _filenodes(postgres_dsn) == before
    finally:
        store.close()


def test_two_postgres_stores_share_one_numbering(postgres_dsn: str) -> None:
    """Two workers (two pools) appending to one conversation interleave without gaps."""
    first, second = PostgresStore(postgres_dsn), PostgresStore(postgres_dsn)
    try:
        conv = first.create_conversation(new_conversation())
        seqs = [
            (first if i % 2 else second).append_message(conv.id, "person", f"c{i}", b"m")[0].seq
            for i in range(10)
        ]
        assert seqs == list(range(1, 11))
        again, new = second.append_message(conv.id, "person", "c3", b"copy")
        assert (again.seq, new) == (4, False)
        assert [m.seq for m in first.messages_after(conv.id, 0)] == seqs
    finally:
        first.close()
        second.close()


def test_an_unreachable_postgres_is_one_clear_error() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dsn = f"postgresql://pnav:s3cret@127.0.0.1:{port}/pnav"
    with pytest.raises(RuntimeError) as err:
        PostgresStore(dsn, connect_timeout=2)
    message = str(err.value)
    assert message.startswith(
        f"cannot connect to PostgreSQL postgresql://pnav@127.0.0.1:{port}/pnav"
    )
    assert "Connection refused" in message
    assert "\n" not in message and "s3cret" not in message


def test_bad_postgres_options_are_refused(postgres_dsn: str) -> None:
    with pytest.raises(ValueError, match="vacuum must be one of full, plain, off"):
        PostgresStore(postgres_dsn, vacuum="sometimes")
