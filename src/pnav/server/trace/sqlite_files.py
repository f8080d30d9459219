"""SQLite databases of a browser profile as an examiner reads them: with their ``-wal``
and ``-journal`` files.

A database in WAL mode keeps its latest changes in ``NAME-wal`` until a checkpoint
copies them into ``NAME``: a row can be in the WAL alone, and a long value there is cut
by a 24-byte frame header at every page boundary. A rollback journal (``NAME-journal``)
keeps the pages as they were before the last transaction; with ``PERSIST`` journaling
only its header is zeroed after a commit, so the old pages stay readable. Both are
read here as SQLite itself would: the database opened on a private copy with its WAL
beside it, and the database rolled back to the journal's pages. Standard library only.
"""

from __future__ import annotations

import sqlite3
import struct
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["SQLITE_MAGIC", "journal_rollback", "main_of", "read_sidecar", "rows", "snapshot"]

SQLITE_MAGIC = b"SQLite format 3\x00"
_JOURNAL_MAGIC = bytes.fromhex("d9d505f920a163d7")


@contextmanager
def snapshot(database: bytes, wal: bytes | None = None) -> Iterator[sqlite3.Connection]:
    """A read-only connection to a private copy of ``database`` (its bytes) with ``wal``
    (the bytes of its ``-wal`` file, if any) applied, as SQLite applies it on opening."""
    with tempfile.TemporaryDirectory(prefix="pnav-sqlite-") as tmp:
        path = Path(tmp, "db")
        path.write_bytes(database)
        if wal:
            Path(tmp, "db-wal").write_bytes(wal)
            # Opening read-write (on the copy) lets SQLite rebuild the WAL index.
            db = sqlite3.connect(path)
        else:
            db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        try:
            db.text_factory = bytes
            yield db
        finally:
            db.close()


def rows(db: sqlite3.Connection) -> Iterator[tuple[object, ...]]:
    """Every row of every table."""
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    for table in tables:
        name = table.decode() if isinstance(table, bytes) else str(table)
        quoted = '"' + name.replace('"', '""') + '"'
        yield from db.execute(f"SELECT * FROM {quoted}")  # noqa: S608 (a table name)


def journal_rollback(database: bytes, journal: bytes) -> bytes | None:
    """``database`` with the pages kept in its rollback ``journal`` put back (what it was
    before the journaled transaction), or None when the journal holds no page."""
    if not database.startswith(SQLITE_MAGIC) or len(journal) < 28:
        return None
    page_size = struct.unpack_from(">H", database, 16)[0]
    page_size = 65536 if page_size == 1 else page_size
    if journal.startswith(_JOURNAL_MAGIC):
        sector = struct.unpack_from(">I", journal, 20)[0] or 512
        sectors = [sector]
    else:  # a persisted journal whose header was zeroed after its commit
        sectors = [512, 1024, 2048, 4096, 8192, 16384, 32768, 65536]
    for sector in sectors:
        pages = _journal_pages(journal, sector, page_size)
        if pages:
            out = bytearray(database)
            for number, page in pages:
                at = (number - 1) * page_size
                if len(out) < at + page_size:
                    out.extend(bytes(at + page_size - len(out)))
                out[at : at + page_size] = page
            return bytes(out)
    return None


def _journal_pages(journal: bytes, start: int, page_size: int) -> list[tuple[int, bytes]]:
    """The (page number, page) records of a journal from offset ``start``; a record
    whose page number is implausible ends the list."""
    pages: list[tuple[int, bytes]] = []
    pos, record = start, 4 + page_size + 4
    while pos + record <= len(journal):
        number = struct.unpack_from(">I", journal, pos)[0]
        if not 0 < number < 1 << 24:
            break
        pages.append((number, journal[pos + 4 : pos + 4 + page_size]))
        pos += record
    return pages


def read_sidecar(path: Path, suffix: str) -> bytes | None:
    """The bytes of ``path`` + ``suffix`` (``-wal``, ``-journal``), if that file exists."""
    side = path.with_name(path.name + suffix)
    try:
        return side.read_bytes() if side.is_file() else None
    except OSError:
        return None


def main_of(sidecar: Path, suffix: str) -> Path | None:
    """The database a ``-wal`` or ``-journal`` file belongs to, if it is there."""
    if not sidecar.name.endswith(suffix):
        return None
    main = sidecar.with_name(sidecar.name[: -len(suffix)])
    return main if main.is_file() else None
