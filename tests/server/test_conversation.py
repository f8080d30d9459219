"""A person and an operator talk through a live server, both played by the Python client."""

from __future__ import annotations

import contextlib
import json
import secrets

import pytest
import simple_websocket

from pnav.sdk import crypto
from pnav.sdk.client import ClientError, OperatorClient, PersonClient


def _pair(live_server, **start):
    person = PersonClient.start(live_server.url, "demo", live_server.origin, **start)
    op = OperatorClient.login(live_server.url, live_server.operator, live_server.password)
    op.wait_queue(person.conv)
    op.accept(person.conv)
    person.wait("status", state="active")
    return person, op


def test_messages_both_ways_are_end_to_end_encrypted(live_server):
    canary_p, canary_o = f"canary-{secrets.token_hex(8)}", f"canary-{secrets.token_hex(8)}"
    person, op = _pair(live_server)
    seq = person.send(canary_p)
    got = op.receive()
    assert (got.seq, got.sender, got.text, got.conv) == (seq, "person", canary_p, person.conv)
    op.send(person.conv, canary_o)
    reply = person.receive()
    assert (reply.sender, reply.text) == ("operator", canary_o)
    op.close_conversation(person.conv, "information")
    person.wait("status", state="closed")
    person.close()
    op.close()
    blobs = live_server.stored_bytes()
    for canary in (canary_p, canary_o):
        assert canary.encode() not in blobs


def test_queue_orders_danger_first_and_shows_triage_fields(live_server):
    calm = PersonClient.start(live_server.url, "demo", live_server.origin, what="sexist")
    urgent = PersonClient.start(
        live_server.url,
        "demo",
        live_server.origin,
        who="witness",
        what="sexual",
        danger=True,
        lang="en",
    )
    op = OperatorClient.login(live_server.url, live_server.operator, live_server.password)
    items = op.wait_queue(urgent.conv)
    assert [i["conv"] for i in items] == [urgent.conv, calm.conv]
    assert {k: items[0][k] for k in ("who", "what", "danger", "lang")} == {
        "who": "witness",
        "what": "sexual",
        "danger": True,
        "lang": "en",
    }
    assert calm.wait("status", state="waiting", position=2)


def test_an_accepted_conversation_belongs_to_one_operator(live_server):
    bob_pw = live_server.add_operator("bob")
    person, _alice = _pair(live_server)
    bob = OperatorClient.login(live_server.url, "bob", bob_pw)
    with pytest.raises(ClientError) as taken:
        bob.accept(person.conv)
    assert taken.value.code == "taken"
    bob.send_raw(json.dumps({"v": 1, "t": "sync", "conv": person.conv, "after": 0}))
    assert bob.wait("error").get("code") == "not_yours"


def test_messages_written_while_waiting_reach_the_operator_on_accept(live_server):
    person = PersonClient.start(live_server.url, "demo", live_server.origin)
    person.send("first")
    person.send("second")
    op = OperatorClient.login(live_server.url, live_server.operator, live_server.password)
    op.accept(person.conv)
    assert [op.receive().text, op.receive().text] == ["first", "second"]


def test_duplicate_client_id_is_stored_once(live_server):
    person, op = _pair(live_server)
    content = {"type": "text", "text": "x", "id": "same-id", "from": "person"}
    body = crypto.b64encode(crypto.encrypt_message(person.key, content))
    frame = {"v": 1, "t": "msg", "id": "same-id", "body": body}
    person.send_raw(json.dumps(frame))
    person.send_raw(json.dumps(frame))
    first = op.receive()
    assert person.wait_ack("same-id", 5) == first.seq
    assert [m.seq for m in live_server.store.messages_after(person.conv, 0)] == [first.seq]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("not json", "malformed"),
        ("[1, 2]", "malformed"),
        (json.dumps({"v": 1, "t": "dance"}), "unknown_type"),
        (json.dumps({"v": 1, "t": "msg", "id": "a b", "body": "AA=="}), "malformed"),
        (json.dumps({"v": 1, "t": "msg", "id": "ok", "body": "!!!"}), "malformed"),
        (json.dumps({"v": 1, "t": "msg", "id": "ok", "body": "A" * 70_000}), "too_large"),
        ("x" * 90_000, "too_large"),
    ],
)
def test_bad_frames_get_an_error_and_the_conversation_goes_on(live_server, raw, code):
    person, op = _pair(live_server)
    person.send_raw(raw)
    assert person.wait("error")["code"] == code
    person.send("still here")
    assert op.receive().text == "still here"


def test_quick_exit_is_shown_to_the_operator(live_server):
    person, op = _pair(live_server)
    person.quick_exit()
    assert op.wait("presence", conv=person.conv, person="quick_exit")


def test_bad_ticket_is_refused(live_server):
    ws = simple_websocket.Client.connect(live_server.url.replace("http", "ws") + "/ws/person")
    try:
        ws.send(json.dumps({"v": 1, "t": "hello", "ticket": "forged", "start": {}}))
        frame = json.loads(ws.receive(timeout=5))
        assert (frame["t"], frame["code"]) == ("error", "bad_ticket")
        # ...and the server closes the socket after it (docs/protocol.md).
        with pytest.raises(simple_websocket.ConnectionClosed):
            ws.receive(timeout=5)
    finally:
        with contextlib.suppress(simple_websocket.ConnectionClosed):
            ws.close()


def test_a_language_that_is_not_a_code_is_refused(clients):
    with pytest.raises(ClientError) as err:
        clients.person(lang="Español")
    assert "'lang' must be a language code" in str(err.value)
    person = clients.person(lang="pt-BR")  # a region subtag is fine
    assert person.conv
    person.close()
