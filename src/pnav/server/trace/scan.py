"""Read every file of a browser profile the way a forensic examiner would, and find secrets.

A profile keeps strings in many shapes: plain UTF-8 (URLs in History, Sessions,
the disk cache), UTF-16LE (page titles, DOM storage values), snappy-compressed
LevelDB tables (Local Storage, IndexedDB, Session Storage) whose keys are also
prefix-compressed, LevelDB logs cut into 32 KiB blocks, SQLite pages (a long value
spills onto overflow pages), gzip bodies in the HTTP cache, cookie values that
Chromium encrypts with a key anyone can derive (``trace_decode``). Every file is
searched as it is, and also through each of these decodings; a needle found in any
of them is a finding. Nothing is skipped by name: a file nobody thought of is read.

Pure standard library, no browser needed: ``pnav.server.trace.check`` drives
Chromium and calls :func:`scan_profile`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
from base64 import b64encode
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pnav.server.trace.decode import (
    DECODE_ERRORS,
    DECODE_LIMIT,
    DECODERS,
    ENCRYPTED,
    opened,
    positions,
    sqlite_values,
)
from pnav.server.trace.sqlite_files import journal_rollback, main_of

__all__ = ["Excuse", "Finding", "Needle", "host_needles", "scan_profile"]


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
        labels = host.rstrip(".").split(".")
        wire = b"".join(bytes([len(label)]) + label.encode("idna") for label in labels)
        digest = hashlib.sha256(wire + b"\x00").digest()
        hashed = b64encode(digest).decode()
        needles.append(
            Needle("server", "the chat server's address (hashed, as HSTS keeps it)", hashed)
        )
    return needles


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
    for relative, how in _names(root):
        name = relative.rsplit("/", 1)[-1]
        for needle in needles:
            if any(form in name for form in _name_forms(needle)):
                traces.setdefault((relative, needle), []).append(how)
    found = [Finding(file, needle, "; ".join(hows)) for (file, needle), hows in traces.items()]
    found += [
        Finding(file, needle, "; ".join(hows), reason)
        for (file, needle), (hows, reason) in excused.items()
        if (file, needle) not in traces
    ]
    return found


def _names(root: Path) -> Iterator[tuple[str, str]]:
    """Every file and folder under ``root`` by its relative path, with how a needle in
    its own name is reported."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name, how in [(d, "in the folder's name") for d in dirnames] + [
            (f, "in the file's name") for f in filenames
        ]:
            yield Path(dirpath, name).relative_to(root).as_posix(), how


def _name_forms(needle: Needle) -> tuple[str, ...]:
    """How a value can appear in a file name: as it is, and, for a server's
    ``host:port``, as Chromium names an origin's storage folders
    (``http_host_port.indexeddb.leveldb``), with ``_`` for ``:``."""
    forms = [needle.value, needle.value.replace("/", "_")]
    if needle.kind == "server":
        forms.append(needle.value.replace(":", "_"))
    return tuple(dict.fromkeys(forms))


def _files(root: Path) -> Iterator[tuple[Path, str]]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(
            filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        ):
            path = Path(dirpath, name)
            yield path, path.relative_to(root).as_posix()


def _views(path: Path) -> Iterator[tuple[str, bytes]]:
    """The file's bytes, then whatever can be decoded out of them, and the plaintext
    of the values among those that Chromium encrypted with its local key."""
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
    if len(data) > DECODE_LIMIT:
        return
    for how, decoder in (*DECODERS, *_sidecar_decoders(path)):
        try:
            items = list(decoder(data))
            secrets = opened(items)
        except DECODE_ERRORS:
            continue
        decoded = b"\x00".join(items)
        if decoded:
            yield how, decoded
        if secrets:
            yield f"{how}, {ENCRYPTED}", b"\x00".join(secrets)


def _sidecar_decoders(path: Path) -> list[tuple[str, Callable[[bytes], Iterable[bytes]]]]:
    """SQLite's own side files, read with their database: a ``-wal`` file applied to
    it (its rows as the database will have them), a ``-journal`` rolled back into it
    (its rows as they were). The findings go to the side file itself."""
    if path.name.endswith("-wal"):
        # With no database beside it, the WAL alone (its pages are whole pages).
        main = main_of(path, "-wal")
        database = main.read_bytes() if main else b""
        return [("in an SQLite table, with this WAL applied", _with_wal(database))]
    if main := main_of(path, "-journal"):
        database = main.read_bytes()
        return [("in an SQLite table, rolled back to this journal", _rolled_back(database))]
    return []


def _with_wal(database: bytes) -> Callable[[bytes], Iterable[bytes]]:
    return lambda wal: sqlite_values(database, wal) if wal else []


def _rolled_back(database: bytes) -> Callable[[bytes], Iterable[bytes]]:
    def decode(journal: bytes) -> Iterable[bytes]:
        before = journal_rollback(database, journal)
        return sqlite_values(before) if before else []

    return decode


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
        for start in positions(data, context)
    ]
    reason = None
    for at in positions(data, needle):
        cover = next((r for a, b, r in spans if a <= at and at + len(needle) <= b), None)
        if cover is None:
            return ""
        reason = reason or cover
    return reason
