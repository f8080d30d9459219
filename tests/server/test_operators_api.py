"""Operators and the desk key over HTTP (``/console/api/operators``, ``/console/api/desk``):
supervisors only, changes from the console page only; removing an account or rotating
the desk key from the console does exactly what ``pnav operator remove`` and ``pnav desk
rotate`` do."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pnav.sdk import crypto
from pnav.sdk.store import NewConversation, Store
from pnav.server import Settings, create_app
from pnav.server.cli import main
from pnav.server.operators.desk import enrol_operator, verify_login
from pnav.server.stores.sqlite.store import SQLiteStore
from pnav.server.web.console import COOKIE

ORIGIN = "http://localhost"
LIST = "/console/api/operators"
ROTATE = "/console/api/desk/rotate"
KDF = {"kdf_ops": 1, "kdf_mem": 8 << 20}
PASSWORD = secrets.token_urlsafe(12)
SUPERVISORS_ONLY = (
    "operators and the desk key are managed by supervisors: this account is an operator's"
)


def _remove_url(username: str) -> str:
    return f"{LIST}/{username}/remove"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    settings = Settings.load(None, environ={}, data_dir=tmp_path / "data")
    store = SQLiteStore(settings.database_path)
    enrol_operator(store, "sue", PASSWORD, role="supervisor", **KDF)  # type: ignore[arg-type]
    for name in ("alice", "bob"):
        enrol_operator(store, name, PASSWORD, unlock_with=("sue", PASSWORD), **KDF)  # type: ignore[arg-type]
    app = create_app(settings, store=store, maintenance=False)
    yield app
    app.extensions["pnav"].shutdown()
    store.close()


def _store(app: Flask) -> Store:
    store: Store = app.extensions["pnav"].store
    return store


@pytest.fixture
def supervisor(app: Flask, logged_in: Any) -> FlaskClient:
    return logged_in(app, "sue")


@pytest.fixture
def operator(app: Flask, logged_in: Any) -> FlaskClient:
    return logged_in(app, "alice")


def _post(client: FlaskClient, path: str, origin: str | None = ORIGIN) -> Any:
    return client.post(path, headers={"Origin": origin} if origin else {})


def _held_by(store: Store, username: str) -> str:
    """A conversation in progress held by ``username`` (sealed to the current key)."""
    key = store.current_desk_key()
    assert key is not None
    sealed = crypto.seal_conversation_key(crypto.new_conversation_key(), key.public)
    conv = store.create_conversation(
        NewConversation("demo", "victim", "domestic", False, "fr", sealed, key.id)
    )
    op = store.find_operator(username)
    assert op is not None and store.assign(conv.id, op.id)
    return conv.id


def _keys(store: Store, username: str) -> crypto.OperatorKeys:
    op = store.find_operator(username)
    assert op is not None
    return crypto.derive_operator_keys(PASSWORD, op.salt, op.kdf_ops, op.kdf_mem)


def _all_wraps(store: Store) -> list[bytes]:
    db = store._db  # type: ignore[attr-defined]
    return [bytes(w) for (w,) in db.execute("SELECT wrapped FROM desk_key_wraps").fetchall()]


def _account(
    username: str, role: str = "operator", capacity: int | None = None, held: int = 0
) -> dict[str, Any]:
    return {
        "username": username,
        "role": role,
        "removed": False,
        "capacity": capacity,
        "held": held,
    }


def test_a_supervisor_sees_every_account(app: Flask, supervisor: FlaskClient) -> None:
    store = _store(app)
    alice = store.find_operator("alice")
    assert alice is not None
    store.set_capacity(alice.id, 3)
    _held_by(store, "alice")
    _held_by(store, "alice")
    response = supervisor.get(LIST)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    key = store.current_desk_key()
    assert key is not None
    assert body == {
        "operators": [
            _account("sue", "supervisor"),
            _account("alice", capacity=3, held=2),
            _account("bob"),
        ],
        "desk_key": {"id": key.id, "created_at": key.created_at},
        "you": "sue",
    }
    # Nothing secret in the answer: no salt, hash, public key or wrapped key.
    text = response.get_data(as_text=True)
    for op in store.list_operators():
        assert crypto.b64encode(op.public_key) not in text
        assert crypto.b64encode(op.salt) not in text


def test_operators_may_neither_list_nor_change(app: Flask, operator: FlaskClient) -> None:
    store = _store(app)
    before = (store.current_desk_key(), _all_wraps(store))
    for response in (
        operator.get(LIST),
        _post(operator, _remove_url("bob")),
        _post(operator, ROTATE),
    ):
        assert response.status_code == 403
        assert response.get_json() == {"error": SUPERVISORS_ONLY}
    assert (store.current_desk_key(), _all_wraps(store)) == before
    bob = store.find_operator("bob")
    assert bob is not None and not bob.removed


def test_strangers_must_log_in_and_changes_come_from_the_console_page(
    app: Flask, supervisor: FlaskClient
) -> None:
    store = _store(app)
    stranger = app.test_client()
    assert stranger.get(LIST).status_code == 401
    assert _post(stranger, _remove_url("bob")).status_code == 401
    assert _post(stranger, ROTATE).status_code == 401
    key = store.current_desk_key()
    for origin in ("https://partner.example", "null", None):
        for path in (_remove_url("bob"), ROTATE):
            response = _post(supervisor, path, origin)
            assert response.status_code == 403, (path, origin)
            assert response.get_json() == {
                "error": "operators and the desk key are only changed from the console page"
            }
    assert store.current_desk_key() == key
    bob = store.find_operator("bob")
    assert bob is not None and not bob.removed


def test_refusals_say_why(app: Flask, supervisor: FlaskClient) -> None:
    store = _store(app)
    key = store.current_desk_key()
    own = _post(supervisor, _remove_url("sue"))
    assert own.status_code == 409
    assert own.get_json() == {"error": "you cannot remove your own account: ask another supervisor"}
    unknown = _post(supervisor, _remove_url("nobody"))
    assert unknown.status_code == 404
    assert unknown.get_json() == {"error": "no active operator named 'nobody'"}
    assert store.current_desk_key() == key  # nothing rotated
    assert _post(supervisor, _remove_url("bob")).status_code == 200
    again = _post(supervisor, _remove_url("bob"))
    assert again.status_code == 404
    assert again.get_json() == {"error": "no active operator named 'bob'"}


@pytest.mark.parametrize("via", ["console", "cli"])
def test_removal_from_the_console_does_what_the_cli_does(
    app: Flask, supervisor: FlaskClient, operator: FlaskClient, tmp_path: Path, via: str
) -> None:
    store = _store(app)
    alice_session = operator
    assert alice_session.get("/console/api/canned").status_code == 200
    conv = _held_by(store, "alice")
    alice = store.find_operator("alice")
    assert alice is not None
    alice_keys = _keys(store, "alice")
    assert store.desk_key_wraps(alice.id)
    old_key = store.current_desk_key()
    assert old_key is not None

    if via == "console":
        response = _post(supervisor, _remove_url("alice"))
        assert response.status_code == 200, response.get_data(as_text=True)
        new_key = store.current_desk_key()
        assert new_key is not None
        assert response.get_json() == {
            "removed": "alice",
            "held": 1,
            "desk_key": {"id": new_key.id, "created_at": new_key.created_at},
        }
    else:
        assert main(["operator", "remove", "alice", "--data-dir", str(tmp_path / "data")]) == 0
        new_key = store.current_desk_key()
        assert new_key is not None

    # Her login and her open session stop working; her wraps are gone.
    assert new_key.id != old_key.id
    alice = store.find_operator("alice")
    assert alice is not None and alice.removed
    assert verify_login(store, "alice", alice_keys.auth) is None
    login = app.test_client().post(
        "/console/api/login",
        json={"username": "alice", "auth": crypto.b64encode(alice_keys.auth)},
        headers={"Origin": ORIGIN},
    )
    assert login.status_code == 401
    assert alice_session.get("/console/api/canned").status_code == 401
    assert store.desk_key_wraps(alice.id) == {}
    # With her password and the whole database, she opens no desk key at all.
    for wrapped in _all_wraps(store):
        with pytest.raises(crypto.CryptoError):
            crypto.unwrap_desk_key(wrapped, alice_keys.wrap)
    # The others hold the new key, and the old one for the conversation she held.
    for name in ("sue", "bob"):
        op = store.find_operator(name)
        assert op is not None
        wraps = store.desk_key_wraps(op.id)
        assert set(wraps) == {old_key.id, new_key.id}
        secret = crypto.unwrap_desk_key(wraps[new_key.id], _keys(store, name).wrap)
        assert crypto.public_key_of(secret) == new_key.public
    held = store.get_conversation(conv)
    assert held is not None and held.state == "active" and held.desk_key == old_key.id
    listed = {o["username"]: o for o in supervisor.get(LIST).get_json()["operators"]}
    assert listed["alice"]["removed"] is True and listed["alice"]["held"] == 1


def test_a_username_with_a_slash_is_removed_too(app: Flask, supervisor: FlaskClient) -> None:
    store = _store(app)
    enrol_operator(store, "team/b", PASSWORD, unlock_with=("sue", PASSWORD), **KDF)  # type: ignore[arg-type]
    response = _post(supervisor, _remove_url("team%2Fb"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["removed"] == "team/b"
    gone = store.find_operator("team/b")
    assert gone is not None and gone.removed


def test_rotation_seals_a_new_key_to_every_remaining_operator(
    app: Flask, supervisor: FlaskClient
) -> None:
    store = _store(app)
    assert _post(supervisor, _remove_url("bob")).status_code == 200
    old_key = store.current_desk_key()
    assert old_key is not None
    response = _post(supervisor, ROTATE)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    new_key = store.current_desk_key()
    assert new_key is not None and new_key.id != old_key.id
    assert response.get_json() == {
        "desk_key": {"id": new_key.id, "created_at": new_key.created_at},
        "sealed_to": 2,
    }
    for name in ("sue", "alice"):
        op = store.find_operator(name)
        assert op is not None
        wraps = store.desk_key_wraps(op.id)
        assert old_key.id in wraps  # open conversations keep their key
        secret = crypto.unwrap_desk_key(wraps[new_key.id], _keys(store, name).wrap)
        assert crypto.public_key_of(secret) == new_key.public
    bob = store.find_operator("bob")
    assert bob is not None and store.desk_key_wraps(bob.id) == {}
    assert supervisor.get(LIST).get_json()["desk_key"]["id"] == new_key.id


def test_the_log_names_accounts_and_nothing_secret(
    app: Flask, supervisor: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert _post(supervisor, _remove_url("bob")).status_code == 200
    assert _post(supervisor, ROTATE).status_code == 200
    text = "\n".join(r.getMessage() for r in caplog.records)
    store = _store(app)
    key = store.current_desk_key()
    assert key is not None
    assert "operator 'bob' removed by supervisor 'sue' from the console" in text
    assert f"desk key rotated by supervisor 'sue' from the console: new key {key.id}" in text
    cookie = supervisor.get_cookie(COOKIE, path="/console")
    assert cookie is not None
    secrets_ = [PASSWORD, cookie.value, crypto.b64encode(key.public)]
    for op in store.list_operators():
        secrets_ += [crypto.b64encode(w) for w in store.desk_key_wraps(op.id).values()]
        secrets_.append(crypto.b64encode(_keys(store, op.username).auth))
    for secret in secrets_:
        assert secret not in text


def test_a_removed_operators_open_console_gets_nothing_more(live_server, clients) -> None:
    """Removed by ``pnav operator remove`` (another process): at the next maintenance
    round the open console gets ``unauthorised`` and its socket is closed for good; the
    person's next message never reaches it, and the conversation it held is in the
    supervisors' attention list at once."""
    from pnav.server.operators.desk import remove_operator

    bob_password = live_server.add_operator("bob")
    supervisor = clients.login()
    bob = clients.login("bob", bob_password)
    person = clients.accepted(bob)
    person.send("before")
    assert bob.receive().text == "before"
    bob_frames = clients.record(bob)

    remove_operator(live_server.store, "bob")
    live_server.chat.tick()
    ended = bob.wait("error", code="unauthorised")
    assert ended["message"] == "this account was removed"
    attention = supervisor.wait("attention", timeout=5)
    while not attention["items"]:
        attention = supervisor.wait("attention", timeout=5)
    assert [(i["conv"], i["reason"], i["operator"]) for i in attention["items"]] == [
        (person.conv, "operator_removed", "bob")
    ]

    canary = f"canary-after-removal-{secrets.token_hex(6)}"
    person.send(canary)
    supervisor.join(person.conv)
    # Stored, and the whole history reaches the supervisor who joins.
    assert [supervisor.receive().text for _ in range(2)] == ["before", canary]
    assert not [f for f in bob_frames if f.get("t") == "msg" and f.get("seq", 0) > 1]
    assert all(f.get("t") == "error" for f in bob_frames), bob_frames  # refused on every retry
    for client in (bob, person, supervisor):
        client.close()
