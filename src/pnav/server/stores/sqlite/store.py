"""The embedded default store: one SQLite file in WAL mode.

:class:`SQLiteStore` opens the file, checks its schema (:mod:`~pnav.server.stores.sqlite.schema`)
and keeps what concerns the whole file: purging, statistics. Its conversations are in
:mod:`~pnav.server.stores.sqlite.conversations`, its operators' side in
:mod:`~pnav.server.stores.sqlite.staff`.
"""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
import stat
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pnav.sdk.store import ActivityCounts, check_bounds
from pnav.server.stores import activity_sql
from pnav.server.stores.group_commit import GroupCommit
from pnav.server.stores.migrations import Migration, SchemaVersionError
from pnav.server.stores.sqlite.conversations import SQLiteConversations
from pnav.server.stores.sqlite.schema import MIGRATIONS, SCHEMA_VERSION, migrate
from pnav.server.stores.sqlite.staff import SQLiteStaff

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Migration",
    "SQLiteStore",
    "SchemaVersionError",
    "upgrade",
]


class SQLiteStore(SQLiteConversations, SQLiteStaff):
    """A :class:`~pnav.sdk.store.Store` in the SQLite file ``path`` (made if missing).

    The schema's steps are this module's :data:`MIGRATIONS`, read when a file is opened
    or upgraded, so that a test can add one."""

    @classmethod
    def from_options(cls, options: dict[str, Any], context: dict[str, Any]) -> SQLiteStore:
        """Registry hook: ``path`` option, else the ``database`` setting's path."""
        path = options.pop("path", None) or context["database_path"]
        if options:
            raise ValueError(f"unknown options {', '.join(sorted(options))} (known: path)")
        return cls(path)

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        private_file(self.path)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA synchronous=FULL")
        # Deleted rows are overwritten on disk, so purged ciphertext does not linger in free pages.
        self._db.execute("PRAGMA secure_delete=ON")
        self._writes = GroupCommit(self._write_batch)
        try:
            migrate(self._db, self.path, MIGRATIONS, upgrading=False)
        except BaseException:
            self._db.close()
            raise

    def purge_closed(self, closed_before: float) -> int:
        with self._tx() as db:
            cur = db.execute(
                "DELETE FROM conversations WHERE state = 'closed' AND closed_at < ?",
                (closed_before,),
            )
            count = cur.rowcount
        if count:
            with self._lock:
                # secure_delete zeroed the freed pages; the write-ahead log still holds
                # copies of them until it is checkpointed and truncated.
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return count

    def activity(self, since: float, until: float) -> ActivityCounts:
        with self._lock:  # one connection under the lock: both queries see one state
            groups = self._db.execute(activity_sql.groups("?"), (since, until)).fetchall()
            measured = activity_sql.measured("?")
            n = int(self._db.execute("SELECT count(*) " + measured, (since, until)).fetchone()[0])
            middle = self._db.execute(
                "SELECT assigned_at - created_at AS wait " + measured + " "
                "ORDER BY wait LIMIT ? OFFSET ?",
                (since, until, 2 - n % 2, (n - 1) // 2),
            ).fetchall()
            sql, bounds = activity_sql.wait_histogram("?")
            waits = self._db.execute(sql, (*bounds, since, until)).fetchall()
            sql, bounds = activity_sql.duration_histogram("?")
            durations = self._db.execute(sql, (*bounds, since, until)).fetchall()
            sql, bounds = activity_sql.left_histogram("?")
            left = self._db.execute(sql, (*bounds, since, until)).fetchall()
        return activity_sql.activity_counts(
            groups,
            n,
            sum(float(r[0]) for r in middle) / len(middle) if middle else None,
            waits,
            durations,
            left,
        )

    def started_series(self, bounds: Sequence[float]) -> list[int]:
        check_bounds(bounds)
        if len(bounds) < 2:
            return []
        intervals = json.dumps([[float(a), float(b)] for a, b in itertools.pairwise(bounds)])
        rows = self._all(
            "SELECT b.key, count(c.created_at) FROM json_each(?) b "
            "LEFT JOIN conversations c ON c.created_at >= json_extract(b.value, '$[0]') "
            "AND c.created_at < json_extract(b.value, '$[1]') GROUP BY b.key ORDER BY b.key",
            intervals,
        )
        return [int(r[1]) for r in rows]


def private_file(path: Path) -> None:
    """The database file readable by pnav's user only (0600), in a directory of its own
    (0700); SQLite gives its -wal and -shm files the database file's mode."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(0o600)  # a file made by an earlier version
    for suffix in ("-wal", "-shm"):
        extra = path.with_name(path.name + suffix)
        if extra.exists() and stat.S_IMODE(extra.stat().st_mode) & 0o077:
            extra.chmod(0o600)


def upgrade(path: str | Path) -> list[int]:
    """Bring the database file to the latest schema version in one transaction.

    Returns the versions applied (empty if it was up to date). Back up the file first.
    """
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA secure_delete=ON")
        return migrate(db, Path(path), MIGRATIONS, upgrading=True)
    finally:
        db.close()
