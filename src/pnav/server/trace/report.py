"""What ``pnav trace-check`` and the trace tests say about a finding: which file it is
in, what that file is, and what finding it there means to whoever reads the disk."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pnav.server.trace.history import ChainFinding
from pnav.server.trace.scan import Finding

__all__ = ["describe_file", "format_findings", "meaning", "report"]


def describe_file(relative: str) -> str:
    """What a profile file is, in words a partner or an examiner understands."""
    path = "/" + relative
    what = next((what for marker, what in _FILE_KINDS if marker in path), "a browser profile file")
    for suffix, side in _SQLITE_SIDE_FILES:
        if path.endswith(suffix):
            return f"{what}: {side}"
    return what


# SQLite's side files (trace.sqlite_files), named after the database they belong to.
_SQLITE_SIDE_FILES = (
    ("-wal", "its write-ahead log, changes not yet copied into the database"),
    ("-journal", "its rollback journal, pages as they were before a change"),
)


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
    (
        "/Sessions_Encrypted/",
        "the encrypted session-restore files (the tabs a restart reopens, with their "
        "history; encrypted with a key anyone can derive on Linux)",
    ),
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


# (a path fragment, what the chat server's address there means) — first match wins.
_SERVER_MEANINGS: tuple[tuple[str, str], ...] = (
    (
        "/Code Cache/",
        "the browser kept compiled chat code under the chat server's address: it shows "
        "the chat's scripts ran here",
    ),
    (
        "/Cache/",
        "the browser's disk cache kept a response naming the chat server: it shows the chat "
        "was loaded (every chat response must be sent with Cache-Control: no-store)",
    ),
    ("/Cookies", "a cookie names the chat server: the cookie jar shows the chat was used"),
    (
        "Storage/",
        "web storage (localStorage, sessionStorage) names the chat server: a script of the "
        "page wrote it there",
    ),
    ("/IndexedDB/", "IndexedDB names the chat server: a script of the page wrote it there"),
    (
        "/Service Worker/",
        "a service worker or Cache Storage names the chat server: a script of the page stored it",
    ),
    (
        "Session",
        "the session-restore files name the chat server: 'reopen closed tab' or a restart "
        "of the browser can bring the chat back on screen",
    ),
    (
        "Tabs",
        "the session-restore files name the chat server: a restart of the browser can bring "
        "the chat back on screen",
    ),
    (
        "/History",
        "the browser history names the chat server: anyone who opens the history sees that "
        "the chat was used",
    ),
    ("/Visited Links", "the browser remembers the chat server's pages as visited links"),
    ("/Favicons", "the favicon database remembers the chat server as a visited site"),
    ("/Top Sites", "the new-tab page can show the chat server among the most visited sites"),
    ("/Shortcuts", "typing in the address bar can suggest the chat server"),
    (
        "/Network Persistent State",
        "the browser's network state remembers the chat server (its HTTP/2 or QUIC support, "
        "its timing): it shows the chat server was contacted",
    ),
    (
        "/TransportSecurity",
        "the chat server sent HSTS and the browser remembers it: the name is hashed, but "
        "anyone who knows the chat server's name can check it is there",
    ),
    (
        "/Reporting and NEL",
        "a Reporting / Network Error Logging policy naming the chat server is kept",
    ),
    ("Preferences", "a per-site setting of the browser names the chat server"),
)

_MEANINGS = {
    "conversation": "the conversation's id is on the disk: it identifies the conversation",
    "token": "a token of the chat is on the disk: it proves a chat was opened, and a live "
    "one could be used to act on the conversation",
    "key": "key material of the chat is on the disk: it proves the chat was opened",
}


def meaning(finding: Finding) -> str:
    """What a finding tells whoever reads the disk, in one sentence."""
    kind, where = finding.needle.kind, "/" + finding.file
    if kind == "server":
        for marker, text in _SERVER_MEANINGS:
            if marker in where:
                return text
        return "this file names the chat server: it shows the chat was used"
    if kind == "message":
        if finding.needle.label.startswith(("the 'body'", "the 'note'")):
            return (
                "an encrypted message is on the disk: unreadable without its key, but it "
                "proves a chat took place"
            )
        return "message text is on the disk: anyone who reads this file reads what was said"
    return _MEANINGS.get(
        kind, "a value the chat exchanged with the server is on the disk: it shows the chat ran"
    )


def format_findings(findings: Sequence[Finding], excused: bool = False) -> str:
    """The findings grouped by file, with what each file is and what the finding means."""
    lines: list[str] = []
    for file in sorted({f.file for f in findings}):
        lines.append(f"  {file}  ({describe_file(file)})")
        for f in (f for f in findings if f.file == file):
            lines.append(f"    - {f.needle.label} [{f.how}]")
            lines.append(f"      {f.excused if excused else meaning(f)}")
    return "\n".join(lines)


def report(
    url: str,
    server: str,
    steps: Sequence[str],
    findings: Sequence[Finding],
    files_read: int,
    kept_in: Path | None = None,
    chain: Sequence[ChainFinding] = (),
) -> str:
    """The whole report of ``pnav trace-check``: traces, then how History recorded the
    quick exit, then the partner page's own footprint, then PASS or FAIL."""
    traces = [f for f in findings if f.excused is None]
    chained = [c for c in chain if c.trace]
    excused = [f for f in findings if f.excused is not None]
    out = [
        f"pnav trace-check {url}",
        f"  chat server : {server}",
        "  steps       : " + "; ".join(steps),
        f"  profile     : {files_read} files read" + (f", kept in {kept_in}" if kept_in else ""),
        "",
    ]
    if traces:
        out.append(f"FOUND {len(traces)} trace(s) of the chat on the disk:")
        out.append(format_findings(traces))
    else:
        out.append("No trace of the chat on the disk.")
    if chain:
        out += ["", "How the History database recorded the quick exit:"]
        for c in chain:
            mark = "TRACE" if c.trace else "fact "
            out.append(f"  [{mark}] visit {c.visit.id} {c.visit.url}")
            out.append(f"          {c.what}")
    if excused:
        out += ["", "Not traces of the chat (every visitor of the page has them):"]
        out.append(format_findings(excused, excused=True))
    out += ["", "FAIL" if traces or chained else "PASS"]
    return "\n".join(out)
