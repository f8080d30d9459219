"""Private notes on a conversation (issue 6): ciphertext under the conversation key,
for the conversation's staff only, kept across reconnects and transfers."""

from __future__ import annotations

import json
import secrets

import pytest

from pnav.sdk import crypto
from pnav.sdk.client import ClientError


def _canary() -> str:
    return f"canary-note-{secrets.token_hex(10)}"


def _raw_note(op, conv: str, kind: str = "note", cid: str = "n1") -> str:
    content = {"type": "note", "text": "x", "id": cid, "from": op.operator["username"]}
    body = crypto.b64encode(crypto.encrypt_message(op.keys[conv], {**content, "kind": kind}))
    return json.dumps({"v": 1, "t": "note", "conv": conv, "id": cid, "kind": kind, "body": body})


def test_notes_are_stored_encrypted_and_never_reach_the_person(live_server, clients):
    canary = _canary()
    op = clients.login()
    person = clients.accepted(op)
    seen = clients.record(person)
    note = op.note(person.conv, canary)
    assert (note.author, note.kind, note.text) == ("alice", "note", canary)

    # The person's socket goes on, and carries nothing of the note.
    person.send("hello")
    assert op.receive().text == "hello"
    op.send(person.conv, "hello to you")
    assert person.receive().text == "hello to you"
    [stored] = live_server.store.notes(person.conv)
    assert (stored.kind, stored.author) == ("note", op.operator["id"])
    body = crypto.b64encode(stored.body)
    assert not [f for f in seen if f.get("t") == "note" or body in json.dumps(f)]

    # Neither does a new socket of the person, from the start, nor a sync.
    back = clients.resume(person.token, person.key)
    replayed = clients.record(back)
    back.send_raw(json.dumps({"v": 1, "t": "sync", "after": 0}))
    assert [back.receive().text, back.receive().text] == ["hello", "hello to you"]
    back.send("after the sync")
    assert op.receive().text == "after the sync"
    assert all(f.get("t") in ("msg", "ack", "status") for f in replayed)
    assert not [f for f in replayed if body in json.dumps(f)]

    assert canary.encode() not in live_server.stored_bytes()


def test_notes_come_with_the_conversation_after_a_reconnect(live_server, clients):
    op = clients.login()
    person = clients.accepted(op)
    first = op.note(person.conv, "first note")
    op.note(person.conv, "second note")
    op.close()

    again = clients.login()
    frame = again.wait("conversation", conv=person.conv)
    notes = [again.open_note(person.conv, n) for n in frame["notes"]]
    assert [n.text for n in notes] == ["first note", "second note"]
    assert notes[0].cid == first.cid and notes[0].id == first.id


def test_notes_follow_a_transfer_to_the_next_operator(live_server, clients):
    bob = clients.login("bob", live_server.add_operator("bob"))
    carol = clients.login("carol", live_server.add_operator("carol"))
    person = clients.accepted(bob)
    bob.note(person.conv, "She does not want the police called.")
    bob.transfer(person.conv, "carol", "Over to you.")
    frame = carol.wait("conversation", conv=person.conv)
    [note] = [carol.open_note(person.conv, n) for n in frame["notes"]]
    assert (note.author, note.text) == ("bob", "She does not want the police called.")
    # Bob no longer holds it: no more notes from him.
    bob.send_raw(_raw_note(bob, person.conv))
    assert bob.wait("error", conv=person.conv)["code"] == "not_yours"
    assert carol.note(person.conv, "Understood.").author == "carol"


def test_bad_notes_are_refused_and_the_conversation_goes_on(live_server, clients):
    op = clients.login()
    person = clients.accepted(op)
    with pytest.raises(ClientError) as err:
        op.note(person.conv, "to myself", kind="whisper")
    assert err.value.code == "forbidden"  # whispers are a supervisor's
    op.send_raw(_raw_note(op, person.conv, kind="shout", cid="n2"))
    assert op.wait("error", id="n2")["code"] == "malformed"
    op.send_raw(_raw_note(op, person.conv, cid="n3").replace('"body": "', '"body": "!!'))
    assert op.wait("error", id="n3")["code"] == "malformed"
    # A conversation still waiting is nobody's: no notes on it.
    waiting = clients.person()
    body = crypto.b64encode(crypto.encrypt_message(crypto.new_conversation_key(), {"t": 1}))
    frame = {"v": 1, "t": "note", "conv": waiting.conv, "id": "n4", "body": body}
    op.send_raw(json.dumps(frame))
    assert op.wait("error", id="n4")["code"] == "not_yours"
    assert op.note(person.conv, "still fine").text == "still fine"
    op.close_conversation(person.conv, "information")
    with pytest.raises(ClientError) as err:
        op.note(person.conv, "too late")
    assert err.value.code == "closed"
    assert len(live_server.store.notes(person.conv)) == 1
    assert live_server.store.notes(waiting.conv) == []


def test_a_note_moved_by_the_server_is_refused(live_server, clients):
    op = clients.login()
    person = clients.accepted(op)
    note = op.note(person.conv, "mine")
    [item] = clients.login().wait("conversation", conv=person.conv)["notes"]
    assert op.open_note(person.conv, item) == note
    for forged in ({**item, "author": "mallory"}, {**item, "kind": "whisper"}):
        with pytest.raises(ClientError) as err:
            op.open_note(person.conv, forged)
        assert err.value.code == "undecryptable"
