"""The translator slot: machine translation on the operator's side of the encryption.

The console decrypts a message, asks the server's translator for a translation, and
shows both; what the operator writes is translated before it is encrypted. So the
translator sees plaintext: it must be a service the platform itself runs or has a
contract with (docs/backends-casework.md, "Trust boundary").

The chat never waits on a translator: the server calls every translator through
:class:`SafeTranslator`, which turns a slow, failing or malformed answer into the
original text marked ``translated=False`` with a reason. Backends report their own
failures by raising :class:`TranslatorError`; anything else they raise is treated the
same way.
"""

from __future__ import annotations

import abc
import logging
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, TypeVar

__all__ = [
    "REASONS",
    "MemoryTranslator",
    "NoneTranslator",
    "SafeTranslator",
    "Translation",
    "Translator",
    "TranslatorError",
    "is_language_code",
]

log = logging.getLogger(__name__)
T = TypeVar("T")

# Why a text was not translated (Translation.reason).
REASONS = (
    "disabled",  # the `none` translator, or translation switched off
    "empty",  # nothing to translate
    "same_language",  # source and target are the same
    "timeout",  # the translator did not answer in time
    "error",  # the translator failed (HTTP error, refused connection, exception)
    "malformed",  # the translator answered something that is not a translation
    "unavailable",  # paused after repeated failures; tried again later
)

_CODE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?")


def is_language_code(value: object) -> bool:
    """A short language tag such as ``fr``, ``es``, ``zh-Hans`` (what backends answer)."""
    return isinstance(value, str) and bool(_CODE.fullmatch(value))


class TranslatorError(Exception):
    """A backend could not translate; ``reason`` is one of :data:`REASONS`."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason if reason in REASONS else "error"
        self.detail = detail


@dataclass(frozen=True)
class Translation:
    """A translated text, or the original one (``translated=False``) and why."""

    text: str
    source: str | None
    target: str
    translated: bool
    reason: str | None = None

    @classmethod
    def untranslated(cls, text: str, source: str | None, target: str, reason: str) -> Translation:
        return cls(text, source, target, False, reason)


class Translator(abc.ABC):
    """Detects languages and translates text. Implementations may block and may raise;
    callers use them through :class:`SafeTranslator`."""

    @abc.abstractmethod
    def detect(self, text: str) -> str | None:
        """The language code of ``text``, or ``None`` when it cannot tell."""

    @abc.abstractmethod
    def translate(self, text: str, source: str, target: str) -> Translation:
        """``text`` from ``source`` into ``target`` (language codes)."""

    def languages(self) -> list[str]:
        """Language codes this translator handles (empty: unknown or none)."""
        return []

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


class NoneTranslator(Translator):
    """Translation switched off: nothing is detected, nothing translated, nothing sent."""

    def detect(self, text: str) -> str | None:
        return None

    def translate(self, text: str, source: str, target: str) -> Translation:
        return Translation.untranslated(text, source, target, "disabled")


@dataclass
class MemoryTranslator(Translator):
    """For tests: translates with a phrase table (else ``"[target] text"``), detects with a
    word table, and records every call. ``fail`` makes it raise (``"error"``), answer
    garbage (``"malformed"``) or hang until ``release`` is set (``"slow"``)."""

    phrases: dict[tuple[str, str, str], str] = field(default_factory=dict)
    words: dict[str, str] = field(default_factory=dict)
    fail: str | None = None
    release: threading.Event = field(default_factory=threading.Event)
    calls: list[tuple[str, ...]] = field(default_factory=list)

    def _misbehave(self) -> Any:
        if self.fail == "slow":
            self.release.wait(30)
        elif self.fail == "malformed":
            return {"translatedText": None}
        elif self.fail is not None:
            raise TranslatorError("error", "told to fail")
        return None

    def detect(self, text: str) -> str | None:
        self.calls.append(("detect", text))
        bad = self._misbehave()
        if bad is not None:
            return bad  # type: ignore[no-any-return]
        for word in re.findall(r"\w+", text.lower()):
            if word in self.words:
                return self.words[word]
        return None

    def translate(self, text: str, source: str, target: str) -> Translation:
        self.calls.append(("translate", text, source, target))
        bad = self._misbehave()
        if bad is not None:
            return bad  # type: ignore[no-any-return]
        out = self.phrases.get((source, target, text), f"[{target}] {text}")
        return Translation(out, source, target, True)

    def languages(self) -> list[str]:
        return sorted({lang for s, t, _ in self.phrases for lang in (s, t)})


class SafeTranslator(Translator):
    """Wraps a translator so that no call raises or takes longer than ``timeout`` seconds.

    A call that fails, times out or answers nonsense gives the original text with
    ``translated=False`` and a reason (``detect`` gives ``None``). After ``pause_after``
    failures in a row the inner translator is not asked for ``pause_for`` seconds, so a
    dead service does not cost every message the whole timeout. Calls run on at most
    ``workers`` threads; a call that would queue behind hung ones fails at its deadline.
    """

    def __init__(
        self,
        inner: Translator,
        timeout: float = 3.0,
        *,
        workers: int = 4,
        pause_after: int = 3,
        pause_for: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 < timeout <= 60:
            raise ValueError("timeout must be between 0 and 60 seconds")
        self.inner = inner
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pnav-translate")
        self._pause_after = pause_after
        self._pause_for = pause_for
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._paused_until = 0.0

    def _call(self, what: str, fn: Callable[[], T]) -> tuple[T | None, str | None]:
        """The inner call's answer, or None and a reason; never raises."""
        with self._lock:
            if self._clock() < self._paused_until:
                return None, "unavailable"
        future: Future[T] = self._pool.submit(fn)
        try:
            value, reason = future.result(timeout=self.timeout), None
        except FutureTimeout:
            future.cancel()  # still queued behind hung calls: never run it
            value, reason = None, "timeout"
        except TranslatorError as exc:
            value, reason = None, exc.reason
        except Exception as exc:  # a plugin's bug must not reach the chat
            value, reason = None, "error"
            log.warning("translator %s raised %s", what, type(exc).__name__)
        self._count(what, reason)
        return value, reason

    def _count(self, what: str, reason: str | None) -> None:
        with self._lock:
            if reason is None:
                self._failures = 0
                return
            self._failures += 1
            if self._failures >= self._pause_after:
                self._paused_until = self._clock() + self._pause_for
                self._failures = 0
        # the reason only: never the text, never the backend's answer
        log.warning("translator %s failed: %s", what, reason)

    def detect(self, text: str) -> str | None:
        if not text.strip():
            return None
        value, _ = self._call("detect", lambda: self.inner.detect(text))
        return value if is_language_code(value) else None

    def translate(self, text: str, source: str, target: str) -> Translation:
        if not text.strip():
            return Translation.untranslated(text, source, target, "empty")
        if source == target:
            return Translation.untranslated(text, source, target, "same_language")
        value, reason = self._call("translate", lambda: self.inner.translate(text, source, target))
        if reason is not None:
            return Translation.untranslated(text, source, target, reason)
        if not isinstance(value, Translation) or not isinstance(value.text, str):
            self._count("translate", "malformed")
            return Translation.untranslated(text, source, target, "malformed")
        if not value.translated:
            return Translation.untranslated(text, source, target, value.reason or "disabled")
        return Translation(value.text, source, target, True)

    def languages(self) -> list[str]:
        value, _ = self._call("languages", self.inner.languages)
        if not isinstance(value, list):
            return []
        return [code for code in value if is_language_code(code)]

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.inner.close()
