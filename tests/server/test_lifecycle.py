"""Presence, one interlocutor, transfers, long idle conversations and retention (issue 4).

Time is simulated: the tests call ``chat.tick(now)`` with a clock of their own.
"""

from __future__ import annotations

import json
import time

import pytest

from pnav.sdk import crypto
from pnav.sdk.client import ClientError
from pnav.server.cli import main


def test_presence_goes_connected_reconnecting_gone_and_back(live_server, clients):
    op = clients.login("alice", live_server.password)
    person = clients.accepted(op)
    person.close()
    op.wait("presence", conv=person.conv, person="reconnecting")
    # Not yet "gone" before person_gone_after ...
    live_server.chat.tick(time.time() + live_server.settings.person_gone_after - 5)
    op.settle()
    assert [f["person"] for f in op.unread("presence") if f["conv"] == person.conv] == []
    # ... then gone.
    live_server.chat.tick(time.time() + live_server.settings.person_gone_after + 1)
    op.wait("presence", conv=person.conv, person="gone")
    assert live_server.store.get_conversation(person.conv).person == "gone"


def test_the_queue_position_is_shown_to_the_person_while_waiting(live_server, clients):
    first = clients.person()
    second = clients.person()
    assert second.wait("status", state="waiting", position=2)
    op = clients.login("alice", live_server.password)
    op.accept(first.conv)
    assert second.wait("status", state="waiting", position=1)


def test_an_operator_away_five_minutes_keeps_their_conversations(live_server, clients):
    bob_pw = live_server.add_operator("bob")
    supervisor = clients.login("alice", live_server.password)
    supervisor.wait("attention", items=[])  # the list on connect
    bob = clients.login("bob", bob_pw)
    person = clients.accepted(bob)
    bob.send(person.conv, "I am here")
    assert person.receive().text == "I am here"

    left_at = time.time()
    bob.close()
    person.wait("status", state="active", operator="away")
    written = [person.send(f"are you there? {i}") for i in range(3)]

    # Within the grace period nobody is alerted; after it the supervisors are.
    grace = live_server.settings.operator_grace
    live_server.chat.tick(left_at + grace - 10)
    supervisor.settle()
    assert supervisor.unread("attention") == []
    live_server.chat.tick(left_at + 5 * 60 + 1)
    items = supervisor.wait("attention")["items"]
    assert [(i["conv"], i["operator"], i["reason"]) for i in items] == [
        (person.conv, "bob", "operator_away")
    ]
    # Nothing moved silently: it is still bob's.
    assert live_server.store.get_conversation(person.conv).operator_id is not None
    assert live_server.store.get_conversation(person.conv).state == "active"

    bob = clients.login("bob", bob_pw)
    got = [bob.receive() for _ in written]
    assert [m.seq for m in got] == written
    assert [m.text for m in got] == [f"are you there? {i}" for i in range(3)]
    person.wait("status", state="active", operator="present")
    assert supervisor.wait("attention", items=[])
    bob.send(person.conv, "back now")
    assert person.receive().text == "back now"


def test_a_transfer_carries_a_note_and_tells_everyone(live_server, clients):
    bob_pw = live_server.add_operator("bob")
    carol_pw = live_server.add_operator("carol")
    bob = clients.login("bob", bob_pw)
    carol = clients.login("carol", carol_pw)
    person = clients.accepted(bob)
    person.send("my story")
    bob.receive()

    # Carol neither holds it nor supervises: the server refuses her transfer.
    note = crypto.b64encode(crypto.encrypt_message(crypto.new_conversation_key(), {"t": 1}))
    carol.send_raw(
        json.dumps({"v": 1, "t": "transfer", "conv": person.conv, "to": "carol", "note": note})
    )
    assert carol.wait("error", conv=person.conv)["code"] == "forbidden"
    with pytest.raises(ClientError) as err:
        bob.transfer(person.conv, "nobody", "note")
    assert err.value.code == "no_operator"

    told = bob.transfer(person.conv, "carol", "She is safe at her sister's tonight.")
    assert told["to"] == "carol"
    frame = carol.wait("conversation", conv=person.conv)
    [handover] = frame["handovers"]
    assert (handover["from"], handover["to"]) == ("bob", "carol")
    assert carol.decrypt_note(person.conv, handover["note"]) == (
        "She is safe at her sister's tonight."
    )
    assert carol.receive().text == "my story"  # the history came along
    person.wait("handover")
    # The note is ciphertext on the server.
    blobs = live_server.stored_bytes()
    assert b"sister" not in blobs

    with pytest.raises(ClientError) as err:
        bob.send(person.conv, "still mine?", timeout=3)
    assert err.value.code == "not_yours"
    carol.send(person.conv, "Hello, I am Carol.")
    assert person.receive().text == "Hello, I am Carol."


def test_a_supervisor_moves_a_conversation_whose_operator_is_away(live_server, clients):
    bob_pw = live_server.add_operator("bob")
    carol_pw = live_server.add_operator("carol")
    supervisor = clients.login("alice", live_server.password)
    supervisor.wait("attention", items=[])  # the list on connect
    bob = clients.login("bob", bob_pw)
    person = clients.accepted(bob)
    bob.close()
    person.wait("status", state="active", operator="away")
    live_server.chat.tick(time.time() + live_server.settings.operator_grace + 1)
    [item] = supervisor.wait("attention")["items"]
    supervisor.open_key(item["conv"], item["sealed_key"], item["desk_key"])
    carol = clients.login("carol", carol_pw)
    supervisor.transfer(person.conv, "carol", "Bob is away; please take over.")
    frame = carol.wait("conversation", conv=person.conv)
    assert carol.decrypt_note(person.conv, frame["handovers"][0]["note"]).startswith("Bob is")
    assert supervisor.wait("attention", items=[])
    person.wait("handover")


def test_a_conversation_idle_for_hours_stays_open_and_deliverable(live_server, clients):
    op = clients.login("alice", live_server.password)
    person = clients.accepted(op)
    person.close()
    op.wait("presence", conv=person.conv, person="reconnecting")
    live_server.chat.tick(time.time() + 2 * 3600)
    conv = live_server.store.get_conversation(person.conv)
    assert (conv.state, conv.person) == ("active", "gone")
    # The operator writes; the person comes back later and reads it.
    seq = op.send(person.conv, "still here for you")
    back = clients.resume(person.token, person.key)
    got = back.receive()
    assert (got.seq, got.text) == (seq, "still here for you")
    back.send("thank you")
    assert op.receive().text == "thank you"
    back.close()


def test_idle_closing_waits_for_idle_close_hours(live_server, clients):
    op = clients.login("alice", live_server.password)
    person = clients.accepted(op)
    person.close()
    op.wait("presence", conv=person.conv, person="reconnecting")
    hours = live_server.settings.idle_close_hours
    live_server.chat.tick(time.time() + (hours - 1) * 3600)
    assert live_server.store.get_conversation(person.conv).state == "active"
    live_server.chat.tick(time.time() + hours * 3600 + 60)
    assert op.wait("closed", conv=person.conv)["outcome"] == "person_left"


def test_retention_purges_closed_conversations_and_leaves_no_content(live_server, clients):
    op = clients.login("alice", live_server.password)
    person = clients.accepted(op)
    person.send("remember this")
    stored = live_server.store.messages_after(person.conv, 0)[0].body
    op.close_conversation(person.conv, "information")
    days = live_server.settings.retention_days
    live_server.chat.tick(time.time() + (days - 1) * 86400)
    assert live_server.store.get_conversation(person.conv) is not None
    live_server.chat.tick(time.time() + days * 86400 + 60)
    assert live_server.store.get_conversation(person.conv) is None
    assert live_server.store.messages_after(person.conv, 0) == []
    files = [p for p in live_server.data_dir.rglob("*") if p.is_file()]
    for path in files:
        data = path.read_bytes()
        assert stored not in data, path
        assert stored[1:25] not in data, path  # not even the nonce
        assert person.conv.encode() not in data, path


def test_pnav_purge_command(live_server, clients, capsys):
    op = clients.login("alice", live_server.password)
    person = clients.accepted(op)
    op.close_conversation(person.conv, "referral")
    assert main(["purge", "--data-dir", str(live_server.data_dir)]) == 0
    assert "purged 0 conversation(s)" in capsys.readouterr().out
    live_server.store._db.execute(  # as if it had closed long ago
        "UPDATE conversations SET closed_at = closed_at - 31 * 86400"
    )
    assert main(["purge", "--data-dir", str(live_server.data_dir)]) == 0
    assert "purged 1 conversation(s)" in capsys.readouterr().out
    assert live_server.store.get_conversation(person.conv) is None


def test_duress_is_told_to_the_operator_silently(live_server, clients):
    op = clients.login("alice", live_server.password)
    person = clients.accepted(op)
    person.send_raw(json.dumps({"v": 1, "t": "duress", "on": True}))
    assert op.wait("duress", conv=person.conv)["on"] is True
    # A console that reconnects learns it from the conversation frame.
    again = clients.login()
    assert again.wait("conversation", conv=person.conv)["duress"] is True
    again.close()
    person.send_raw(json.dumps({"v": 1, "t": "duress", "on": False}))
    assert op.wait("duress", conv=person.conv)["on"] is False
    person.send_raw(json.dumps({"v": 1, "t": "duress", "on": "yes"}))
    assert person.wait("error")["code"] == "malformed"
    person.send("still here")
    assert op.receive().text == "still here"
