"""The scale-out store: PostgreSQL through psycopg 3 and a connection pool.

Several workers on several hosts share one database. What SQLite gets from its single
writer, PostgreSQL gets from row locks: a message's sequence number comes from
``UPDATE conversations SET last_seq = last_seq + 1 … RETURNING last_seq`` inside the
transaction that stores the message, so numbers are unique and gap-free however many
processes append to one conversation; a duplicate client id is found under that row lock
and answered with the first copy. Appends arriving together share one transaction
(:mod:`~pnav.server.stores.group_commit`), which locks their conversations in id order.

The schema and its versions are in :mod:`~pnav.server.stores.postgres.schema`: the store checks
the database against this module's :data:`MIGRATIONS` when it opens (creating an empty
one), and :func:`upgrade` (``pnav db upgrade``) applies what is pending. Conversations and
messages are in :mod:`~pnav.server.stores.postgres.conversations`, the operators' side in
:mod:`~pnav.server.stores.postgres.staff`; purging and statistics are here. Every statement is a
constant with bound parameters.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import psycopg
from psycopg.pq import ConnStatus
from psycopg.rows import tuple_row
from psycopg.waiting import READY_R
from psycopg_pool import ConnectionPool

from pnav.sdk.store import ActivityCounts, check_bounds
from pnav.server.stores import activity_sql
from pnav.server.stores.group_commit import GroupCommit
from pnav.server.stores.postgres.conversations import PostgresConversations
from pnav.server.stores.postgres.green import GreenConnection, gevent_patched, ready_now
from pnav.server.stores.postgres.schema import (
    MIGRATIONS,
    Connection,
    connect,
    describe,
    migrate,
    open_schema,
)
from pnav.server.stores.postgres.staff import PostgresStaff

__all__ = ["MIGRATIONS", "VACUUM_MODES", "PostgresStore", "upgrade"]

log = logging.getLogger(__name__)

# What a purge deletes from, largest first.
_PURGED_TABLES = ("messages", "notes", "handovers", "observers", "resume_codes", "conversations")
VACUUM_MODES = ("full", "plain", "off")


class PostgresStore(PostgresConversations, PostgresStaff):
    """A :class:`Store` on PostgreSQL; safe from many threads, processes and hosts.

    ``dsn`` is a libpq connection string or URI; ``min_size``/``max_size`` bound the
    connection pool and ``timeout`` is how long a call waits for a free connection.

    **Purging and what stays on disk.** ``purge_closed`` deletes the conversations (the
    messages, notes, handovers, observers and resume codes go with them by ``ON DELETE
    CASCADE``), so no
    query can see them again. PostgreSQL does not overwrite deleted rows: their bytes
    (ciphertext, the sealed conversation key, metadata) stay in the table files until
    VACUUM. So after a purge that deleted anything the store runs, outside any
    transaction, on each purged table:

    - ``vacuum="full"`` (default): ``VACUUM (FULL)`` rewrites the table into new files
      and removes the old ones, so the deleted rows are no longer in the database's
      files. It holds an exclusive lock on the table while it rewrites it: appends wait
      for as long as copying the rows kept takes (bounded by the retention period). If it
      cannot get that lock within ``vacuum_lock_timeout`` seconds it gives up rather than
      queue everyone behind it, logs a warning, and the next purge tries again.
    - ``vacuum="plain"``: ``VACUUM`` without locking out writers. Measured on PostgreSQL
      15: the deleted bytes stay in the table file's free space until new rows overwrite
      them; only use it if the disk is encrypted and that is acceptable.
    - ``vacuum="off"``: leave it to autovacuum, with the same caveat.

    Whatever the mode, copies remain outside the table files until they are recycled: in
    the write-ahead log (``pg_wal``, recycled after checkpoints), in WAL archives, base
    backups and replicas, and in the filesystem's free blocks. Run PostgreSQL on an
    encrypted disk and give backups the same retention. The database role must own the
    tables (it does when this store created them), or VACUUM only warns and skips them.
    """

    def __init__(
        self,
        dsn: str,
        *,
        min_size: int = 1,
        max_size: int = 10,
        timeout: float = 30.0,
        connect_timeout: int = 10,
        vacuum: str = "full",
        vacuum_lock_timeout: float = 2.0,
        create: bool = True,
    ) -> None:
        if vacuum not in VACUUM_MODES:
            raise ValueError(f"vacuum must be one of {', '.join(VACUUM_MODES)}, not {vacuum!r}")
        self.where = describe(dsn)
        self._vacuum = vacuum
        self._vacuum_lock_timeout = vacuum_lock_timeout
        with connect(dsn, self.where, connect_timeout) as conn:
            open_schema(conn, self.where, MIGRATIONS, create=create)
        self._appends = GroupCommit(self._write_appends)
        self._pool = ConnectionPool(
            dsn,
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            kwargs={"autocommit": True, "connect_timeout": connect_timeout},
            # under gevent: waits are switches on each socket's watcher (green.py)
            connection_class=GreenConnection if gevent_patched() else psycopg.Connection,
            configure=_configure,
            # a connection broken by a database restart is replaced, not handed out
            check=_check_idle,
            name="pnav-store",
            open=False,
        )
        self._pool.open(wait=True, timeout=max(timeout, float(connect_timeout)))

    @staticmethod
    def upgrade(dsn: str) -> list[int]:
        """Apply pending migrations; see :func:`upgrade`."""
        return _upgrade(dsn)

    def purge_closed(self, closed_before: float) -> int:
        """Delete conversations closed before the time, then VACUUM (see the class doc)."""
        with self._pool.connection() as conn:
            count = conn.execute(
                "DELETE FROM conversations WHERE state = 'closed' AND closed_at < %s",
                (closed_before,),
            ).rowcount
            if count and self._vacuum != "off":
                self._vacuum_purged(conn)
        return count

    def _vacuum_purged(self, conn: Connection) -> None:
        # VACUUM cannot run in a transaction: the pool's connections are in autocommit.
        command = "VACUUM (FULL) " if self._vacuum == "full" else "VACUUM "
        conn.execute(
            "SELECT set_config('lock_timeout', %s, false)", (_ms(self._vacuum_lock_timeout),)
        )
        try:
            for table in _PURGED_TABLES:
                try:
                    conn.execute(command + table)
                except psycopg.errors.LockNotAvailable:
                    log.warning("%s%s skipped: the table is busy; the next purge retries",
                                command, table)  # fmt: skip
        finally:
            conn.execute("RESET lock_timeout")

    def activity(self, since: float, until: float) -> ActivityCounts:
        # one snapshot for both queries
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            groups = conn.execute(activity_sql.groups("%s"), (since, until)).fetchall()
            waits = conn.execute(
                "SELECT count(*), percentile_cont(0.5) WITHIN GROUP "
                "(ORDER BY assigned_at - created_at) " + activity_sql.measured("%s"),
                (since, until),
            ).fetchone()
            sql, bounds = activity_sql.wait_histogram("%s")
            wait_rows = conn.execute(sql, (*bounds, since, until)).fetchall()
            sql, bounds = activity_sql.duration_histogram("%s")
            duration_rows = conn.execute(sql, (*bounds, since, until)).fetchall()
            sql, bounds = activity_sql.left_histogram("%s")
            left_rows = conn.execute(sql, (*bounds, since, until)).fetchall()
        assert waits is not None
        return activity_sql.activity_counts(
            groups,
            int(waits[0]),
            None if waits[1] is None else float(waits[1]),
            wait_rows,
            duration_rows,
            left_rows,
        )

    def started_series(self, bounds: Sequence[float]) -> list[int]:
        check_bounds(bounds)
        if len(bounds) < 2:
            return []
        rows = self._rows(
            tuple_row,
            "SELECT b.i, count(c.created_at) FROM unnest(%s::float8[], %s::float8[]) "
            "WITH ORDINALITY AS b(lo, hi, i) LEFT JOIN conversations c "
            "ON c.created_at >= b.lo AND c.created_at < b.hi GROUP BY b.i ORDER BY b.i",
            [float(b) for b in bounds[:-1]],
            [float(b) for b in bounds[1:]],
        )
        return [int(r[1]) for r in rows]


def upgrade(dsn: str, *, connect_timeout: int = 10) -> list[int]:
    """Bring the database (or the schema ``search_path`` selects) to the latest version.

    Pending migrations run in one transaction under an advisory lock, so two upgrades at
    once do not collide and a failed step leaves the schema as it was. Returns the
    versions applied (empty if it was up to date). Back up the database first.
    """
    where = describe(dsn)
    with connect(dsn, where, connect_timeout) as conn:
        return migrate(conn, where, MIGRATIONS, upgrading=True)


_upgrade = upgrade


def _configure(conn: Connection) -> None:
    conn.add_notice_handler(_log_notice)


def _check_idle(conn: Connection) -> None:
    """Raise if a pooled connection is broken, without a round trip per checkout.

    An idle connection hears nothing from the server unless the server is going away (a
    restart, ``pg_terminate_backend``: an error message, then the end of the stream), so
    reading what is already there without waiting tells a live connection from a dead
    one; only when something did arrive is the server asked (``check_connection``'s
    empty query). The pool replaces a connection that fails this.
    """
    pgconn = conn.pgconn
    if pgconn.status != ConnStatus.OK:
        raise psycopg.OperationalError("the connection was closed")
    inbox = pgconn.socket  # raises OperationalError when libpq has dropped the socket
    if ready_now(inbox) & READY_R:
        pgconn.consume_input()  # raises OperationalError at the end of the stream
        ConnectionPool.check_connection(conn)


def _log_notice(diag: psycopg.errors.Diagnostic) -> None:
    # e.g. VACUUM on a table the role does not own only warns, and then deleted rows stay
    if diag.severity_nonlocalized == "WARNING":
        log.warning("PostgreSQL: %s", diag.message_primary)


def _ms(seconds: float) -> str:
    return f"{max(1, round(seconds * 1000))}ms"
