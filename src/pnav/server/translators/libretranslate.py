"""Built-in translator: LibreTranslate (``translator = "libretranslate"``).

Point it at a LibreTranslate server the platform runs or trusts::

    translator = "libretranslate"
    translator_options = {url = "https://libretranslate.example/", api_key = "…"}

Options: ``url`` (required; https, or http to localhost), ``api_key`` or
``api_key_file`` (a file holding it, kept out of the settings), ``timeout`` (seconds
per request, default 5), ``allow_http`` (plain http to a non-local host; only on a
private network). It needs ``pip install 'pnav[translate]'`` (libretranslatepy).

Trust boundary: the console sends the decrypted text of messages to this server to
translate them, so whoever runs it can read every translated conversation. Use a
LibreTranslate instance under the platform's control, never a public one
(docs/backends-casework.md). The server calls it through
:class:`~pnav.sdk.translator.SafeTranslator`, so a slow or broken instance leaves
messages untranslated instead of blocking the chat.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit

from pnav.sdk.translator import Translation, Translator, TranslatorError, is_language_code
from pnav.server.casework.outbound import reach
from pnav.server.options import Options

__all__ = ["LibreTranslateTranslator"]

T = TypeVar("T")


def _guarded(call: Callable[[], T]) -> T:
    """Run one HTTP call; every failure becomes a TranslatorError with a reason and a
    detail free of the text and of the server's answer."""
    try:
        return call()
    except HTTPError as exc:
        raise TranslatorError("error", f"HTTP {exc.code}") from None
    except TimeoutError as exc:
        raise TranslatorError("timeout", type(exc).__name__) from None
    except URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise TranslatorError("timeout", "connect") from None
        raise TranslatorError("error", "unreachable") from None
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        # json.JSONDecodeError is a ValueError; its message quotes no content
        raise TranslatorError("malformed", type(exc).__name__) from None
    except OSError as exc:
        raise TranslatorError("error", type(exc).__name__) from None


class LibreTranslateTranslator(Translator):
    """Talks to LibreTranslate's HTTP API (``/translate``, ``/detect``, ``/languages``)
    through libretranslatepy."""

    @classmethod
    def from_options(
        cls, options: dict[str, Any], context: dict[str, Any]
    ) -> LibreTranslateTranslator:
        opts = Options("libretranslate", options, context)
        allow_http = opts.boolean("allow_http", False)
        url = opts.url("url", allow_http=allow_http)
        key = opts.secret("api_key")
        timeout = opts.number("timeout", 5.0, 0.1, 60.0)
        opts.done()
        return cls(url, key.decode() if key else None, timeout)

    def __init__(self, url: str, api_key: str | None = None, timeout: float = 5.0) -> None:
        try:
            from libretranslatepy import LibreTranslateAPI  # type: ignore[import-untyped]
        except ImportError:
            raise ValueError(
                "the libretranslate translator needs libretranslatepy: "
                "pip install 'pnav[translate]'"
            ) from None
        if not url.startswith(("http://", "https://")):
            raise ValueError("libretranslate: url must be an http(s) URL")
        if not 0 < timeout <= 60:
            raise ValueError("libretranslate: timeout must be between 0 and 60 seconds")
        self.url = url
        self.timeout = timeout
        self._api = LibreTranslateAPI(url, api_key)

    def ping(self) -> None:
        """Readiness: the service's host accepts a connection (no text is sent)."""
        parts = urlsplit(self.url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        reach(parts.hostname or "", port, min(self.timeout, 3.0))

    def __repr__(self) -> str:  # never the api key
        return f"LibreTranslateTranslator({self.url!r}, timeout={self.timeout})"

    def detect(self, text: str) -> str | None:
        answer: Any = _guarded(lambda: self._api.detect(text, timeout=self.timeout))
        if not isinstance(answer, list):
            raise TranslatorError("malformed", "detect did not answer a list")
        best: tuple[float, str] | None = None
        for guess in answer:
            if not isinstance(guess, dict):
                raise TranslatorError("malformed", "detect answered a non-object")
            lang, confidence = guess.get("language"), guess.get("confidence", 0)
            if not is_language_code(lang) or not isinstance(confidence, int | float):
                raise TranslatorError("malformed", "detect answered a bad guess")
            if best is None or confidence > best[0]:
                best = (float(confidence), str(lang))
        return best[1] if best and best[0] > 0 else None

    def translate(self, text: str, source: str, target: str) -> Translation:
        out: Any = _guarded(lambda: self._api.translate(text, source, target, self.timeout))
        if not isinstance(out, str):
            raise TranslatorError("malformed", "translatedText is not a string")
        return Translation(out, source, target, True)

    def languages(self) -> list[str]:
        answer: Any = _guarded(lambda: self._api.languages(timeout=self.timeout))
        if not isinstance(answer, list):
            raise TranslatorError("malformed", "languages did not answer a list")
        codes = [item.get("code") for item in answer if isinstance(item, dict)]
        return [str(c) for c in codes if is_language_code(c)]
