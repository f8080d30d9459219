"""What the parts of the PostgreSQL store share: a connection pool and query helpers.

:class:`~pnav.server.stores.postgres.store.PostgresStore` opens the pool; its parts
(:mod:`~pnav.server.stores.postgres.conversations`, :mod:`~pnav.server.stores.postgres.staff`) query
the database through these helpers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from psycopg.rows import RowFactory
from psycopg_pool import ConnectionPool

from pnav.sdk.store import Store
from pnav.server.stores.postgres.schema import Connection

__all__ = ["PostgresQueries"]

T = TypeVar("T")


class PostgresQueries(Store):
    """Each call takes a connection from the pool; the connections are in autocommit, so
    a write that needs more than one statement runs them in :meth:`_tx`."""

    _pool: ConnectionPool[Connection]

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        with self._pool.connection() as conn, conn.transaction():
            yield conn

    def _rows(self, factory: RowFactory[T], sql: str, *args: Any) -> list[T]:
        with self._pool.connection() as conn, conn.cursor(row_factory=factory) as cur:
            return cur.execute(sql, args).fetchall()

    def _row(self, factory: RowFactory[T], sql: str, *args: Any) -> T | None:
        with self._pool.connection() as conn, conn.cursor(row_factory=factory) as cur:
            return cur.execute(sql, args).fetchone()

    def _count(self, sql: str, *args: Any) -> int:
        """Run one statement in its own transaction; how many rows it changed."""
        with self._pool.connection() as conn:
            return conn.execute(sql, args).rowcount

    def close(self) -> None:
        self._pool.close()
