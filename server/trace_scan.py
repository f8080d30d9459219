"""Read every file of a browser profile the way a forensic examiner would, and find secrets.

A profile keeps strings in many shapes: plain UTF-8 (URLs in History, Sessions,
the disk cache), UTF-16LE (page titles, DOM storage values), snappy-compressed
LevelDB tables (Local Storage, IndexedDB, Session Storage) whose keys are also
prefix-compressed, LevelDB logs cut into 32 KiB blocks, SQLite pages (a long value
spills onto overflow pages), gzip bodies in the HTTP cache. Every file is searched
as it is, and also through each of these decodings; a needle found in any of them
is a finding. Nothing is skipped by name: a file nobody thought of is read too.

Pure standard library, no browser needed: ``pnav.server.trace_check`` drives
Chromium and calls :func:`scan_profile`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import sqlite3
import struct
import zlib
from base64 import b64encode
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .trace_crypto import open_v10

__all__ = ["Excuse", "Finding", "Needle", "describe_file", "host_needles", "scan_profile"]

# Above this, a file is read and searched as raw bytes only (no decoding attempted).
_DECODE_LIMIT = 64 * 1024 * 1024
_LEVELDB_MAGIC = struct.pack("<Q", 0xDB4775248B80FB57)
_LOG_BLOCK = 32 * 1024


@dataclass(frozen=True)
class Needle:
    """A secret that must not be on the disk. ``kind`` groups needles for the report
    (``server``, ``conversation``, ``token``, ``message``); ``label`` names this one."""

    kind: str
    label: str
    value: str


@dataclass(frozen=True)
class Excuse:
    """A context a needle may sit in without being a trace of the chat: an occurrence
    wholly inside an occurrence of ``context`` is reported as excused, with ``reason``."""

    context: str
    reason: str


@dataclass(frozen=True)
class Finding:
    file: str  # relative to the profile directory, with "/" separators
    needle: Needle
    how: str  # "utf-8", "utf-16le", and the decoding it was found through, if any
    excused: str | None = None  # why this is not a trace of the chat; None: it is one


def host_needles(origin: str) -> list[Needle]:
    """How a profile can name a server: ``host:port`` (or the bare host on a default
    port), and, for a DNS name, the hashed form Chromium keeps HSTS entries under
    (base64 of SHA-256 of the name in DNS wire format, in ``TransportSecurity``)."""
    scheme, _, rest = origin.partition("://")
    netloc = rest.split("/", 1)[0].lower()
    host, _, port = netloc.rpartition(":") if netloc.count(":") == 1 else (netloc, "", "")
    default = {"http": "80", "https": "443", "ws": "80", "wss": "443"}.get(scheme)
    needles = [
        Needle("server", "the chat server's address", netloc if port and port != default else host)
    ]
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        wire = b"".join(bytes([len(label)]) + label.encode("idna") for label in host.split("."))
        digest = hashlib.sha256(wire + b"\x00").digest()
        hashed = b64encode(digest).decode()
        needles.append(
            Needle("server", "the chat server's address (hashed, as HSTS keeps it)", hashed)
        )
    return needles


def describe_file(relative: str) -> str:
    """What a profile file is, in words a partner or an examiner understands."""
    path = "/" + relative
    for marker, what in _FILE_KINDS:
        if marker in path:
            return what
    return "a browser profile file"


# (a path fragment, what the file is) — first match wins, so specific ones first.
_FILE_KINDS: tuple[tuple[str, str], ...] = (
    ("/Code Cache/", "the compiled-script cache (V8 code cache, keyed by the script's URL)"),
    ("/Cache/", "the HTTP disk cache (responses the browser kept)"),
    ("/GPUCache/", "the GPU shader cache"),
    ("/Service Worker/", "the service worker and Cache Storage database"),
    ("/Local Storage/", "localStorage (LevelDB)"),
    ("/Session Storage/", "sessionStorage (LevelDB)"),
    ("/IndexedDB/", "IndexedDB"),
    ("/Storage/", "partitioned web storage (buckets)"),
    ("/Sessions/", "the session-restore files (the tabs a restart reopens, with their history)"),
    ("/Current Session", "the session-restore file (the tabs a restart reopens)"),
    ("/Last Session", "the session-restore file of the previous run"),
    ("/Current Tabs", "the session-restore file (the tabs a restart reopens)"),
    ("/History", "the browsing history (the History database)"),
    ("/Visited Links", "the visited-links table (colours visited links)"),
    ("/Favicons", "the favicon database (icons of visited sites)"),
    ("/Top Sites", "the most-visited sites (new-tab page)"),
    ("/Shortcuts", "the address-bar shortcuts"),
    ("/Network Action Predictor", "the address-bar predictor"),
    ("/Cookies", "the cookie jar"),
    ("/Network Persistent State", "the network state (servers' HTTP/2 and QUIC support, timings)"),
    ("/TransportSecurity", "the HSTS store (sites that asked to be reached over HTTPS only)"),
    ("/Reporting and NEL", "the Reporting API and Network Error Logging store"),
    ("/Trust Tokens", "the Private State Tokens store"),
    ("/Web Data", "the autofill database (form entries)"),
    ("/Login Data", "the saved-passwords database"),
    ("/Secure Preferences", "the profile's protected preferences"),
    ("/Preferences", "the profile's preferences (per-site settings and engagement)"),
    ("/Local State", "the browser's local state"),
    ("/segmentation_platform/", "the segmentation platform (usage statistics)"),
    ("/shared_proto_db/", "a shared browser database"),
    ("/Site Characteristics Database/", "the site-characteristics database"),
    ("/DIPS", "the bounce-tracking (DIPS) database"),
    ("/Sync Data/", "the sync database"),
)


def scan_profile(
    root: Path, needles: Sequence[Needle], excuses: Sequence[Excuse] = ()
) -> list[Finding]:
    """Every needle found in any file under ``root``: traces first, then excused ones.

    A file where every occurrence of a needle lies inside an excuse's context gives an
    excused finding; one occurrence outside all of them makes it a trace.
    """
    if any(len(n.value) < 4 for n in needles):
        raise ValueError("a needle shorter than 4 characters would match anything")
    traces: dict[tuple[str, Needle], list[str]] = {}
    excused: dict[tuple[str, Needle], tuple[list[str], str]] = {}
    for path, relative in _files(root):
        for how, data in _views(path):
            for needle in needles:
                for encoding in ("utf-8", "utf-16le"):
                    verdict = _search(data, needle.value, encoding, excuses)
                    if verdict is None:
                        continue
                    label = encoding if how == "raw" else f"{encoding}, {how}"
                    key = (relative, needle)
                    if verdict == "":
                        traces.setdefault(key, [])
                        if label not in traces[key]:
                            traces[key].append(label)
                    else:
                        hows, _ = excused.setdefault(key, ([], verdict))
                        if label not in hows:
                            hows.append(label)
    found = [Finding(file, needle, "; ".join(hows)) for (file, needle), hows in traces.items()]
    found += [
        Finding(file, needle, "; ".join(hows), reason)
        for (file, needle), (hows, reason) in excused.items()
        if (file, needle) not in traces
    ]
    return found


def _files(root: Path) -> Iterator[tuple[Path, str]]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(
            filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        ):
            path = Path(dirpath, name)
            yield path, path.relative_to(root).as_posix()


def _views(path: Path) -> Iterator[tuple[str, bytes]]:
    """The file's bytes, then whatever can be decoded out of them."""
    if path.is_symlink():
        yield "the symlink's target", os.readlink(path).encode()
        return
    if not path.is_file():
        return
    try:
        data = path.read_bytes()
    except OSError:
        return
    yield "raw", data
    if len(data) > _DECODE_LIMIT:
        return
    for how, decoder in _DECODERS:
        try:
            decoded = b"\x00".join(decoder(data))
        except (ValueError, IndexError, struct.error, zlib.error, sqlite3.Error):
            continue
        if decoded:
            yield how, decoded


def _search(data: bytes, value: str, encoding: str, excuses: Sequence[Excuse]) -> str | None:
    """None: not there; "": there, at least once outside every excuse; else the reason
    of the excuse that covers every occurrence."""
    needle = value.encode(encoding)
    if needle not in data:
        return None
    spans = [
        (start, start + len(context), excuse.reason)
        for excuse in excuses
        if needle in (context := excuse.context.encode(encoding))
        for start in _positions(data, context)
    ]
    reason = None
    for at in _positions(data, needle):
        cover = next((r for a, b, r in spans if a <= at and at + len(needle) <= b), None)
        if cover is None:
            return ""
        reason = reason or cover
    return reason


def _positions(data: bytes, sub: bytes) -> Iterator[int]:
    at = data.find(sub)
    while at != -1:
        yield at
        at = data.find(sub, at + 1)


# ----------------------------------------------------------------------- decoders


def _gzip_members(data: bytes) -> Iterator[bytes]:
    """Every gzip stream embedded anywhere (the HTTP cache keeps encoded bodies)."""
    for at in _positions(data, b"\x1f\x8b\x08"):
        try:
            yield zlib.decompressobj(31).decompress(data[at:], _DECODE_LIMIT)
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


def _sqlite_values(data: bytes) -> Iterable[bytes]:
    """Every live value of an SQLite database, text and blobs as they are (a long value
    is split across overflow pages on disk; the raw search covers free pages and journals)."""
    if not data.startswith(b"SQLite format 3\x00"):
        return []
    import tempfile  # only for SQLite files

    values: list[bytes] = []
    with tempfile.NamedTemporaryFile(suffix=".sqlite3") as copy:
        copy.write(data)
        copy.flush()
        db = sqlite3.connect(f"file:{copy.name}?mode=ro&immutable=1", uri=True)
        db.text_factory = bytes
        try:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            for table in tables:
                quoted = '"' + table.decode().replace('"', '""') + '"'
                for row in db.execute(f"SELECT * FROM {quoted}"):  # noqa: S608 (a table name)
                    values.extend(v for v in row if isinstance(v, bytes))
                    values.extend(str(v).encode() for v in row if isinstance(v, int | float))
        finally:
            db.close()
    return values


def _chromium_encrypted(data: bytes) -> Iterable[bytes]:
    """Cookie values and saved passwords that Chromium encrypted under its fixed
    Linux key (``v10``): they open for anyone (trace_crypto)."""
    opened = (open_v10(v) for v in _sqlite_values(data) if v.startswith(b"v10"))
    return [v for v in opened if v is not None]


_DECODERS = (
    ("in a gzip stream", _gzip_members),
    ("in a LevelDB table, decompressed", _leveldb_table),
    ("in a LevelDB log record", _leveldb_log),
    ("in an SQLite table", _sqlite_values),
    ("in a value Chromium encrypted with its fixed key, decrypted", _chromium_encrypted),
)
