"""The PostgreSQL store under a scale-out load: a batch of appends written with a fixed
number of statements, and pooled connections checked without a round trip per checkout,
yet a connection the server dropped is never handed out."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from unittest import mock

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from pnav.sdk.testing.store import new_conversation
from pnav.server.stores.group_commit import Append
from pnav.server.stores.postgres.store import PostgresStore


@pytest.fixture
def check() -> Iterator[mock.MagicMock]:
    """The pool's full check (a round trip), counted."""
    with mock.patch.object(
        ConnectionPool, "check_connection", wraps=ConnectionPool.check_connection
    ) as counted:
        yield counted


@pytest.fixture
def store(postgres_dsn: str, check: mock.MagicMock) -> Iterator[PostgresStore]:
    store = PostgresStore(postgres_dsn, min_size=1, max_size=1)
    yield store
    store.close()


def test_a_healthy_connection_is_handed_out_without_a_round_trip(
    store: PostgresStore, check: mock.MagicMock
) -> None:
    conv = store.create_conversation(new_conversation())
    for n in range(5):
        store.append_message(conv.id, "person", f"c{n}", b"x")
        assert store.get_conversation(conv.id) is not None
    assert check.call_count == 0


def test_a_connection_the_server_dropped_is_replaced(
    store: PostgresStore, postgres_dsn: str, check: mock.MagicMock
) -> None:
    conv = store.create_conversation(new_conversation())
    with store._pool.connection() as conn:
        pid = conn.info.backend_pid
    with psycopg.connect(postgres_dsn, autocommit=True) as admin:
        # waits up to 5 s for the backend to be gone
        assert admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone() == (True,)
    got = store.get_conversation(conv.id)  # not an error: the pool made a new connection
    assert got is not None and got.id == conv.id
    with store._pool.connection() as conn:
        assert conn.info.backend_pid != pid


def test_a_batch_numbers_each_item_as_if_it_were_alone(store: PostgresStore) -> None:
    first = store.create_conversation(new_conversation())
    second = store.create_conversation(new_conversation())
    store.append_message(second.id, "person", "old", b"before")
    outcomes = store._write_appends(
        [
            Append(first.id, "person", "a", b"one"),
            Append(first.id, "person", "a", b"resent"),  # the same client id in one batch
            Append("no-such-conversation", "person", "z", b"lost"),
            Append(second.id, "person", "old", b"again"),  # stored by an earlier batch
            Append(second.id, "operator", "b", b"two"),
            Append(first.id, "operator", "a", b"three"),  # another sender's "a"
        ]
    )
    got = [None if r is None else (r[0].conv, r[0].seq, r[0].body, r[1]) for r, _ in outcomes]
    assert got == [
        (first.id, 1, b"one", True),
        (first.id, 1, b"one", False),
        None,
        (second.id, 1, b"before", False),
        (second.id, 2, b"two", True),
        (first.id, 2, b"three", True),
    ]
    assert isinstance(outcomes[2][1], KeyError)
    assert [(m.seq, m.body) for m in store.messages_after(first.id, 0)] == [
        (1, b"one"),
        (2, b"three"),
    ]
    assert [m.seq for m in store.messages_after(second.id, 0)] == [1, 2]
    assert store.get_conversation(first.id).last_seq == 2  # type: ignore[union-attr]
    then = store.append_message(first.id, "person", "next", b"four")[0]
    assert then.seq == 3


_UNDER_GEVENT = """
from gevent import monkey; monkey.patch_all()
import sys, gevent
from pnav.server.stores.postgres.green import GreenConnection
from pnav.server.stores.postgres.store import PostgresStore
from pnav.sdk.testing.store import new_conversation

store = PostgresStore(sys.argv[1])
assert store._pool.connection_class is GreenConnection
conv = store.create_conversation(new_conversation())
ticks = []

def ticker():
    for _ in range(10):
        ticks.append(1)
        gevent.sleep(0.01)

def slow():
    store._count("SELECT pg_sleep(0.5)")
    print("ticks while the query waited:", len(ticks))

gevent.joinall([gevent.spawn(slow), gevent.spawn(ticker)], raise_error=True)
# a body larger than the socket buffers: the send waits for read or write
big = store.append_message(conv.id, "person", "big", b"x" * (8 << 20))[0]
sent = [gevent.spawn(store.append_message, conv.id, "person", f"c{n}", b"m") for n in range(20)]
gevent.joinall(sent, raise_error=True)
print("seqs:", big.seq, sorted(g.value[0].seq for g in sent) == list(range(2, 22)))
store.close()
"""


def test_under_gevent_a_query_s_wait_lets_the_other_greenlets_run(postgres_dsn: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _UNDER_GEVENT, postgres_dsn],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "ticks while the query waited: 10" in done.stdout
    assert "seqs: 1 True" in done.stdout


def test_a_connection_numbered_past_select_s_limit_is_checked(postgres_dsn: str) -> None:
    """A worker with thousands of sockets gives its database connections descriptor
    numbers above 1023, which ``select()`` cannot watch: the checkout check polls."""
    import os

    spare = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        store = PostgresStore(postgres_dsn, min_size=1, max_size=1)
        try:
            with store._pool.connection() as conn:
                assert conn.pgconn.socket > 1023
            conv = store.create_conversation(new_conversation())
            assert store.get_conversation(conv.id) is not None
        finally:
            store.close()
    finally:
        for fd in spare:
            os.close(fd)
