"""The statistics page's texts, from the shipped locale tables' ``stats`` section
(widget/src/locales/<tag>.json, copied by the widget build into the package's static
files): English, French and Arabic.

``texts(lang)`` gives one language's table; :func:`period_label` names a period of the
"started" series; :func:`direction` says how the language is written.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Final

from pnav.server.locales import ShippedTables

__all__ = ["LANGS", "direction", "period_label", "texts"]

# The languages with a "stats" section (tests/server/test_stats.py checks the tables).
LANGS: Final = ("en", "fr", "ar")
_TABLES_DIR = Path(__file__).resolve().parents[1] / "web" / "static" / "locales"


@cache
def _tables() -> ShippedTables:
    if not (_TABLES_DIR / "index.json").is_file():
        raise RuntimeError(f"{_TABLES_DIR} is missing: build the widget (npm run build)")
    return ShippedTables(_TABLES_DIR)


def texts(lang: str) -> dict[str, str]:
    """One language's table (English for any other)."""
    return _tables().get(lang if lang in LANGS else "en").sections["stats"]


def direction(lang: str) -> str:
    """``rtl`` or ``ltr``: the table's writing direction."""
    return _tables().get(lang if lang in LANGS else "en").dir


def period_label(key: str, lang: str) -> str:
    """``2026-03-14`` → "14 Mar" / "14 mars"; ``2026-W11`` → "W11" / "S11";
    ``2026-03`` → "Mar 2026" / "mars 2026"."""
    tx = texts(lang)
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", key):
        return f"{int(m[3])} {tx[f'month.{int(m[2])}']}"
    if m := re.fullmatch(r"(\d{4})-W(\d{2})", key):
        return tx["week"].format(week=m[2])
    if m := re.fullmatch(r"(\d{4})-(\d{2})", key):
        return f"{tx[f'month.{int(m[2])}']} {m[1]}"
    return key
