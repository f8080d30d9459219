"""Key management and coming back (issue 3): resume codes, desk key rotation, operator
removal, token purposes, and what a database dump holds afterwards."""

from __future__ import annotations

import time

import pytest

from pnav.sdk import crypto
from pnav.sdk.client import ClientError
from pnav.server.chat import resume as resume_module
from pnav.server.chat.tokens import TokenError, Tokens
from pnav.server.cli import main
from pnav.server.operators.desk import remove_operator, rotate_desk_key


def test_back_with_the_resume_code_after_quick_exit(live_server, clients):
    bob_pw = live_server.add_operator("bob")
    bob = clients.login("bob", bob_pw)
    person = clients.accepted(bob)
    person.send("first, from me")
    assert bob.receive().text == "first, from me"
    bob.send(person.conv, "first, from bob")
    assert person.receive().text == "first, from bob"
    code = person.create_resume_code()
    person.quick_exit()
    bob.wait("presence", conv=person.conv, person="quick_exit")

    back = clients.come_back(code)
    assert back.conv == person.conv
    history = [back.receive() for _ in range(2)]
    assert [(m.sender, m.text) for m in history] == [
        ("person", "first, from me"),
        ("operator", "first, from bob"),
    ]
    bob.wait("presence", conv=person.conv, person="connected")
    back.send("I am back")
    got = bob.receive()
    assert (got.conv, got.text) == (person.conv, "I am back")
    bob.send(person.conv, "welcome back")
    assert back.receive().text == "welcome back"
    # The code itself never reached the server: neither its digits nor its lookup id.
    stored = live_server.stored_bytes()
    assert code.encode() not in stored
    assert crypto.normalise_resume_code(code).encode() not in stored
    back.close()


def test_a_new_code_replaces_the_old_one(live_server, clients):
    op = clients.login("alice", live_server.password)
    person = clients.accepted(op)
    old = person.create_resume_code()
    new = person.create_resume_code()
    with pytest.raises(ClientError) as err:
        clients.come_back(old)
    assert err.value.code == "bad_code"
    assert clients.come_back(new).conv == person.conv


def test_wrong_codes_are_limited_per_socket(live_server, clients, monkeypatch):
    ws_url = live_server.url.replace("http", "ws") + "/ws/person"
    params = live_server.chat.resume.params()
    salt = crypto.b64decode(params["salt"])
    import json

    import simple_websocket

    ws = simple_websocket.Client.connect(ws_url)
    codes = []
    try:
        for _ in range(resume_module.CODE_TRIES_PER_SOCKET + 1):
            keys = crypto.derive_resume_keys(crypto.new_resume_code(), salt, 1, 8 << 20)
            lookup = crypto.b64encode(keys.lookup)
            ws.send(json.dumps({"v": 1, "t": "hello", "code": {"lookup": lookup}}))
            codes.append(json.loads(ws.receive(timeout=5))["code"])
    finally:
        ws.close()
    assert codes == ["bad_code"] * resume_module.CODE_TRIES_PER_SOCKET + ["rate_limited"]


def test_rotation_keeps_open_conversations_and_removal_locks_out(live_server, clients):
    bob_pw = live_server.add_operator("bob")
    carol_pw = live_server.add_operator("carol")
    bob = clients.login("bob", bob_pw)
    before = clients.accepted(bob)
    before.send("before the rotation")
    assert bob.receive().text == "before the rotation"
    old_key = live_server.store.current_desk_key()

    # Rotation: new conversations use the new key; the open one stays readable.
    new_key = rotate_desk_key(live_server.store)
    assert live_server.store.current_desk_key().id == new_key.id != old_key.id
    bob.close()
    bob = clients.login("bob", bob_pw)
    assert bob.receive().text == "before the rotation"
    after = clients.accepted(bob)
    assert live_server.store.get_conversation(after.conv).desk_key == new_key.id
    after.send("after the rotation")
    assert bob.receive().text == "after the rotation"

    # Removal: bob's login stops, his open socket is refused, the key rotates again.
    rotated = remove_operator(live_server.store, "bob")
    with pytest.raises(ClientError):
        clients.login("bob", bob_pw)
    with pytest.raises(ClientError) as err:
        bob.send(after.conv, "am I still here?", timeout=5)
    assert err.value.code == "unauthorised"
    latest = clients.person()
    assert live_server.store.get_conversation(latest.conv).desk_key == rotated.id

    # With his password and the whole database, bob opens nothing made after removal.
    bob_op = live_server.store.find_operator("bob")
    bob_keys = crypto.derive_operator_keys(bob_pw, bob_op.salt, bob_op.kdf_ops, bob_op.kdf_mem)
    wraps = live_server.store._db.execute("SELECT wrapped FROM desk_key_wraps").fetchall()
    for (wrapped,) in wraps:
        with pytest.raises(crypto.CryptoError):
            crypto.unwrap_desk_key(bytes(wrapped), bob_keys.wrap)
    sealed = live_server.store.get_conversation(latest.conv).sealed_key
    with pytest.raises(crypto.CryptoError):
        crypto.open_sealed_key(sealed, bob_keys.wrap)

    # Carol, still enrolled, reads the new conversation.
    carol = clients.login("carol", carol_pw)
    carol.wait_queue(latest.conv)
    carol.accept(latest.conv)
    latest.send("for carol")
    assert carol.receive().text == "for carol"


def test_after_a_full_session_a_dump_holds_no_secret(live_server, clients):
    bob_pw = live_server.add_operator("bob")
    op = clients.login("alice", live_server.password)
    texts = [f"canary-{i}-{time.time_ns()}" for i in range(3)]
    person = clients.accepted(op)
    person.send(texts[0])
    op.send(person.conv, texts[1])
    code = person.create_resume_code()
    assert main(["desk", "rotate", "--data-dir", str(live_server.data_dir)]) == 0
    assert main(["operator", "remove", "bob", "--data-dir", str(live_server.data_dir)]) == 0
    person.send(texts[2])
    for _ in range(2):
        op.receive()
    # Every desk secret key alice can open.
    alice = live_server.store.find_operator("alice")
    keys = crypto.derive_operator_keys(
        live_server.password, alice.salt, alice.kdf_ops, alice.kdf_mem
    )
    secrets_ = [
        crypto.unwrap_desk_key(w, keys.wrap)
        for w in live_server.store.desk_key_wraps(alice.id).values()
    ]
    assert len(secrets_) == 3  # the first key and two rotations
    stored = live_server.stored_bytes()
    for needle in [*(t.encode() for t in texts), *secrets_, code.encode(), person.key]:
        assert needle not in stored
    assert crypto.normalise_resume_code(code).encode() not in stored
    assert bob_pw.encode() not in stored and live_server.password.encode() not in stored


def test_tokens_are_refused_when_expired_tampered_or_made_for_another_purpose():
    tokens = Tokens(b"k" * 32, ticket_age=10, person_age=60, console_age=60)
    ticket, person, exit_, console = (
        tokens.ticket("demo"),
        tokens.person("c1"),
        tokens.exit("c1"),
        tokens.console(7),
    )
    assert tokens.read_ticket(ticket) == "demo"
    for reader, token in [
        (tokens.read_person, ticket),
        (tokens.read_ticket, person),
        (tokens.read_console, exit_),
        (tokens.read_exit, console),
        (tokens.read_person, person[:-2] + ("A" if person[-2] != "A" else "B") + person[-1]),
        (tokens.read_ticket, Tokens(b"x" * 32, 10, 60, 60).ticket("demo")),
        (tokens.read_person, None),
        (tokens.read_person, "x" * 2000),
    ]:
        with pytest.raises(TokenError):
            reader(token)
    later = Tokens(b"k" * 32, ticket_age=10, person_age=60, console_age=60)
    import itsdangerous.timed

    real_now = time.time()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(itsdangerous.timed.time, "time", lambda: real_now + 11)
        with pytest.raises(TokenError):
            later.read_ticket(ticket)
        assert later.read_person(person) == "c1"
