"""The History database's account of a quick exit: how the visit to the exit page was
recorded, and what it is chained to.

Chromium records every page visit in ``History`` (``visits``: the URL, ``from_visit``
the visit it came from, ``transition`` a core type and qualifier bits, and
``visit_duration``). A quick exit made with ``location.replace()`` is recorded as a
script redirect from the partner page: ``LINK|CHAIN_END|CLIENT_REDIRECT`` with
``from_visit`` the partner visit, which tells whoever reads History that the page was
left by script the moment something happened. A followed link with no referrer is
recorded as ``LINK|CHAIN_START|CHAIN_END``, ``from_visit`` 0, like any link a person
follows. These findings are of their own kind: not a secret found on the disk, but
what the shape of History says.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pnav.server.trace.sqlite_files import read_sidecar, snapshot

__all__ = ["ChainFinding", "HistoryVisit", "exit_chain", "read_visits", "transition_names"]

_CORE = (
    "LINK", "TYPED", "AUTO_BOOKMARK", "AUTO_SUBFRAME", "MANUAL_SUBFRAME", "GENERATED",
    "AUTO_TOPLEVEL", "FORM_SUBMIT", "RELOAD", "KEYWORD", "KEYWORD_GENERATED",
)  # fmt: skip
_QUALIFIERS = (
    (0x00800000, "BLOCKED"),
    (0x01000000, "FORWARD_BACK"),
    (0x02000000, "FROM_ADDRESS_BAR"),
    (0x04000000, "HOME_PAGE"),
    (0x08000000, "FROM_API"),
    (0x10000000, "CHAIN_START"),
    (0x20000000, "CHAIN_END"),
    (0x40000000, "CLIENT_REDIRECT"),
    (0x80000000, "SERVER_REDIRECT"),
)
REDIRECTS = 0x40000000 | 0x80000000


@dataclass(frozen=True)
class HistoryVisit:
    """One row of ``visits``, with its URL."""

    id: int
    url: str
    from_visit: int
    transition: int
    duration_s: float

    @property
    def names(self) -> str:
        return transition_names(self.transition)

    @property
    def redirected(self) -> bool:
        return bool(self.transition & REDIRECTS)


@dataclass(frozen=True)
class ChainFinding:
    """What History says about one visit of the exit. ``trace`` is true when it tells
    that a quick exit was used (a redirect mark, a link to the partner visit)."""

    visit: HistoryVisit
    what: str
    trace: bool


def transition_names(transition: int) -> str:
    """``LINK|CHAIN_START|CHAIN_END``: the core type and the qualifier bits by name."""
    core = transition & 0xFF
    names = [_CORE[core] if core < len(_CORE) else str(core)]
    names += [name for bit, name in _QUALIFIERS if transition & bit]
    return "|".join(names)


def read_visits(profile: Path) -> list[HistoryVisit]:
    """Every visit of every ``History`` database under ``profile`` (with its -wal)."""
    visits: list[HistoryVisit] = []
    for path in sorted(profile.rglob("History")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        try:
            with snapshot(data, read_sidecar(path, "-wal")) as db:
                db.text_factory = str
                rows = db.execute(
                    "SELECT v.id, u.url, v.from_visit, v.transition, v.visit_duration "
                    "FROM visits v JOIN urls u ON u.id = v.url ORDER BY v.id"
                ).fetchall()
        except sqlite3.Error:
            continue
        visits += [
            HistoryVisit(int(i), str(url), int(fv or 0), int(t) & 0xFFFFFFFF, (d or 0) / 1e6)
            for i, url, fv, t, d in rows
        ]
    return visits


def exit_chain(
    visits: Sequence[HistoryVisit], partner: Sequence[str], exit_url: str
) -> list[ChainFinding]:
    """What History tells about the quick exit from a page of ``partner`` (its URLs)
    to ``exit_url``: for each visit of the exit page, its redirect marks and
    its link to a partner visit; for the last partner visit, its recorded duration
    (about as long as the chat: not avoidable, reported as a fact, not a trace)."""
    by_id = {v.id: v for v in visits}
    on_partner = [v for v in visits if v.url in partner and v.url != exit_url]
    partner_ids = {v.id for v in on_partner}
    found: list[ChainFinding] = []
    for visit in (v for v in visits if v.url == exit_url):
        source = by_id.get(visit.from_visit)
        linked = visit.from_visit in partner_ids
        if visit.redirected:
            what = (
                f"the exit page's visit is recorded as a redirect ({visit.names})"
                + (f" from {source.url}" if source else "")
                + ": whoever reads History can tell the partner page was left by script"
            )
        elif linked and source:
            what = (
                f"the exit page's visit ({visit.names}) is linked to the partner page's "
                f"visit ({source.url}): History shows where the person came from"
            )
        else:
            what = f"the exit page's visit is an ordinary one ({visit.names}, from no visit)"
        found.append(ChainFinding(visit, what, visit.redirected or linked))
    if on_partner and found:
        last = on_partner[-1]
        found.append(
            ChainFinding(
                last,
                f"the partner page's visit lasted {last.duration_s:.0f} s: about as long as "
                "the chat; History keeps how long every page stayed open",
                False,
            )
        )
    return found
