"""Canned replies over HTTP (``/console/api/canned``): every operator reads them, only
supervisors change them, from the console page only, with clear errors for bad input."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pnav.sdk.memory_store import MemoryStore
from pnav.server import Settings, create_app
from pnav.server.operators.canned import DEMO_REPLIES, MAX_TEXT_CHARS, MAX_TITLE_CHARS, seed_demo
from pnav.server.operators.desk import enrol_operator
from pnav.server.stores.sqlite.store import SQLiteStore

ORIGIN = "http://localhost"
URL = "/console/api/canned"
KDF = {"kdf_ops": 1, "kdf_mem": 8 << 20}
SAFETY_ES = "¿Está usted en un lugar seguro ahora mismo?"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    settings = Settings.load(None, environ={}, data_dir=tmp_path / "data")
    store = SQLiteStore(settings.database_path)
    password = secrets.token_urlsafe(12)
    enrol_operator(store, "sue", password, role="supervisor", **KDF)  # type: ignore[arg-type]
    enrol_operator(store, "alice", password, unlock_with=("sue", password), **KDF)  # type: ignore[arg-type]
    app = create_app(settings, store=store, maintenance=False)
    yield app
    app.extensions["pnav"].shutdown()
    store.close()


@pytest.fixture
def supervisor(app: Flask, logged_in: Any) -> FlaskClient:
    return logged_in(app, "sue")


@pytest.fixture
def operator(app: Flask, logged_in: Any) -> FlaskClient:
    return logged_in(app, "alice")


def _send(
    client: FlaskClient, method: str, path: str = URL, body: Any = None, origin: str | None = ORIGIN
) -> Any:
    headers = {"Origin": origin} if origin else {}
    return client.open(path, method=method, json=body, headers=headers)


def _reply(lang: str = "es", title: str = "Seguridad", text: str = SAFETY_ES) -> dict[str, str]:
    return {"lang": lang, "title": title, "text": text}


def _listed(client: FlaskClient, query: str = "") -> list[tuple[str, str, str]]:
    response = client.get(URL + query)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    return [(r["lang"], r["title"], r["text"]) for r in response.get_json()["replies"]]


def test_a_supervisor_adds_replies_and_every_operator_reads_them(
    supervisor: FlaskClient, operator: FlaskClient
) -> None:
    assert _listed(operator) == []
    added = _send(supervisor, "POST", body=_reply())
    assert added.status_code == 201
    assert added.headers["Cache-Control"] == "no-store"
    reply = added.get_json()["reply"]
    assert {k: reply[k] for k in ("lang", "title", "text")} == _reply()
    assert isinstance(reply["id"], int) and isinstance(reply["updated_at"], float)
    # surrounding blanks are trimmed; line breaks inside a text are kept
    body = _reply("fr", "  Accueil ", "Bonjour,\nje vous écoute.\n")
    assert _send(supervisor, "POST", body=body).status_code == 201
    assert _send(supervisor, "POST", body=_reply("es", "Bienvenida", "Hola.")).status_code == 201
    assert _listed(operator) == [
        ("es", "Bienvenida", "Hola."),
        ("es", "Seguridad", SAFETY_ES),
        ("fr", "Accueil", "Bonjour,\nje vous écoute."),
    ]
    assert _listed(operator, "?lang=fr") == [("fr", "Accueil", "Bonjour,\nje vous écoute.")]
    assert _listed(operator, "?lang=uk") == []
    refused = operator.get(URL + "?lang=not a language")
    assert refused.status_code == 400
    assert "lang must be a language code" in refused.get_json()["error"]


def test_a_supervisor_replaces_and_deletes_a_reply(supervisor: FlaskClient) -> None:
    first = _send(supervisor, "POST", body=_reply()).get_json()["reply"]
    path = f"{URL}/{first['id']}"
    changed = _send(supervisor, "PUT", path, _reply("es", "Seguridad", "¿Está a salvo?"))
    assert changed.status_code == 200
    assert changed.get_json()["reply"]["id"] == first["id"]
    assert changed.get_json()["reply"]["updated_at"] >= first["updated_at"]
    assert _listed(supervisor) == [("es", "Seguridad", "¿Está a salvo?")]

    deleted = _send(supervisor, "DELETE", path)
    assert deleted.status_code == 204 and deleted.get_data() == b""
    assert _listed(supervisor) == []
    for method, body in (("DELETE", None), ("PUT", _reply())):
        gone = _send(supervisor, method, path, body)
        assert gone.status_code == 404
        assert gone.get_json() == {"error": f"no canned reply with id {first['id']}"}
    for bad in ("abc", "-1", "1.5", "\u0661"):  # the last: an Arabic-Indic digit
        odd = _send(supervisor, "DELETE", f"{URL}/{bad}")
        assert odd.status_code == 404
        assert "ids are whole numbers" in odd.get_json()["error"]
    assert _listed(supervisor) == []


def test_an_operator_may_not_change_replies(supervisor: FlaskClient, operator: FlaskClient) -> None:
    reply = _send(supervisor, "POST", body=_reply()).get_json()["reply"]
    path = f"{URL}/{reply['id']}"
    for method, where, body in (
        ("POST", URL, _reply("fr", "Bonjour", "Bonjour.")),
        ("PUT", path, _reply("es", "Cambiado", "Cambiado.")),
        ("DELETE", path, None),
    ):
        response = _send(operator, method, where, body)
        assert response.status_code == 403, method
        assert response.get_json() == {
            "error": "canned replies are managed by supervisors: this account is an operator's"
        }
    assert _listed(operator) == [("es", "Seguridad", SAFETY_ES)]


def test_strangers_must_log_in_and_writes_come_from_the_console_page(
    app: Flask, supervisor: FlaskClient
) -> None:
    stranger = app.test_client()
    assert stranger.get(URL).status_code == 401
    assert _send(stranger, "POST", body=_reply()).status_code == 401
    for origin in ("https://partner.example", None):
        response = _send(supervisor, "POST", body=_reply(), origin=origin)
        assert response.status_code == 403
        assert response.get_json() == {
            "error": "canned replies are only changed from the console page"
        }
    assert _listed(supervisor) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json", 'body must be JSON {"lang", "title", "text"}'),
        ([_reply()], 'body must be JSON {"lang", "title", "text"}'),
        (_reply(lang=""), "lang must be a language code such as fr, es or pt-BR"),
        (_reply(lang="Spanish"), "lang must be a language code"),
        ({"title": "T", "text": "t"}, "lang must be a language code"),
        (_reply(title=""), "title is required (a string)"),
        (_reply(title="   "), "title is required (a string)"),
        ({"lang": "es", "title": 3, "text": "t"}, "title is required (a string)"),
        (_reply(text="\n \t"), "text is required (a string)"),
        ({"lang": "es", "title": "T"}, "text is required (a string)"),
        (_reply(title="x" * (MAX_TITLE_CHARS + 1)), "title is longer than 80 characters"),
        (_reply(text="x" * (MAX_TEXT_CHARS + 1)), "text is longer than 2000 characters"),
        (_reply(title="two\nlines"), "title must be one line, without control characters"),
        (_reply(text="bell\x07"), "text must not contain control characters"),
    ],
)
def test_bad_replies_are_a_clear_400_and_store_nothing(
    supervisor: FlaskClient, body: Any, message: str
) -> None:
    if isinstance(body, str):
        response = supervisor.post(
            URL, data=body, content_type="application/json", headers={"Origin": ORIGIN}
        )
    else:
        response = _send(supervisor, "POST", body=body)
    assert response.status_code == 400
    assert message in response.get_json()["error"]
    assert _listed(supervisor) == []


def test_the_longest_title_and_text_are_accepted(supervisor: FlaskClient) -> None:
    body = _reply("pt-BR", "t" * MAX_TITLE_CHARS, "x" * MAX_TEXT_CHARS)
    assert _send(supervisor, "POST", body=body).status_code == 201
    assert _listed(supervisor, "?lang=pt-BR") == [(body["lang"], body["title"], body["text"])]


def test_the_log_names_the_reply_never_its_text(
    supervisor: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    reply = _send(supervisor, "POST", body=_reply()).get_json()["reply"]
    _send(supervisor, "PUT", f"{URL}/{reply['id']}", _reply(title="Otra", text="Texto nuevo"))
    _send(supervisor, "DELETE", f"{URL}/{reply['id']}")
    logged = caplog.text
    assert f"canned reply {reply['id']} added" in logged
    assert f"canned reply {reply['id']} deleted" in logged
    for secret in ("Seguridad", SAFETY_ES, "Otra", "Texto nuevo"):
        assert secret not in logged


def test_the_demo_seeds_replies_into_an_empty_store_only() -> None:
    store = MemoryStore()
    assert seed_demo(store) == len(DEMO_REPLIES)
    assert {r.lang for r in store.canned_replies()} == {"fr", "en"}
    assert seed_demo(store) == 0
    assert len(store.canned_replies()) == len(DEMO_REPLIES)
    other = MemoryStore()
    other.put_canned_reply("es", "Hola", "Hola.")
    assert seed_demo(other) == 0
    assert [r.title for r in other.canned_replies()] == ["Hola"]
