"""What the parts of the SQLite store share: one connection, guarded by one lock.

:class:`~pnav.server.stores.sqlite.store.SQLiteStore` opens the connection; its parts
(:mod:`~pnav.server.stores.sqlite.conversations`, :mod:`~pnav.server.stores.sqlite.staff`) query it
through these helpers, each write in one ``BEGIN IMMEDIATE`` transaction.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pnav.sdk.store import Store

__all__ = ["SQLiteQueries"]


class SQLiteQueries(Store):
    """One connection guarded by a lock: SQLite serialises writers anyway."""

    _lock: threading.RLock
    _db: sqlite3.Connection

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

    def close(self) -> None:
        with self._lock:
            self._db.close()
