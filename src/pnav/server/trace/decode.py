"""Decodings of browser-profile files, so that a search sees what the bytes hide.

Snappy-compressed LevelDB tables with prefix-compressed keys (Local Storage,
IndexedDB), LevelDB logs cut into 32 KiB blocks, SQLite values (split across
overflow pages on disk), gzip streams, the encrypted records of the session-restore
files (``Sessions_Encrypted/``), and every value among those that Chromium encrypted
with its local key (:func:`opened`). Each decoder takes a file's bytes and yields
byte strings to search; a decoder that does not apply yields nothing or raises one of
``DECODE_ERRORS``. Standard library only.
"""

from __future__ import annotations

import sqlite3
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator

from pnav.server.trace.crypto import open_local
from pnav.server.trace.sqlite_files import SQLITE_MAGIC, rows, snapshot

__all__ = [
    "DECODERS",
    "DECODE_ERRORS",
    "DECODE_LIMIT",
    "ENCRYPTED",
    "opened",
    "positions",
    "snappy_decompress",
    "sqlite_values",
]

# Above this, a file is searched as raw bytes only (no decoding attempted).
DECODE_LIMIT = 64 * 1024 * 1024
DECODE_ERRORS = (ValueError, IndexError, struct.error, zlib.error, sqlite3.Error)
_LEVELDB_MAGIC = struct.pack("<Q", 0xDB4775248B80FB57)
_LOG_BLOCK = 32 * 1024


def positions(data: bytes, sub: bytes) -> Iterator[int]:
    at = data.find(sub)
    while at != -1:
        yield at
        at = data.find(sub, at + 1)


def _gzip_members(data: bytes) -> Iterator[bytes]:
    """Every gzip stream embedded anywhere (the HTTP cache keeps encoded bodies)."""
    for at in positions(data, b"\x1f\x8b\x08"):
        try:
            yield zlib.decompressobj(31).decompress(data[at:], DECODE_LIMIT)
        except zlib.error:
            continue


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def snappy_decompress(data: bytes) -> bytes:
    """The snappy block format (LevelDB compresses table blocks with it)."""
    length, pos = _varint(data, 0)
    out = bytearray()
    while pos < len(data):
        tag = data[pos]
        pos += 1
        kind = tag & 3
        if kind == 0:  # literal
            size = tag >> 2
            if size >= 60:
                extra = size - 59
                size = int.from_bytes(data[pos : pos + extra], "little")
                pos += extra
            size += 1
            out += data[pos : pos + size]
            pos += size
            continue
        if kind == 1:
            size, offset = ((tag >> 2) & 7) + 4, ((tag >> 5) << 8) | data[pos]
            pos += 1
        elif kind == 2:
            size, offset = (tag >> 2) + 1, int.from_bytes(data[pos : pos + 2], "little")
            pos += 2
        else:
            size, offset = (tag >> 2) + 1, int.from_bytes(data[pos : pos + 4], "little")
            pos += 4
        if not 0 < offset <= len(out):
            raise ValueError("bad snappy copy")
        for _ in range(size):  # copies may overlap their own output
            out.append(out[-offset])
    if len(out) != length:
        raise ValueError("snappy length mismatch")
    return bytes(out)


def _leveldb_block(data: bytes, offset: int, size: int) -> bytes:
    raw, kind = data[offset : offset + size], data[offset + size]
    if kind == 0:
        return raw
    if kind == 1:
        return snappy_decompress(raw)
    raise ValueError(f"unknown LevelDB block compression {kind}")


def _leveldb_entries(block: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Key/value pairs of a table block, keys rebuilt from their shared prefixes."""
    restarts = struct.unpack_from("<I", block, len(block) - 4)[0]
    end = len(block) - 4 - 4 * restarts
    pos, key = 0, b""
    while pos < end:
        shared, pos = _varint(block, pos)
        unshared, pos = _varint(block, pos)
        size, pos = _varint(block, pos)
        key = key[:shared] + block[pos : pos + unshared]
        pos += unshared
        yield key, block[pos : pos + size]
        pos += size


def _leveldb_table(data: bytes) -> Iterator[bytes]:
    """Every key and value of a LevelDB table (``*.ldb``), decompressed."""
    if len(data) < 48 or data[-8:] != _LEVELDB_MAGIC:
        return
    footer = data[-48:]
    _, pos = _varint(footer, 0)
    _, pos = _varint(footer, pos)  # metaindex handle
    index_offset, pos = _varint(footer, pos)
    index_size, _ = _varint(footer, pos)
    for _, handle in _leveldb_entries(_leveldb_block(data, index_offset, index_size)):
        offset, pos = _varint(handle, 0)
        size, _ = _varint(handle, pos)
        for key, value in _leveldb_entries(_leveldb_block(data, offset, size)):
            yield key + b"\x00" + value


def _leveldb_log(data: bytes) -> Iterator[bytes]:
    """Records of a LevelDB log (``*.log``, ``MANIFEST-*``), joined across 32 KiB blocks."""
    record = bytearray()
    for start in range(0, len(data), _LOG_BLOCK):
        block, pos = data[start : start + _LOG_BLOCK], 0
        while pos + 7 <= len(block):
            size, kind = struct.unpack_from("<HB", block, pos + 4)
            if kind == 0 and size == 0:
                break  # zero padding to the end of the block
            if kind not in (1, 2, 3, 4) or pos + 7 + size > len(block):
                raise ValueError("not a LevelDB log")
            chunk = block[pos + 7 : pos + 7 + size]
            pos += 7 + size
            if kind in (1, 2):
                record = bytearray(chunk)
            else:
                record += chunk
            if kind in (1, 4):
                yield bytes(record)
                record = bytearray()


def sqlite_values(data: bytes, wal: bytes | None = None) -> Iterable[bytes]:
    """Every live value of an SQLite database (with ``wal``, the bytes of its ``-wal``
    file, applied), text and blobs as they are (a long value is split across overflow
    pages on disk; the raw search covers free pages)."""
    if not data.startswith(SQLITE_MAGIC) and not (wal and not data):
        return []
    values: list[bytes] = []
    with snapshot(data, wal) as db:
        for row in rows(db):
            values.extend(v for v in row if isinstance(v, bytes))
            values.extend(str(v).encode() for v in row if isinstance(v, int | float))
    return values


def _sessions_encrypted(data: bytes) -> Iterator[bytes]:
    """The records of an encrypted session-restore file (``Sessions_Encrypted/``):
    ``SNSS``, version 5, then records of a 32-bit length and a value encrypted with
    Chromium's local key (opened by :func:`opened`)."""
    if not data.startswith(b"SNSS") or len(data) < 8 or struct.unpack_from("<I", data, 4)[0] < 4:
        return
    pos = 8
    while pos + 4 <= len(data):
        (size,) = struct.unpack_from("<I", data, pos)
        pos += 4
        if pos + size > len(data):
            raise ValueError("a session record runs past the end of the file")
        yield data[pos : pos + size]
        pos += size


ENCRYPTED = "in a value Chromium encrypted with its fixed key, decrypted"


def opened(items: Iterable[bytes]) -> list[bytes]:
    """The plaintext of every item that is a value Chromium encrypted with a local key
    an examiner can derive (``v10``, and ``v11`` with an empty keyring password)."""
    found = (open_local(item) for item in items if item[:3] in (b"v10", b"v11"))
    return [item for item in found if item is not None]


DECODERS: tuple[tuple[str, Callable[[bytes], Iterable[bytes]]], ...] = (
    ("in a gzip stream", _gzip_members),
    ("in a LevelDB table, decompressed", _leveldb_table),
    ("in a LevelDB log record", _leveldb_log),
    ("in an SQLite table", sqlite_values),
    ("in an encrypted session-restore record", _sessions_encrypted),
)
