"""The profile scanner finds a secret in every shape a browser profile keeps it in.

Each test hides a needle the way Chromium would (UTF-16LE, snappy-compressed LevelDB
table, a LevelDB log record cut by a block boundary, an SQLite overflow page, a gzip
body, a cookie encrypted with Chromium's fixed Linux key) and checks that a plain byte
search misses it where that is the point, and that ``scan_profile`` finds it.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import os
import sqlite3
import struct

import pytest

from pnav.server.trace.crypto import _IV, _V10_KEY, aes128_decrypt_block, open_v10
from pnav.server.trace.decode import snappy_decompress
from pnav.server.trace.report import describe_file, meaning
from pnav.server.trace.scan import Excuse, Finding, Needle, host_needles, scan_profile

SECRET = Needle("conversation", "the conversation id", "conv-Zq81fKx02LmPa9")


def _found(tmp_path, needle=SECRET, excuses=()):
    return {(f.file, f.how, f.excused) for f in scan_profile(tmp_path, [needle], excuses)}


def _raw_hit(path, needle=SECRET) -> bool:
    return needle.value.encode() in path.read_bytes()


def test_nothing_found_in_a_clean_profile(tmp_path):
    (tmp_path / "Default").mkdir()
    (tmp_path / "Default" / "History").write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    assert scan_profile(tmp_path, [SECRET]) == []


def test_utf8_and_utf16le_in_any_file_at_any_depth(tmp_path):
    deep = tmp_path / "Default" / "Sessions"
    deep.mkdir(parents=True)
    (deep / "Session_1").write_bytes(b"\x01\x02" + SECRET.value.encode("utf-16-le") + b"\x00")
    (tmp_path / "odd name, no extension").write_bytes(SECRET.value.encode())
    assert _found(tmp_path) == {
        ("Default/Sessions/Session_1", "utf-16le", None),
        ("odd name, no extension", "utf-8", None),
    }


def test_a_symlink_target_is_read(tmp_path):
    os.symlink("/nowhere/" + SECRET.value, tmp_path / "SingletonLock")
    [finding] = scan_profile(tmp_path, [SECRET])
    assert finding.file == "SingletonLock"


def test_gzip_body_in_the_http_cache(tmp_path):
    body = b"<html>" + SECRET.value.encode() + b"</html>"
    (tmp_path / "entry_0").write_bytes(b"cache header\x00" + gzip.compress(body) + b"\x00tail")
    assert not _raw_hit(tmp_path / "entry_0")
    assert _found(tmp_path) == {("entry_0", "utf-8, in a gzip stream", None)}


# ----------------------------------------------------------------- LevelDB


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _snappy(data: bytes) -> bytes:
    """A small greedy snappy compressor: literals, and 2-byte-offset copies of 4+ bytes."""
    out, pos, literal = bytearray(_varint(len(data))), 0, bytearray()

    def flush() -> None:
        if literal:
            assert len(literal) <= 60
            out.append((len(literal) - 1) << 2)
            out.extend(literal)
            literal.clear()

    while pos < len(data):
        best = (0, 0)
        for start in range(max(0, pos - 65535), pos):
            size = 0
            while pos + size < len(data) and size < 64 and data[start + size] == data[pos + size]:
                size += 1
            if size > best[0]:
                best = (size, pos - start)
        if best[0] >= 4:
            flush()
            out.append(((best[0] - 1) << 2) | 2)
            out.extend(struct.pack("<H", best[1]))
            pos += best[0]
        else:
            literal.append(data[pos])
            pos += 1
            if len(literal) == 60:
                flush()
    flush()
    return bytes(out)


def test_snappy_literals_and_overlapping_copies():
    assert snappy_decompress(_snappy(b"abcdabcdabcdabcd-xyz")) == b"abcdabcdabcdabcd-xyz"
    # One literal "a", then a copy of 9 bytes at offset 1 (overlapping its own output).
    assert snappy_decompress(b"\x0a\x00a" + bytes([(9 - 1) << 2 | 2]) + b"\x01\x00") == b"a" * 10
    with pytest.raises(ValueError):
        snappy_decompress(b"\x05\x00a" + bytes([(4 - 1) << 2 | 2]) + b"\x09\x00")


def _block(entries: list[tuple[bytes, bytes]]) -> bytes:
    out, prev = bytearray(), b""
    for key, value in entries:
        shared = 0
        while shared < min(len(prev), len(key)) and prev[shared] == key[shared]:
            shared += 1
        out += _varint(shared) + _varint(len(key) - shared) + _varint(len(value))
        out += key[shared:] + value
        prev = key
    return bytes(out) + struct.pack("<II", 0, 1)


def _table(entries: list[tuple[bytes, bytes]]) -> bytes:
    data = _snappy(_block(entries))
    data_block = data + b"\x01" + b"\x00" * 4  # compression type 1 (snappy), crc
    index = _block([(entries[-1][0], _varint(0) + _varint(len(data)))])
    index_at = len(data_block)
    footer = _varint(0) + _varint(0) + _varint(index_at) + _varint(len(index))
    footer = footer.ljust(40, b"\x00") + struct.pack("<Q", 0xDB4775248B80FB57)
    return data_block + index + b"\x00" * 5 + footer


def test_leveldb_table_snappy_and_shared_key_prefixes(tmp_path):
    value = SECRET.value.encode()
    # The value repeats the key's start: snappy copies it, so the raw bytes never hold
    # the whole needle; the second key shares its prefix with the first one.
    entries = [
        (b"_https://partner.example\x00\x01conv-Zq81", b"x"),
        (b"_https://partner.example\x00\x01k", value),
    ]
    ldb = tmp_path / "Local Storage" / "leveldb" / "000005.ldb"
    ldb.parent.mkdir(parents=True)
    ldb.write_bytes(_table(entries))
    assert not _raw_hit(ldb)
    assert _found(tmp_path) == {
        ("Local Storage/leveldb/000005.ldb", "utf-8, in a LevelDB table, decompressed", None)
    }


def test_leveldb_log_record_across_a_block_boundary(tmp_path):
    block = 32 * 1024
    first = block - 7
    record = b"b" * (first - 6) + SECRET.value.encode() + b"e" * 100
    log = struct.pack("<IHB", 0, first, 2) + record[:first]
    rest = record[first:]
    log += struct.pack("<IHB", 0, len(rest), 4) + rest
    path = tmp_path / "000003.log"
    path.write_bytes(log)
    assert not _raw_hit(path)
    assert _found(tmp_path) == {("000003.log", "utf-8, in a LevelDB log record", None)}


# ------------------------------------------------------------------ SQLite


def test_sqlite_value_split_across_overflow_pages(tmp_path):
    needle = SECRET.value.encode()
    size = 6000  # one value this long spills from its leaf page onto overflow pages
    for offset in range(0, size, len(needle) - 2):
        path = tmp_path / f"History-{offset}"
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE urls (url TEXT)")
        db.execute(
            "INSERT INTO urls VALUES (?)", ("x" * offset + SECRET.value + "y" * (size - offset),)
        )
        db.commit()
        db.close()
        if needle not in path.read_bytes():
            break
        path.unlink()
    else:
        pytest.fail("no offset put the needle across an overflow page boundary")
    assert _found(tmp_path) == {(path.name, "utf-8, in an SQLite table", None)}


def test_aes_decrypts_the_fips_197_vector():
    key = bytes(range(16))
    cipher = bytes.fromhex("69c4e0d86a7b0430d8cdb78070b4c55a")
    assert aes128_decrypt_block(key, cipher).hex() == "00112233445566778899aabbccddeeff"


# A cookie Chromium 156 wrote (value "COOKIECANARY123" for host 127.0.0.1), as stored in
# the Cookies database's encrypted_value: "v10" + AES-128-CBC under the fixed key.
CHROMIUM_COOKIE = bytes.fromhex(
    "7631302BB01EEBE40CCFF8B9D3B700273158B01EEE6BEDEECAB4DE6DBA0816A5"
    "6B0038D2F52FD6B242D34C4572379815866EF2"
)


def test_a_cookie_encrypted_with_chromiums_fixed_key_is_opened(tmp_path):
    plain = open_v10(CHROMIUM_COOKIE)
    assert plain == hashlib.sha256(b"127.0.0.1").digest() + b"COOKIECANARY123"
    assert open_v10(b"v11" + CHROMIUM_COOKIE[3:]) is None
    assert len(_V10_KEY) == len(_IV) == 16

    path = tmp_path / "Default" / "Cookies"
    path.parent.mkdir()
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE cookies (host_key TEXT, name TEXT, encrypted_value BLOB)")
    db.execute("INSERT INTO cookies VALUES ('127.0.0.1', 'last_chat', ?)", (CHROMIUM_COOKIE,))
    db.commit()
    db.close()
    canary = Needle("message", "a canary", "COOKIECANARY123")
    assert not _raw_hit(path, canary)
    [finding] = scan_profile(tmp_path, [canary])
    assert finding.file == "Default/Cookies"
    assert "encrypted with its fixed key, decrypted" in finding.how
    assert describe_file(finding.file) == "the cookie jar"


# ----------------------------------------------------------- needles, excuses


def test_host_needles_keep_the_port_and_add_the_hsts_hash():
    [ip] = host_needles("http://127.0.0.1:8400")
    assert ip.value == "127.0.0.1:8400"
    plain, hashed = host_needles("https://Chat.Example.org")
    assert plain.value == "chat.example.org"  # default port: the bare host
    wire = b"\x04chat\x07example\x03org\x00"
    assert hashed.value == base64.b64encode(hashlib.sha256(wire).digest()).decode()
    assert host_needles("https://chat.example.org:8443")[0].value == "chat.example.org:8443"


def test_an_occurrence_inside_an_excused_context_is_not_a_trace(tmp_path):
    server = Needle("server", "the chat server's address", "chat.example:8400")
    tag = '<script src="https://chat.example:8400/widget/loader.js" async></script>'
    excuse = Excuse(tag, "the partner page's own HTML")
    (tmp_path / "page").write_text(f"<html>{tag}</html>")
    (tmp_path / "both").write_text(f"<html>{tag}</html> and https://chat.example:8400/api")
    assert _found(tmp_path, server, [excuse]) == {
        ("page", "utf-8", "the partner page's own HTML"),
        ("both", "utf-8", None),
    }


def test_findings_say_what_the_file_is_and_what_it_means():
    server = Needle("server", "the chat server's address", "x")
    assert "browser history" in meaning(Finding("Default/History", server, "utf-8"))
    assert "restart" in meaning(Finding("Default/Sessions/Tabs_1", server, "utf-16le"))
    assert "HSTS" in meaning(Finding("Default/TransportSecurity", server, "utf-8"))
    assert "web storage" in meaning(
        Finding("Default/Local Storage/leveldb/000003.log", server, "utf-8")
    )
    assert "code" in describe_file("Default/Code Cache/js/abc_0")
    assert describe_file("Default/Session Storage/000003.log").startswith("sessionStorage")
    text = Needle("message", "a message", "x")
    assert "reads what was said" in meaning(Finding("Default/Cache/Cache_Data/1_0", text, "x"))
