"""What trace-check reads beyond file contents (issue 17 §3): the encrypted session-restore
files (``Sessions_Encrypted/``), every value encrypted with Chromium's local key, SQLite
``-wal`` and ``-journal`` files, and file and folder names.

Each test hides a needle where only that reading finds it (a plain byte search misses
it) and checks that ``scan_profile`` finds it and names the file. tests/e2e/
test_trace_planted.py does the same with files a real Chromium wrote.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import struct
from pathlib import Path

import pytest

from pnav.server.trace.crypto import open_local
from pnav.server.trace.history import HistoryVisit, exit_chain, transition_names
from pnav.server.trace.scan import Needle, host_needles, scan_profile
from pnav.server.trace.sqlite_files import journal_rollback

# A cookie value Chromium 156 encrypted with its local key (v10, the fixed Linux key):
# SHA-256 of the host "127.0.0.1", then "COOKIECANARY123" (tests/server/test_trace_scan.py).
CHROMIUM_V10 = bytes.fromhex(
    "7631302BB01EEBE40CCFF8B9D3B700273158B01EEE6BEDEECAB4DE6DBA0816A5"
    "6B0038D2F52FD6B242D34C4572379815866EF2"
)
CANARY = Needle("message", "a canary", "COOKIECANARY123")
CHAT_URL = Needle("server", "the chat server's address", "chat.example:8400")


def _hows(root: Path, needle: Needle) -> dict[str, str]:
    return {f.file: f.how for f in scan_profile(root, [needle])}


# ---------------------------------------------------------- Sessions_Encrypted/


def test_a_record_of_sessions_encrypted_is_opened(tmp_path):
    """``SNSS`` version 5: records of a 32-bit length and a value under the local key."""
    folder = tmp_path / "Default" / "Sessions_Encrypted"
    folder.mkdir(parents=True)
    record = struct.pack("<I", len(CHROMIUM_V10)) + CHROMIUM_V10
    path = folder / "Session_13440764102641216"
    path.write_bytes(b"SNSS" + struct.pack("<I", 5) + record * 2)
    assert CANARY.value.encode() not in path.read_bytes()
    assert _hows(tmp_path, CANARY) == {
        "Default/Sessions_Encrypted/Session_13440764102641216": "utf-8, in an encrypted "
        "session-restore record, in a value Chromium encrypted with its fixed key, decrypted"
    }


def test_a_truncated_session_file_is_still_read_raw(tmp_path):
    path = tmp_path / "Tabs_1"
    path.write_bytes(b"SNSS\x05\x00\x00\x00\xff\xff\x00\x00v10" + CHAT_URL.value.encode())
    assert _hows(tmp_path, CHAT_URL) == {"Tabs_1": "utf-8"}


def test_local_key_values_v11_with_an_empty_keyring_password():
    assert open_local(CHROMIUM_V10) == hashlib.sha256(b"127.0.0.1").digest() + b"COOKIECANARY123"
    # v11 under the fixed key's ciphertext does not open under the empty-password key
    # unless it was made with it; a wrong prefix never opens.
    assert open_local(b"v12" + CHROMIUM_V10[3:]) is None
    assert open_local(b"v10" + CHROMIUM_V10[3:-1]) is None


# ------------------------------------------------------------------ SQLite -wal


def _wal_only(folder: Path, name: str, value: str) -> Path:
    """A database ``name`` whose one row lives in ``name-wal`` only (no checkpoint)."""
    scratch = folder / "scratch"
    scratch.mkdir()
    db = sqlite3.connect(scratch / name)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.execute("CREATE TABLE urls (id INTEGER PRIMARY KEY, url TEXT)")
    db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the table in the main file, empty
    db.execute("INSERT INTO urls (url) VALUES (?)", (value,))
    db.commit()
    for suffix in ("", "-wal"):
        shutil.copyfile(scratch / (name + suffix), folder / (name + suffix))
    db.close()
    shutil.rmtree(scratch)
    return folder / (name + "-wal")


def test_a_chat_url_only_in_a_wal_file_split_across_its_frames(tmp_path):
    """A long value runs over several pages; in the WAL each page is preceded by a
    24-byte frame header, which cuts the needle where the value crosses a page."""
    url = "http://" + CHAT_URL.value + "/widget/chat.js"
    size = 9000
    for offset in range(3000, size, len(url) - 2):
        folder = tmp_path / str(offset)
        folder.mkdir()
        wal = _wal_only(folder, "History", "q" * offset + url + "z" * (size - offset))
        main = folder / "History"
        if CHAT_URL.value.encode() not in wal.read_bytes():
            break
        shutil.rmtree(folder)
    else:
        pytest.fail("no offset put the address across a WAL frame boundary")
    assert CHAT_URL.value.encode() not in main.read_bytes()
    assert _hows(folder, CHAT_URL) == {
        "History-wal": "utf-8, in an SQLite table, with this WAL applied"
    }


def test_an_encrypted_value_only_in_a_wal_file(tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    db = sqlite3.connect(scratch / "Cookies")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.execute("CREATE TABLE cookies (host_key TEXT, encrypted_value BLOB)")
    db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("INSERT INTO cookies VALUES ('127.0.0.1', ?)", (CHROMIUM_V10,))
    db.commit()
    profile = tmp_path / "profile"
    profile.mkdir()
    for suffix in ("", "-wal"):
        shutil.copyfile(scratch / ("Cookies" + suffix), profile / ("Cookies" + suffix))
    db.close()
    assert _hows(profile, CANARY) == {
        "Cookies-wal": "utf-8, in an SQLite table, with this WAL applied, "
        "in a value Chromium encrypted with its fixed key, decrypted"
    }


# -------------------------------------------------------------- SQLite -journal


def test_a_row_only_in_a_rollback_journal(tmp_path):
    """A persisted journal keeps the pages as they were before the last transaction:
    a row deleted since is there, and an encrypted one opens."""
    path = tmp_path / "Cookies"
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=PERSIST")
    db.execute("CREATE TABLE cookies (host_key TEXT, encrypted_value BLOB)")
    db.execute("INSERT INTO cookies VALUES ('127.0.0.1', ?)", (CHROMIUM_V10,))
    db.commit()
    db.execute("PRAGMA secure_delete=ON")  # the freed cell is zeroed in the main file
    db.execute("DELETE FROM cookies")
    db.commit()
    db.close()
    journal = tmp_path / "Cookies-journal"
    assert journal.stat().st_size > 0
    before = journal_rollback(path.read_bytes(), journal.read_bytes())
    assert before is not None and CHROMIUM_V10 in before
    assert CHROMIUM_V10 not in path.read_bytes()
    assert _hows(tmp_path, CANARY) == {
        "Cookies-journal": "utf-8, in an SQLite table, rolled back to this journal, "
        "in a value Chromium encrypted with its fixed key, decrypted"
    }


# --------------------------------------------------------- file and folder names


def test_the_chat_server_in_a_file_name_and_a_folder_name(tmp_path):
    [server] = host_needles("http://127.0.0.1:8400")
    storage = tmp_path / "Default" / "IndexedDB" / "http_127.0.0.1_8400.indexeddb.leveldb"
    storage.mkdir(parents=True)
    (storage / "LOG").write_bytes(b"nothing in here")
    (tmp_path / "Default" / "127.0.0.1:8400 notes").write_bytes(b"nor here")
    assert _hows(tmp_path, server) == {
        "Default/IndexedDB/http_127.0.0.1_8400.indexeddb.leveldb": "in the folder's name",
        "Default/127.0.0.1:8400 notes": "in the file's name",
    }


def test_a_partner_on_another_port_is_not_named(tmp_path):
    [server] = host_needles("http://127.0.0.1:8400")
    (tmp_path / "http_127.0.0.1_8401.indexeddb.leveldb").mkdir()
    assert scan_profile(tmp_path, [server]) == []


# ------------------------------------------------------------- the visit chain


def _visit(id_: int, url: str, from_visit: int, transition: int) -> HistoryVisit:
    return HistoryVisit(id_, url, from_visit, transition, 300.0)


def test_the_exit_chain_names_a_redirect_and_a_link_to_the_partner_visit():
    partner = _visit(1, "https://town.example/", 0, 0x1 | 0x10000000)
    replaced = _visit(2, "https://neutral.example/", 1, 0x0 | 0x20000000 | 0x40000000)
    linked = _visit(3, "https://neutral.example/", 1, 0x0 | 0x30000000)
    ordinary = _visit(4, "https://neutral.example/", 0, 0x0 | 0x30000000)
    assert transition_names(replaced.transition) == "LINK|CHAIN_END|CLIENT_REDIRECT"
    chain = exit_chain([partner, replaced, linked, ordinary], ["https://town.example/"],
                       "https://neutral.example/")  # fmt: skip
    assert [c.trace for c in chain] == [True, True, False, False]
    assert "redirect (LINK|CHAIN_END|CLIENT_REDIRECT) from https://town.example/" in chain[0].what
    assert "linked to the partner page's visit" in chain[1].what
    assert "ordinary" in chain[2].what
    assert chain[3].visit == partner and "lasted 300 s" in chain[3].what
