"""The shipped locale tables (widget/src/locales/<tag>.json, copied by the widget build
into the package's static files) and how a list of wanted languages picks one.

A table has sections: ``banner`` (the loader on the partner's page), ``chat`` (the
chat app) and, for the console's languages, ``console``. ``index.json`` lists the
shipped tags with their own names (autonyms) and writing direction.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "MAX_WANTED_CHARS",
    "RTL_LANGUAGES",
    "Locale",
    "ShippedTables",
    "base_language",
    "parse_wanted",
]

# Scripts written right to left, by base language (the tables' "dir" says it too).
RTL_LANGUAGES = frozenset({"ar", "fa", "ps", "he", "ur", "yi", "dv", "ckb", "sd", "ug"})
# The reference every other table is translated from and checked against.
REFERENCE = "en"
_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,3}$")
MAX_WANTED = 12
MAX_WANTED_CHARS = 200
# Chinese written in simplified characters: what "zh" alone or these regions mean.
_HANS_REGIONS = frozenset({"cn", "sg", "my", "hans"})


def base_language(tag: str) -> str:
    """``ar-MA`` → ``ar``; ``zh-Hans`` stays ``zh-Hans`` (the script matters there)."""
    parts = tag.split("-")
    if parts[0].lower() == "zh" and len(parts) > 1 and parts[1].lower() in ("hans", "hant"):
        return "zh-" + parts[1].capitalize()
    return parts[0].lower()


def parse_wanted(raw: str) -> list[str]:
    """``"ar-MA,fr;q=0.8, en"`` → ``["ar-MA", "fr", "en"]``: language tags only, at most
    :data:`MAX_WANTED`; anything else in the list is dropped."""
    wanted: list[str] = []
    for item in raw[: 2 * MAX_WANTED_CHARS].split(","):
        tag = item.split(";")[0].strip()
        if _TAG.match(tag) and tag not in wanted:
            wanted.append(tag)
    return wanted[:MAX_WANTED]


@dataclass(frozen=True)
class Locale:
    """One interface language as the chat receives it."""

    tag: str
    dir: str
    machine: bool
    sections: dict[str, dict[str, str]]


class ShippedTables:
    """The shipped tables, read once from ``folder``."""

    def __init__(self, folder: Path) -> None:
        index: dict[str, dict[str, str]] = json.loads((folder / "index.json").read_text("utf-8"))
        self.names = {tag: meta["name"] for tag, meta in index.items()}
        self._dirs = {tag: meta["dir"] for tag, meta in index.items()}
        self._tables: dict[str, dict[str, dict[str, str]]] = {}
        for tag in index:
            table: dict[str, Any] = json.loads((folder / f"{tag}.json").read_text("utf-8"))
            self._tables[tag] = table
        # A key added in English and not yet translated shows in English rather than as
        # its name (tests/server/test_locale_tables.py still reports it as missing).
        reference = self._tables[REFERENCE]
        for table in self._tables.values():
            for section, strings in reference.items():
                if section in table:
                    table[section] = {**strings, **table[section]}
        self._by_lower = {tag.lower(): tag for tag in index}

    @property
    def tags(self) -> list[str]:
        return list(self._tables)

    def reference(self, section: str) -> dict[str, str]:
        return self._tables[REFERENCE][section]

    def get(self, tag: str) -> Locale:
        return Locale(tag, self._dirs[tag], False, self._tables[tag])

    def match(self, wanted: str) -> str | None:
        """The shipped tag for one wanted tag: itself, else its base language
        (``pt-BR`` → ``pt``), with ``zh``/``zh-CN``/``zh-Hans-*`` → ``zh-Hans``."""
        lower = wanted.lower()
        if lower in self._by_lower:
            return self._by_lower[lower]
        parts = lower.split("-")
        if parts[0] == "zh":
            if len(parts) == 1 or parts[1] in _HANS_REGIONS:
                return self._by_lower.get("zh-hans")
            return None  # traditional characters: not what zh-Hans ships
        return self._by_lower.get(parts[0])
