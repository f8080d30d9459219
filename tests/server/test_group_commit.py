"""Group commit (issue 16): concurrent appends share a transaction, each caller gets its
own result only once the batch is written, and a failure stays with the batch or the
item it concerns."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pnav.sdk.testing.store.base import new_conversation, new_operator
from pnav.server.stores.group_commit import GroupCommit, Outcome
from pnav.server.stores.sqlite.store import SQLiteStore


def _wait_for(condition: object, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.005)


class Recorder:
    """A batch writer that records its batches; the first one waits for ``release``."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.release = threading.Event()
        self.writing = threading.Event()

    def __call__(self, batch: Sequence[int]) -> list[Outcome[int]]:
        self.batches.append(list(batch))
        if len(self.batches) == 1:
            self.writing.set()
            assert self.release.wait(10)
        return [(None, ValueError(n)) if n < 0 else (n * 10, None) for n in batch]


def test_items_arriving_during_a_write_share_the_next_transaction() -> None:
    writer = Recorder()
    commit: GroupCommit[int, int] = GroupCommit(writer)
    with ThreadPoolExecutor(6) as pool:
        first = pool.submit(commit.submit, 1)
        assert writer.writing.wait(10)
        later = [pool.submit(commit.submit, n) for n in (2, 3, -4, 5)]
        _wait_for(lambda: commit.queued == 4)
        assert not any(f.done() for f in [first, *later])  # nobody answered before the write
        writer.release.set()
        assert first.result(10) == 10
        assert [f.result(10) for f in later if f is not later[2]] == [20, 30, 50]
        with pytest.raises(ValueError):  # refused on its own, the others stored
            later[2].result(10)
    assert writer.batches[0] == [1]
    assert sorted(writer.batches[1]) == [-4, 2, 3, 5]
    assert (commit.batches, commit.items) == (2, 5)


def test_a_failed_transaction_fails_its_whole_batch_and_the_next_one_goes_on() -> None:
    calls = []

    def write(batch: Sequence[int]) -> list[Outcome[int]]:
        calls.append(list(batch))
        if len(calls) == 1:
            raise OSError("disk I/O error")
        return [(n, None) for n in batch]

    commit: GroupCommit[int, int] = GroupCommit(write)
    with pytest.raises(OSError, match="disk I/O error"):
        commit.submit(1)
    assert commit.submit(2) == 2
    assert calls == [[1], [2]]


def test_batches_are_bounded() -> None:
    writer = Recorder()
    commit: GroupCommit[int, int] = GroupCommit(writer, max_batch=3)
    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(commit.submit, 0)
        assert writer.writing.wait(10)
        rest = [pool.submit(commit.submit, n) for n in range(1, 8)]
        _wait_for(lambda: commit.queued == 7)
        writer.release.set()
        assert [f.result(10) for f in [first, *rest]] == [n * 10 for n in range(8)]
    assert [len(b) for b in writer.batches] == [1, 3, 3, 1]


def test_sqlite_writes_concurrent_appends_in_fewer_transactions(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "pnav.sqlite3")
    try:
        convs = [store.create_conversation(new_conversation()).id for _ in range(8)]
        before = store._writes.items
        barrier = threading.Barrier(8)

        def send(t: int) -> list[int]:
            barrier.wait(10)
            return [
                store.append_message(convs[t], "person", f"c{i}", b"m")[0].seq for i in range(30)
            ]

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(send, range(8)))
        assert results == [list(range(1, 31))] * 8
        assert store._writes.items - before == 240
        assert store._writes.batches < 240  # at least some appends shared a commit
        for conv in convs:
            assert [m.seq for m in store.messages_after(conv, 0)] == list(range(1, 31))
    finally:
        store.close()


_GEVENT_CHILD = r"""
from gevent import monkey

monkey.patch_all()

import socket
import time

import gevent

from pnav.server.stores.group_commit import GroupCommit

batches = []


def write(batch):
    batches.append(len(batch))
    return [(n * 10, None) for n in batch]


commit = GroupCommit(write)
assert commit.submit(1) == 10  # alone: written at once, nothing to wait for

# Frames that arrive together on many sockets: each reader submits what it read. The
# leader gathers until the loop is idle, so they share one transaction.
pairs = [socket.socketpair() for _ in range(30)]
results = {}


def reader(i, sock):
    sock.recv(1)
    results[i] = commit.submit(i)


readers = [gevent.spawn(reader, i, ours) for i, (ours, _) in enumerate(pairs)]
gevent.sleep(0.05)  # every reader is waiting on its socket
for _, theirs in pairs:
    theirs.send(b"x")
gevent.joinall(readers, timeout=10, raise_error=True)
assert results == {i: i * 10 for i in range(30)}, results
assert batches[0] == 1 and sum(batches[1:]) == 30, batches
assert len(batches) <= 3, batches  # they arrived together: (nearly) one commit
print("ok", batches)
"""


def test_under_gevent_what_arrives_together_commits_together() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _GEVENT_CHILD],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok")


def test_sqlite_conversations_open_and_are_accepted_in_shared_commits(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "pnav.sqlite3")
    try:
        ops = [store.add_operator(new_operator(f"op{t}")).id for t in range(8)]
        before = store._writes.items
        barrier = threading.Barrier(8)

        def open_and_accept(t: int) -> bool:
            barrier.wait(10)
            conv = store.create_conversation(new_conversation())
            return store.assign(conv.id, ops[t]) and not store.assign(conv.id, ops[0])

        with ThreadPoolExecutor(8) as pool:
            assert all(pool.map(open_and_accept, range(8)))
        assert store._writes.items - before == 8 * 3
        assert store._writes.batches < store._writes.items
        assert sorted(c.operator_id or 0 for c in store.active_conversations()) == sorted(ops)
    finally:
        store.close()


def test_sqlite_a_refused_write_is_undone_alone(tmp_path: Path) -> None:
    """Each write of a shared transaction runs under its own savepoint: one that fails
    half-way leaves nothing behind, and the others of its batch are stored."""
    store = SQLiteStore(tmp_path / "pnav.sqlite3")
    try:
        conv = store.create_conversation(new_conversation()).id
        op = store.add_operator(new_operator()).id

        def half_then_fail(db: sqlite3.Connection) -> bool:
            db.execute("UPDATE conversations SET state = 'closed' WHERE id = ?", (conv,))
            raise ValueError("refused half-way")

        def assign(db: sqlite3.Connection) -> bool:
            db.execute("UPDATE conversations SET operator_id = ? WHERE id = ?", (op, conv))
            return True

        first, second = store._write_batch([half_then_fail, assign])
        assert first[0] is None and isinstance(first[1], ValueError)
        assert second == (True, None)
        stored = store.get_conversation(conv)
        assert stored is not None
        assert (stored.state, stored.operator_id) == ("waiting", op)
    finally:
        store.close()
