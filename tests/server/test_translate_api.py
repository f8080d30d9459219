"""The console's translation endpoint (``POST /console/api/translate``): only for a
logged-in operator on the console's own origin, bounded, rate-limited, and never
holding up the chat or writing the text anywhere."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes.libretranslate import FakeLibreTranslate
from flask import Flask
from flask.testing import FlaskClient

from pnav.server import Settings, create_app
from pnav.server.operators.desk import enrol_operator
from pnav.server.stores.sqlite.store import SQLiteStore
from pnav.server.web.console import COOKIE
from pnav.server.web.translate_api import MAX_TEXT_CHARS, RateLimit

ORIGIN = "http://localhost"
URL = "/console/api/translate"


@pytest.fixture
def fake() -> Iterator[FakeLibreTranslate]:
    server = FakeLibreTranslate().start()
    yield server
    server.stop()


@pytest.fixture
def app(tmp_path: Path, fake: FakeLibreTranslate) -> Iterator[Flask]:
    settings = Settings.load(
        None,
        environ={},
        data_dir=tmp_path / "data",
        translator="libretranslate",
        translator_options={"url": fake.url},
    )
    store = SQLiteStore(settings.database_path)
    enrol_operator(store, "alice", secrets.token_urlsafe(12), role="operator")
    app = create_app(settings, store=store, maintenance=False)
    yield app
    app.extensions["pnav"].shutdown()
    store.close()


@pytest.fixture
def client(app: Flask, logged_in: Any) -> FlaskClient:
    return logged_in(app, "alice")


def _post(client: FlaskClient, body: Any, origin: str | None = ORIGIN) -> Any:
    headers = {"Origin": origin} if origin else {}
    return client.post(URL, json=body, headers=headers)


def test_it_translates_what_the_person_wrote_detecting_their_language(client, fake) -> None:
    # The pre-chat said English; the translator is sure it is Spanish.
    answer = _post(client, {"text": "Necesito ayuda", "source": "en", "target": "fr"})
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.get_json() == {
        "text": "J'ai besoin d'aide",
        "source": "es",
        "target": "fr",
        "translated": True,
    }


def test_the_operator_s_reply_is_translated_without_detection(client, fake) -> None:
    body = {"text": "Je suis là, je vous écoute.", "source": "fr", "target": "es", "detect": False}
    answer = _post(client, body).get_json()
    assert answer == {
        "text": "Estoy aquí, le escucho.",
        "source": "fr",
        "target": "es",
        "translated": True,
    }
    assert [path for path, _ in fake.requests] == ["/translate"]


def test_same_language_short_text_and_unknown_language(client, fake) -> None:
    # Short texts keep the conversation's language: detection is not trusted on them.
    same = _post(client, {"text": "Hola", "source": "fr", "target": "fr"}).get_json()
    assert same == {
        "text": "Hola",
        "source": "fr",
        "target": "fr",
        "translated": False,
        "reason": "same_language",
    }
    assert fake.requests == []
    # No source and nothing detected (the fake answers confidence 0).
    unknown = _post(client, {"text": "xyz", "target": "fr"}).get_json()
    assert unknown["translated"] is False and unknown["reason"] == "unknown_language"
    assert unknown["text"] == "xyz"


def test_login_is_required(app) -> None:
    answer = _post(app.test_client(), {"text": "Necesito ayuda", "target": "fr"})
    assert answer.status_code == 401
    bad = app.test_client()
    bad.set_cookie(COOKIE, "forged", path="/console")
    assert _post(bad, {"text": "Necesito ayuda", "target": "fr"}).status_code == 401


@pytest.mark.parametrize("origin", [None, "http://evil.example", "null"])
def test_only_the_console_page_may_ask(client, fake, origin) -> None:
    answer = _post(client, {"text": "Necesito ayuda", "target": "fr"}, origin=origin)
    assert answer.status_code == 403
    assert fake.requests == []


@pytest.mark.parametrize(
    "body",
    [
        "not an object",
        {"target": "fr"},
        {"text": 3, "target": "fr"},
        {"text": "hola", "target": "french!"},
        {"text": "hola", "target": "fr", "source": "../../etc"},
        {"text": "hola", "target": "fr", "detect": "yes"},
    ],
)
def test_bad_requests_get_a_clear_400(client, fake, body) -> None:
    answer = _post(client, body)
    assert answer.status_code == 400
    assert answer.get_json()["error"]
    assert fake.requests == []


def test_the_text_size_is_bounded(client, fake) -> None:
    ok = _post(client, {"text": "a" * MAX_TEXT_CHARS, "source": "en", "target": "fr"})
    assert ok.status_code == 200
    fake.requests.clear()
    answer = _post(client, {"text": "a" * (MAX_TEXT_CHARS + 1), "source": "en", "target": "fr"})
    assert answer.status_code == 413
    assert fake.requests == []


@pytest.mark.parametrize("mode", ["error", "malformed", "wrong_shape"])
def test_a_broken_translator_gives_the_original_marked(client, fake, mode) -> None:
    fake.mode = mode
    answer = _post(client, {"text": "Necesito ayuda", "source": "es", "target": "fr"})
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["text"] == "Necesito ayuda"
    assert body["translated"] is False
    assert body["reason"] in ("error", "malformed")


def test_a_dead_translator_gives_the_original_marked(client, fake) -> None:
    fake.stop()
    answer = _post(client, {"text": "Necesito ayuda", "source": "es", "target": "fr"}).get_json()
    assert answer["translated"] is False and answer["text"] == "Necesito ayuda"
    assert answer["reason"] == "error"


def test_a_slow_translator_does_not_hold_the_request(app, client, fake) -> None:
    app.extensions["pnav"].casework.translator.timeout = 0.3
    fake.mode = "slow"
    answer = _post(client, {"text": "Necesito ayuda", "source": "es", "target": "fr"}).get_json()
    assert answer == {
        "text": "Necesito ayuda",
        "source": "es",
        "target": "fr",
        "translated": False,
        "reason": "timeout",
    }


def test_each_operator_is_rate_limited(app, client) -> None:
    now = [0.0]
    app.extensions["pnav.translate_limit"] = RateLimit(
        burst=3, per_second=1.0, clock=lambda: now[0]
    )
    body = {"text": "Hola", "source": "es", "target": "es"}
    assert [_post(client, body).status_code for _ in range(4)] == [200, 200, 200, 429]
    refused = _post(client, body)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    now[0] += 1.0
    assert _post(client, body).status_code == 200


def test_nothing_is_logged_or_stored(app, client, fake, tmp_path, caplog) -> None:
    said = f"Necesito ayuda {secrets.token_hex(8)}"
    caplog.set_level(logging.DEBUG)
    fake.mode = "ok"
    assert _post(client, {"text": said, "source": "es", "target": "fr"}).get_json()["translated"]
    fake.mode = "error"
    for _ in range(4):  # failures, then the wrapper's pause: every path that logs
        assert _post(client, {"text": said, "source": "es", "target": "fr"}).status_code == 200
    assert _post(client, {"text": said * 400, "target": "fr"}).status_code == 413
    assert any("translator" in r.getMessage() for r in caplog.records)  # it did log reasons
    logged = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    stored = b"".join(p.read_bytes() for p in (tmp_path / "data").rglob("*") if p.is_file())
    for secret in (said, said.split()[-1], "besoin"):
        assert secret not in logged
        assert secret.encode() not in stored


def test_the_console_can_ask_whether_there_is_a_translator(
    app, client, tmp_path, logged_in
) -> None:
    assert app.test_client().get(URL).status_code == 401
    assert client.get(URL).get_json() == {"available": True}
    settings = Settings.load(None, environ={}, data_dir=tmp_path / "none")
    store = SQLiteStore(settings.database_path)
    enrol_operator(store, "alice", secrets.token_urlsafe(12), role="operator")
    plain = create_app(settings, store=store, maintenance=False)
    try:
        assert logged_in(plain, "alice").get(URL).get_json() == {"available": False}
    finally:
        plain.extensions["pnav"].shutdown()
        store.close()
