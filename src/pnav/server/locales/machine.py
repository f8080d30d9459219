"""Machine-translated interface tables, for the languages the configured translator
supports and no table ships for.

Only the fixed interface texts of the reference table (English) go to the translator,
never anything a person or an operator wrote. A table is produced once per language and
per process, then kept in memory; one production at a time, so a page asking for every
language in turn costs the translator one table after another, never all at once. A
text that comes back without its placeholders, or not at all, stays in English; a table
with such gaps is produced again after :data:`RETRY_AFTER` seconds. The chat shows every
machine table as machine-translated.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from pnav.sdk.translator import SafeTranslator, is_language_code
from pnav.server.locales.tables import (
    REFERENCE,
    RTL_LANGUAGES,
    Locale,
    ShippedTables,
    base_language,
)

__all__ = ["MACHINE_SECTIONS", "RETRY_AFTER", "MachineTables"]

# What a person reads; the console stays in its own languages.
MACHINE_SECTIONS = ("banner", "chat")
RETRY_AFTER = 300.0
LANGUAGES_FOR = 600.0
# Parallel calls per table: fewer than SafeTranslator's workers, so that the console's
# translations of messages never queue behind a table being produced.
PARALLEL = 2
_PLACEHOLDER = re.compile(r"\{\w+\}")


class MachineTables:
    def __init__(
        self,
        shipped: ShippedTables,
        translator: SafeTranslator,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._shipped = shipped
        self._translator = translator
        self._clock = clock
        self._lock = threading.Lock()
        self._producing = threading.Lock()
        self._tables: dict[str, tuple[Locale, float | None]] = {}
        self._languages: tuple[list[str], float] | None = None

    def languages(self) -> list[str]:
        """What the translator supports, asked at most every :data:`LANGUAGES_FOR` s."""
        with self._lock:
            if self._languages and self._clock() < self._languages[1]:
                return self._languages[0]
        codes = [c for c in self._translator.languages() if is_language_code(c)]
        # An empty answer (no translator, or it is down) is asked again soon.
        expires = self._clock() + (LANGUAGES_FOR if codes else 30.0)
        with self._lock:
            self._languages = (codes, expires)
        return codes

    def unshipped(self) -> list[str]:
        """The translator's languages that no shipped table covers."""
        return [c for c in self.languages() if self._shipped.match(c) is None]

    def match(self, wanted: str) -> str | None:
        """The translator's code for a wanted tag with no shipped table."""
        codes = {c.lower(): c for c in self.unshipped()}
        return codes.get(wanted.lower()) or codes.get(base_language(wanted).lower())

    def get(self, code: str) -> Locale | None:
        """The machine table for one of :meth:`unshipped`'s codes; None when the
        translator translated nothing."""
        cached = self._cached(code)
        if cached is not None:
            return cached
        with self._producing:
            cached = self._cached(code)  # produced while this call waited
            if cached is not None:
                return cached
            locale, complete = self._produce(code)
        if locale is None:
            return None
        with self._lock:
            self._tables[code] = (locale, None if complete else self._clock() + RETRY_AFTER)
        return locale

    def _cached(self, code: str) -> Locale | None:
        with self._lock:
            entry = self._tables.get(code)
        if entry is None:
            return None
        locale, expires = entry
        return locale if expires is None or self._clock() < expires else None

    def _produce(self, code: str) -> tuple[Locale | None, bool]:
        texts = [
            (section, key, text)
            for section in MACHINE_SECTIONS
            for key, text in self._shipped.reference(section).items()
        ]
        with ThreadPoolExecutor(PARALLEL, thread_name_prefix="pnav-locale") as pool:
            results = list(pool.map(lambda item: self._one(item[2], code), texts))
        if not any(ok for _, ok in results):
            return None, False
        sections: dict[str, dict[str, str]] = {s: {} for s in MACHINE_SECTIONS}
        for (section, key, _), (text, _) in zip(texts, results, strict=True):
            sections[section][key] = text
        direction = "rtl" if base_language(code) in RTL_LANGUAGES else "ltr"
        return Locale(code, direction, True, sections), all(ok for _, ok in results)

    def _one(self, text: str, code: str) -> tuple[str, bool]:
        """A text's translation, or the text itself when the translation failed or lost
        a placeholder."""
        result = self._translator.translate(text, REFERENCE, code)
        if not result.translated:
            return text, False
        if sorted(_PLACEHOLDER.findall(result.text)) != sorted(_PLACEHOLDER.findall(text)):
            return text, False
        return result.text, True
