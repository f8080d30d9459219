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
from unittest import mock

import psycopg
import pytest

from pnav.sdk.memory_store import MemoryStore
from pnav.sdk.store import Store
from pnav.sdk.testing.store import StoreContract, new_conversation, new_operator
from pnav.server.stores.postgres.store import PostgresStore
from pnav.server.stores.sqlite.store import SQLiteStore


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
            for table in (
                "conversations",
                "messages",
                "notes",
                "handovers",
                "observers",
                "resume_codes",
            )
        }


def _purge_one(store: PostgresStore) -> None:
    conv = store.create_conversation(new_conversation())
    store.append_message(conv.id, "person", "c1", b"\xee" * 4000)
    store.put_resume_code(conv.id, b"hash", b"wrapped")
    sue = store.add_operator(new_operator(f"sue-{conv.id}", "supervisor"))
    store.add_note(conv.id, sue.id, "whisper", b"\xdd" * 2000)
    store.join_conversation(conv.id, sue.id)
    assert store.close_conversation(conv.id, "information")
    assert store.purge_closed(time.time() + 10) == 1


def test_postgres_purge_rewrites_the_purged_tables(postgres_dsn: str) -> None:
    """VACUUM (FULL) after a purge writes each table to new files without the deleted rows
    (messages and notes are ciphertext; observers link operators to the conversation)."""
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


def test_sqlite_purge_leaves_no_note_or_message_in_the_files(tmp_path: Path) -> None:
    """secure_delete and the WAL checkpoint: purged ciphertext is not in any file."""
    store = SQLiteStore(tmp_path / "pnav.sqlite3")
    try:
        sue = store.add_operator(new_operator("sue", "supervisor"))
        conv = store.create_conversation(new_conversation())
        note = b"\x00whisper-" + conv.id.encode() + b"-\xdd" * 64
        message = b"\x00message-" + conv.id.encode()
        store.add_note(conv.id, sue.id, "whisper", note)
        store.append_message(conv.id, "person", "c1", message)
        store.join_conversation(conv.id, sue.id)
        assert store.close_conversation(conv.id, "information")
        assert store.purge_closed(time.time() + 10) == 1
        files = [p for p in tmp_path.iterdir() if p.is_file()]
        assert files
        for path in files:
            data = path.read_bytes()
            assert note not in data and message not in data, path
            assert conv.id.encode() not in data, path
    finally:
        store.close()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "memory":
        store: Store = MemoryStore()
    elif request.param == "sqlite":
        store = SQLiteStore(tmp_path / "pnav.sqlite3")
    else:
        store = PostgresStore(request.getfixturevalue("postgres_dsn"), max_size=2)
    yield store
    store.close()


def test_histogram_bucket_edges_in_every_built_in_store(any_store: Store) -> None:
    """A bucket's upper bound belongs to the next bucket. The clock is controlled (every
    built-in store reads ``time.time``), so waits and durations are exact."""
    store = any_store
    op = store.add_operator(new_operator("alice"))
    start = 1_700_000_000.0
    # (seconds waited, seconds from taken to closed or None for still open)
    plan = [(59.5, 299.0), (60.0, 300.0), (299.0, 7199.0), (300.0, 7200.0), (3600.0, None)]
    clock = [start]
    with mock.patch("time.time", lambda: clock[0]):
        for i, (wait, duration) in enumerate(plan):
            clock[0] = created = start + i * 10_000
            conv = store.create_conversation(new_conversation())
            clock[0] = created + wait
            assert store.assign(conv.id, op.id)
            if duration is not None:
                clock[0] += duration
                assert store.close_conversation(conv.id, "information")
        got = store.activity(start, start + 100_000)
    assert got.wait_buckets == {
        "<1 min": 1,
        "1-5 min": 2,
        "5-15 min": 1,
        "15-30 min": 0,
        "30-60 min": 0,
        "1 h+": 1,
    }
    assert got.duration_buckets == {
        "<5 min": 1,
        "5-15 min": 1,
        "15-30 min": 0,
        "30-60 min": 0,
        "1-2 h": 1,
        "2 h+": 1,
    }
    assert got.median_wait == 299.0
