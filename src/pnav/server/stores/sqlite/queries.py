"""What the parts of the SQLite store share: a writing connection under one lock, a
reading connection under another, and group commit for the writes that come together.

:class:`~pnav.server.stores.sqlite.store.SQLiteStore` opens both connections; its parts
(:mod:`~pnav.server.stores.sqlite.conversations`, :mod:`~pnav.server.stores.sqlite.staff`)
query them through these helpers.

Writes on a conversation's way (messages, opening, taking, presence, closing) go through
:meth:`SQLiteQueries._write`: those that arrive together share one transaction and one
fsync (:mod:`~pnav.server.stores.group_commit`), each in a savepoint of its own so that
one refused write leaves the others. (Committing on gevent's pool of real threads, so
that the loop runs during the fsync, measured 2-4x slower under bench/relay.py on two
busy cores: every hand-over of the GIL waits.) Reads use their own connection (WAL: a
reader sees every committed transaction and never waits for a writer), so a read never
queues behind a write.
Rare writes (accounts, desk keys, purging) use :meth:`SQLiteQueries._tx` directly.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from pnav.sdk.store import Store
from pnav.server.stores.group_commit import GroupCommit, Outcome

__all__ = ["SQLiteQueries", "Write"]

R = TypeVar("R")
# One write: statements on the writing connection, inside the batch's transaction.
Write = Callable[[sqlite3.Connection], Any]


class SQLiteQueries(Store):
    """SQLite serialises writers anyway: one writing connection, guarded by ``_lock``."""

    _lock: threading.RLock
    _db: sqlite3.Connection
    _read_lock: threading.RLock
    _reader: sqlite3.Connection
    _writes: GroupCommit[Write, Any]

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

    def _write(self, write: Callable[[sqlite3.Connection], R]) -> R:
        """Run ``write`` in a transaction shared with the writes that arrive with it;
        its result once that transaction is durable, or the exception it raised (its
        own statements undone, the others' kept)."""
        # In a 1-tuple: group commit takes None for "no result yet".
        done: tuple[R] = self._writes.submit(lambda db: (write(db),))
        return done[0]

    def _write_batch(self, batch: Sequence[Write]) -> list[Outcome[Any]]:
        db = self._db
        outcomes: list[Outcome[Any]] = []
        with self._lock:  # other writers wait their turn; readers do not
            db.execute("BEGIN IMMEDIATE")
            try:
                for write in batch:
                    db.execute("SAVEPOINT one_write")
                    try:
                        result = write(db)
                    except Exception as exc:  # refuses this write alone
                        db.execute("ROLLBACK TO one_write")
                        db.execute("RELEASE one_write")
                        outcomes.append((None, exc))
                    else:
                        db.execute("RELEASE one_write")
                        outcomes.append((result, None))
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        return outcomes

    def _all(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        with self._read_lock:
            return self._reader.execute(sql, args).fetchall()

    def _one(self, sql: str, *args: Any) -> sqlite3.Row | None:
        with self._read_lock:
            row: sqlite3.Row | None = self._reader.execute(sql, args).fetchone()
            return row

    def close(self) -> None:
        with self._lock, self._read_lock:
            self._reader.close()
            self._db.close()
