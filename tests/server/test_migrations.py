"""Versioned schemas: a new database gets the latest version, an older one is refused
until ``pnav db upgrade``, and an upgrade applies every pending step or none.

The tests add a made-up next version to the list, and upgrade a file or schema made by
the first released version (2) to the current one.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from pnav.sdk.testing.store import new_conversation, new_operator
from pnav.server.stores.postgres import store as postgres_store
from pnav.server.stores.postgres.store import PostgresStore
from pnav.server.stores.sqlite import store as sqlite_store
from pnav.server.stores.sqlite.store import Migration, SchemaVersionError, SQLiteStore

LATEST = sqlite_store.SCHEMA_VERSION
NEXT = LATEST + 1
EXTRA = Migration(NEXT, "a table for the test", ("CREATE TABLE extra (x INTEGER)",))
BROKEN = Migration(NEXT, "half good", ("CREATE TABLE extra (x INTEGER)", "CREATE TABLE oops ("))
ALL = [m.version for m in sqlite_store.MIGRATIONS]


# -- SQLite ----------------------------------------------------------------
def _user_version(path: Path) -> int:
    with sqlite3.connect(path) as db:
        version: int = db.execute("PRAGMA user_version").fetchone()[0]
    return version


def _sqlite_tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_sqlite_new_file_gets_the_latest_version(tmp_path: Path) -> None:
    path = tmp_path / "pnav.sqlite3"
    SQLiteStore(path).close()
    assert _user_version(path) == LATEST == sqlite_store.MIGRATIONS[-1].version
    assert {"conversations", "messages", "operators", "desk_keys"} <= _sqlite_tables(path)
    assert sqlite_store.upgrade(path) == []
    SQLiteStore(path).close()


def test_sqlite_upgrade_creates_a_new_file(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    assert sqlite_store.upgrade(path) == ALL
    store = SQLiteStore(path)
    store.create_conversation(new_conversation())
    store.close()


def test_sqlite_pre_release_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE conversations (id TEXT PRIMARY KEY)")
        db.execute("PRAGMA user_version = 1")
    for attempt in (SQLiteStore, sqlite_store.upgrade):
        with pytest.raises(SchemaVersionError) as err:
            attempt(path)
        assert str(err.value) == (
            f"{path} has schema version 1 and this pnav uses {LATEST}; versions before the "
            "first release cannot be upgraded: move the file away to start afresh"
        )
    assert _user_version(path) == 1


def test_sqlite_older_file_is_refused_until_upgraded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "pnav.sqlite3"
    store = SQLiteStore(path)
    conv = store.create_conversation(new_conversation())
    store.append_message(conv.id, "person", "c1", b"kept")
    store.close()
    monkeypatch.setattr(sqlite_store, "MIGRATIONS", [*sqlite_store.MIGRATIONS, EXTRA])

    with pytest.raises(SchemaVersionError) as err:
        SQLiteStore(path)
    assert str(err.value) == (
        f"{path} has schema version {LATEST} and this pnav needs {NEXT}: "
        "back up the file, then run `pnav db upgrade`"
    )
    assert sqlite_store.upgrade(path) == [NEXT]
    assert _user_version(path) == NEXT and "extra" in _sqlite_tables(path)
    assert sqlite_store.upgrade(path) == []
    store = SQLiteStore(path)
    assert [m.body for m in store.messages_after(conv.id, 0)] == [b"kept"]
    store.close()


def test_sqlite_version_2_file_upgrades_to_latest_and_keeps_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "pnav.sqlite3"
    with monkeypatch.context() as patch:
        patch.setattr(sqlite_store, "MIGRATIONS", sqlite_store.MIGRATIONS[:1])
        store = SQLiteStore(path)
        alice = store.add_operator(new_operator("alice"))
        conv = store.create_conversation(new_conversation())
        store.append_message(conv.id, "person", "c1", b"kept")
        store.close()
    assert _user_version(path) == 2
    assert not {"notes", "observers", "canned_replies"} & _sqlite_tables(path)
    with pytest.raises(SchemaVersionError, match="run `pnav db upgrade`"):
        SQLiteStore(path)
    assert sqlite_store.upgrade(path) == [3, 4]
    assert _user_version(path) == 4
    store = SQLiteStore(path)
    try:
        assert store.get_operator(alice.id) == alice and alice.capacity is None
        assert [m.body for m in store.messages_after(conv.id, 0)] == [b"kept"]
        store.set_capacity(alice.id, 2)
        note = store.add_note(conv.id, alice.id, "note", b"n")
        store.join_conversation(conv.id, alice.id)
        reply = store.put_canned_reply("fr", "Bonjour", "Bonjour.")
        assert store.notes(conv.id) == [note]
        assert store.observers(conv.id) == [alice.id]
        assert store.canned_replies() == [reply]
        assert store.get_operator(alice.id) == replace(alice, capacity=2)
    finally:
        store.close()


def test_sqlite_failed_upgrade_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "pnav.sqlite3"
    SQLiteStore(path).close()
    monkeypatch.setattr(sqlite_store, "MIGRATIONS", [*sqlite_store.MIGRATIONS, BROKEN])
    with pytest.raises(sqlite3.OperationalError):
        sqlite_store.upgrade(path)
    assert _user_version(path) == LATEST
    assert "extra" not in _sqlite_tables(path)


def test_sqlite_newer_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pnav.sqlite3"
    SQLiteStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    for attempt in (SQLiteStore, sqlite_store.upgrade):
        with pytest.raises(SchemaVersionError, match=r"schema version 99, newer than this pnav"):
            attempt(path)


# -- PostgreSQL ------------------------------------------------------------
def _pg_versions(dsn: str) -> list[int]:
    with psycopg.connect(dsn) as conn:
        return [r[0] for r in conn.execute("SELECT version FROM schema_version ORDER BY 1")]


def _pg_has_table(dsn: str, name: str) -> bool:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()
        return bool(row and row[0])


def test_postgres_new_schema_gets_the_latest_version(postgres_dsn: str) -> None:
    PostgresStore(postgres_dsn).close()
    assert _pg_versions(postgres_dsn) == [m.version for m in postgres_store.MIGRATIONS]
    assert postgres_store.MIGRATIONS[-1].version == LATEST  # numbered like SQLite's
    assert postgres_store.upgrade(postgres_dsn) == []
    assert PostgresStore.upgrade(postgres_dsn) == []


def test_postgres_upgrade_creates_an_empty_schema(postgres_dsn: str) -> None:
    with pytest.raises(SchemaVersionError, match=r"run `pnav db upgrade`"):
        PostgresStore(postgres_dsn, create=False)
    assert postgres_store.upgrade(postgres_dsn) == ALL
    PostgresStore(postgres_dsn, create=False).close()


def test_postgres_workers_starting_together_create_the_schema_once(postgres_dsn: str) -> None:
    barrier = threading.Barrier(4, timeout=30)
    errors: list[BaseException] = []

    def start() -> None:
        barrier.wait()
        try:
            PostgresStore(postgres_dsn, min_size=1, max_size=1).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _pg_versions(postgres_dsn) == ALL


def test_postgres_older_schema_is_refused_until_upgraded(
    postgres_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = PostgresStore(postgres_dsn)
    conv = store.create_conversation(new_conversation())
    store.append_message(conv.id, "person", "c1", b"kept")
    store.close()
    monkeypatch.setattr(postgres_store, "MIGRATIONS", [*postgres_store.MIGRATIONS, EXTRA])

    with pytest.raises(SchemaVersionError) as err:
        PostgresStore(postgres_dsn)
    message = str(err.value)
    assert message.startswith("PostgreSQL postgresql://")
    assert message.endswith(
        f"has schema version {LATEST} and this pnav needs {NEXT}: "
        "back up the database, then run `pnav db upgrade`"
    )
    assert postgres_store.upgrade(postgres_dsn) == [NEXT]
    assert _pg_versions(postgres_dsn) == [*ALL, NEXT]
    assert _pg_has_table(postgres_dsn, "extra")
    store = PostgresStore(postgres_dsn)
    assert [m.body for m in store.messages_after(conv.id, 0)] == [b"kept"]
    store.close()


def test_postgres_version_2_schema_upgrades_to_latest_and_keeps_everything(
    postgres_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(postgres_store, "MIGRATIONS", postgres_store.MIGRATIONS[:1])
        store = PostgresStore(postgres_dsn)
        conv = store.create_conversation(new_conversation())
        store.append_message(conv.id, "person", "c1", b"kept")
        store.close()
    with psycopg.connect(postgres_dsn) as conn:  # version 2's operators, without capacity
        row = conn.execute(
            "INSERT INTO operators (username, role, salt, kdf_ops, kdf_mem, auth_hash, "
            "public_key, created_at) VALUES ('alice', 'operator', 's', 1, 1, 'a', 'pk', 0) "
            "RETURNING id"
        ).fetchone()
    assert row is not None
    alice_id = int(row[0])
    assert _pg_versions(postgres_dsn) == [2]
    with pytest.raises(SchemaVersionError, match="run `pnav db upgrade`"):
        PostgresStore(postgres_dsn)
    assert postgres_store.upgrade(postgres_dsn) == [3, 4]
    assert _pg_versions(postgres_dsn) == [2, 3, 4]
    store = PostgresStore(postgres_dsn)
    try:
        alice = store.get_operator(alice_id)
        assert alice is not None and (alice.username, alice.capacity) == ("alice", None)
        assert [m.body for m in store.messages_after(conv.id, 0)] == [b"kept"]
        store.set_capacity(alice_id, 2)
        note = store.add_note(conv.id, alice_id, "whisper", b"n")
        store.join_conversation(conv.id, alice_id)
        reply = store.put_canned_reply("fr", "Bonjour", "Bonjour.")
        assert store.notes(conv.id) == [note]
        assert store.observers(conv.id) == [alice_id]
        assert store.canned_replies() == [reply]
        assert store.get_operator(alice_id) == replace(alice, capacity=2)
    finally:
        store.close()


def test_postgres_failed_upgrade_changes_nothing(
    postgres_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    PostgresStore(postgres_dsn).close()
    monkeypatch.setattr(postgres_store, "MIGRATIONS", [*postgres_store.MIGRATIONS, BROKEN])
    with pytest.raises(psycopg.errors.SyntaxError):
        postgres_store.upgrade(postgres_dsn)
    assert _pg_versions(postgres_dsn) == ALL
    assert not _pg_has_table(postgres_dsn, "extra")


def test_postgres_newer_schema_is_refused(postgres_dsn: str) -> None:
    PostgresStore(postgres_dsn).close()
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute("INSERT INTO schema_version VALUES (99, 'from the future', 0)")
    for attempt in (PostgresStore, postgres_store.upgrade):
        with pytest.raises(SchemaVersionError, match=r"schema version 99, newer than this pnav"):
            attempt(postgres_dsn)


def test_postgres_tables_without_versions_are_refused(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute("CREATE TABLE conversations (id TEXT PRIMARY KEY)")
    for attempt in (PostgresStore, postgres_store.upgrade):
        with pytest.raises(SchemaVersionError, match=r"predates versioned schemas"):
            attempt(postgres_dsn)
