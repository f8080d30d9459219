"""trace-check finds the chat server in files a real Chromium wrote, where only the
readings of issue 17 §3 reach: the encrypted session-restore files
(``Sessions_Encrypted/``) alone, and an encrypted cookie in a ``-wal`` file alone.

Chromium visits a chat-server URL and keeps a cookie naming it; once it is closed, a
profile is made of one of its files only (the rest removed, so nothing else names
the server), and the scan must find the server there.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from pnav.server.trace.check import CHROMIUM, CHROMIUM_ARGS
from pnav.server.trace.scan import Finding, host_needles, scan_profile


@pytest.fixture
def chromium_profile(browser: Browser, browser_log: Any, live_server: Any, tmp_path: Path) -> Path:
    """A profile in which Chromium opened a chat-server URL and keeps a cookie whose
    value is one."""
    profile = tmp_path / "chromium"
    context = browser.browser_type.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, args=list(CHROMIUM_ARGS)
    )
    try:
        browser_log.watch(context, "person")
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(live_server.url + "/widget/chat.css")
        context.add_cookies(
            [
                {
                    "name": "last_chat",
                    "value": live_server.url + "/ws/person",
                    "url": live_server.partner_url,
                    "expires": 4_000_000_000,
                }
            ]
        )
    finally:
        context.close()
    return profile


def _scan(profile: Path, live: Any) -> list[Finding]:
    return scan_profile(profile, host_needles(live.url))


def test_a_chat_url_only_in_sessions_encrypted(
    chromium_profile: Path, live_server: Any, tmp_path: Path
) -> None:
    source = chromium_profile / "Default" / "Sessions_Encrypted"
    assert any(source.iterdir()), "this Chromium wrote no Sessions_Encrypted/"
    planted = tmp_path / "planted"
    shutil.copytree(source, planted / "Default" / "Sessions_Encrypted")
    findings = _scan(planted, live_server)
    assert findings, "the chat URL in Sessions_Encrypted/ went unseen"
    for finding in findings:
        assert finding.file.startswith("Default/Sessions_Encrypted/")
        # Only through decryption: the files hold no plain copy of the address.
        assert finding.how.endswith("Chromium encrypted with its fixed key, decrypted"), finding
        assert "session-restore" in finding.how


def test_a_chat_url_only_in_a_wal_file(
    chromium_profile: Path, live_server: Any, tmp_path: Path
) -> None:
    """The cookie Chromium encrypted, moved into a WAL that was never checkpointed."""
    cookies = chromium_profile / "Default" / "Cookies"
    db = sqlite3.connect(cookies)
    row = db.execute("SELECT * FROM cookies WHERE name = 'last_chat'").fetchone()
    columns = [c[1] for c in db.execute("PRAGMA table_info(cookies)")]
    db.close()
    assert row is not None and row[columns.index("encrypted_value")][:3] == b"v10"

    scratch = tmp_path / "scratch" / "Cookies"
    scratch.parent.mkdir()
    shutil.copyfile(cookies, scratch)
    db = sqlite3.connect(scratch)
    db.execute("DELETE FROM cookies")
    db.commit()
    db.execute("VACUUM")  # nothing of the cookie left in the main file
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA wal_autocheckpoint=0")
    marks = ", ".join("?" * len(row))
    db.execute(f"INSERT INTO cookies VALUES ({marks})", row)
    db.commit()
    planted = tmp_path / "planted" / "Default"
    planted.mkdir(parents=True)
    for suffix in ("", "-wal"):
        shutil.copyfile(str(scratch) + suffix, planted / ("Cookies" + suffix))
    db.close()

    findings = _scan(planted.parent, live_server)
    assert [(f.file, f.how) for f in findings] == [
        (
            "Default/Cookies-wal",
            "utf-8, in an SQLite table, with this WAL applied, "
            "in a value Chromium encrypted with its fixed key, decrypted",
        )
    ]
