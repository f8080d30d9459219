"""The LibreTranslate translator against a local server speaking LibreTranslate's API,
and the wrapper that keeps a bad translator from ever holding up the chat."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import pytest
from fakes.libretranslate import FakeLibreTranslate

from pnav.sdk import registry
from pnav.sdk.testing import free_port
from pnav.sdk.translator import (
    MemoryTranslator,
    SafeTranslator,
    Translation,
    Translator,
    TranslatorError,
)
from pnav.server.translators.libretranslate import LibreTranslateTranslator

KEY = "an-api-key-of-some-length"


@pytest.fixture
def fake() -> Iterator[FakeLibreTranslate]:
    server = FakeLibreTranslate(api_key=KEY).start()
    yield server
    server.stop()


def _libre(url: str, **options: object) -> Translator:
    translator: Translator = registry.create(
        "translator", "libretranslate", {"url": url, **options}, base=Translator
    )
    return translator


def test_a_conversation_goes_both_ways(fake: FakeLibreTranslate) -> None:
    translator = SafeTranslator(_libre(fake.url, api_key=KEY, timeout=3))
    person = "Necesito ayuda"
    assert translator.detect(person) == "es"
    assert translator.translate(person, "es", "fr") == Translation(
        "J'ai besoin d'aide", "es", "fr", True
    )
    reply = translator.translate("Je suis là, je vous écoute.", "fr", "es")
    assert (reply.text, reply.translated) == ("Estoy aquí, le escucho.", True)
    assert "es" in translator.languages()
    translator.close()


def test_it_speaks_libretranslate_s_api(fake: FakeLibreTranslate) -> None:
    translator = _libre(fake.url, api_key=KEY)
    translator.translate("Help me", "en", "fr")
    translator.detect("hola")
    path, params = fake.requests[0]
    assert path == "/translate"
    assert params == {"q": "Help me", "source": "en", "target": "fr", "api_key": KEY}
    assert fake.requests[1] == ("/detect", {"q": "hola", "api_key": KEY})


def test_a_wrong_api_key_is_an_error_not_a_translation(fake: FakeLibreTranslate) -> None:
    translator = _libre(fake.url, api_key="not-the-right-key-at-all")
    with pytest.raises(TranslatorError) as err:
        translator.translate("Help me", "en", "fr")
    assert (err.value.reason, err.value.detail) == ("error", "HTTP 403")
    result = SafeTranslator(translator).translate("Help me", "en", "fr")
    assert (result.text, result.translated, result.reason) == ("Help me", False, "error")


@pytest.mark.parametrize(
    ("mode", "reason"),
    [("error", "error"), ("malformed", "malformed"), ("wrong_shape", "malformed")],
)
def test_a_failing_server_gives_a_reason(mode: str, reason: str) -> None:
    server = FakeLibreTranslate(mode).start()
    try:
        with pytest.raises(TranslatorError) as err:
            _libre(server.url).translate("Help me", "en", "fr")
        assert err.value.reason == reason
        with pytest.raises(TranslatorError):
            _libre(server.url).detect("Help me")
    finally:
        server.stop()


def test_a_slow_server_times_out_by_itself_and_through_the_wrapper() -> None:
    server = FakeLibreTranslate("slow").start()
    try:
        with pytest.raises(TranslatorError) as err:
            _libre(server.url, timeout=0.2).translate("Help me", "en", "fr")
        assert err.value.reason == "timeout"
        safe = SafeTranslator(_libre(server.url, timeout=10), timeout=0.2)
        started = time.monotonic()
        result = safe.translate("Help me", "en", "fr")
        assert (result.text, result.translated, result.reason) == ("Help me", False, "timeout")
        assert time.monotonic() - started < 2
        safe.close()
    finally:
        server.stop()


def test_nobody_listening_is_an_error() -> None:
    with pytest.raises(TranslatorError) as err:
        _libre(f"http://127.0.0.1:{free_port()}").translate("Help me", "en", "fr")
    assert (err.value.reason, err.value.detail) == ("error", "unreachable")


def test_detect_keeps_the_most_confident_guess_and_none_without_confidence(
    fake: FakeLibreTranslate,
) -> None:
    translator = _libre(fake.url, api_key=KEY)
    assert translator.detect("bonjour") == "fr"
    assert translator.detect("1234") is None  # the fake answers en with confidence 0


def test_options_are_checked_at_start_up(tmp_path) -> None:
    cases = [
        ({}, "'url' is required"),
        ({"url": "ftp://x"}, "http"),
        ({"url": "http://translate.example.org"}, "must use https"),
        ({"url": "https://t.example", "timeout": "5"}, "'timeout' must be a number"),
        ({"url": "https://t.example", "timeout": 600}, "between"),
        ({"url": "https://t.example", "colour": "blue"}, r"unknown options colour \(known:"),
        ({"url": "https://t.example", "api_key": "short"}, "at least 16"),
    ]
    for options, message in cases:
        with pytest.raises(registry.RegistryError, match=message):
            registry.create("translator", "libretranslate", options)
    key_file = tmp_path / "lt.key"
    key_file.write_text(KEY + "\n")
    made = registry.create(
        "translator",
        "libretranslate",
        {"url": "http://translate.internal", "allow_http": True, "api_key_file": "lt.key"},
        {"data_dir": tmp_path},
    )
    assert isinstance(made, LibreTranslateTranslator)
    assert KEY not in repr(made)
    with pytest.raises(registry.RegistryError, match="none"):
        registry.create("translator", "none", {"url": "x"})


def test_the_wrapper_pauses_a_translator_that_keeps_failing() -> None:
    now = [0.0]
    inner = MemoryTranslator(fail="error")
    safe = SafeTranslator(inner, timeout=1, pause_after=2, pause_for=30, clock=lambda: now[0])
    for _ in range(2):
        assert safe.translate("Hola", "es", "fr").reason == "error"
    calls = len(inner.calls)
    assert safe.translate("Hola", "es", "fr").reason == "unavailable"
    assert safe.detect("Hola") is None
    assert len(inner.calls) == calls  # not asked while paused
    now[0] = 31.0
    inner.fail = None
    result = safe.translate("Hola", "es", "fr")
    assert (result.text, result.translated) == ("[fr] Hola", True)
    safe.close()


def test_calls_queued_behind_hung_ones_still_end_at_their_deadline() -> None:
    inner = MemoryTranslator(fail="slow")
    safe = SafeTranslator(inner, timeout=0.2, workers=1, pause_after=100)
    results: list[Translation] = []
    threads = [
        threading.Thread(target=lambda: results.append(safe.translate("Hola", "es", "fr")))
        for _ in range(3)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert time.monotonic() - started < 2
    assert [r.reason for r in results] == ["timeout"] * 3
    inner.release.set()
    safe.close()


def test_the_wrapper_refuses_a_nonsense_answer_and_a_plugin_bug() -> None:
    class Buggy(Translator):
        def detect(self, text: str) -> str | None:
            return "not a language code!"

        def translate(self, text: str, source: str, target: str) -> Translation:
            raise RuntimeError(text)

    safe = SafeTranslator(Buggy())
    assert safe.detect("Hola") is None
    assert safe.translate("Hola", "es", "fr").reason == "error"
    malformed = SafeTranslator(MemoryTranslator(fail="malformed"))
    assert malformed.translate("Hola", "es", "fr").reason == "malformed"


def test_no_text_reaches_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    class Buggy(MemoryTranslator):
        def translate(self, text: str, source: str, target: str) -> Translation:
            raise ValueError(f"cannot translate {text}")

    safe = SafeTranslator(Buggy(), timeout=1)
    safe.translate("mon adresse est 12 rue des Lilas", "fr", "es")
    assert caplog.records
    assert "Lilas" not in caplog.text
