"""Abuse limits on a live server: single-use tickets with their proof of work, the
per-address and per-conversation limits, bulk closing as abuse (issue 15, item 3)."""

from __future__ import annotations

import json

import pytest
from fakes.person_socket import Raw, hello, ticket

from pnav.sdk import crypto
from pnav.sdk.client import ClientError
from pnav.sdk.client.person import solve_proof_of_work
from pnav.sdk.store import NewConversation
from pnav.server.ops import metrics


def test_one_ticket_starts_at_most_one_conversation(live_server):
    info = ticket(live_server)
    solved = solve_proof_of_work(info["pow"])
    first = Raw(live_server)
    assert first.ask(hello(info, pow=solved))["t"] == "welcome"
    again = Raw(live_server)
    refused = again.ask(hello(info, pow=solved))
    assert (refused["t"], refused["code"]) == ("error", "bad_ticket")
    assert "already used" in refused["message"]
    assert len(live_server.store.waiting_conversations()) == 1
    first.close()
    again.close()


def test_a_new_conversation_needs_the_tickets_own_proof_of_work(live_server):
    info, other = ticket(live_server), ticket(live_server)
    raw = Raw(live_server)
    for pow_ in (None, {"number": 2**63}, solve_proof_of_work(other["pow"])):
        refused = raw.ask(hello(info, pow=pow_))
        assert (refused["t"], refused["code"]) == ("error", "bad_pow")
        assert raw.still_open()
    # A refused proof does not use the ticket up.
    assert raw.ask(hello(info, pow=solve_proof_of_work(info["pow"])))["t"] == "welcome"
    raw.close()


def test_conversations_per_address_stop_at_the_limit_with_a_clear_error(live_server_with):
    server = live_server_with(conversations_per_address_per_hour=3)
    sockets = []
    for _ in range(3):
        info = ticket(server)
        sockets.append(Raw(server))
        assert sockets[-1].ask(hello(info, pow=solve_proof_of_work(info["pow"])))["t"] == "welcome"
    info = ticket(server)
    raw = Raw(server)
    refused = raw.ask(hello(info, pow=solve_proof_of_work(info["pow"])))
    assert refused["code"] == "rate_limited"
    assert refused["limit"] == "conversations_per_address"
    assert 0 < refused["retry_after"] <= 3600
    assert raw.still_open()
    assert len(server.store.waiting_conversations()) == 3
    for s in [*sockets, raw]:
        s.close()


def test_tickets_per_address_answer_429(live_server_with):
    server = live_server_with(tickets_per_address_per_minute=2)
    label = {"rule": "tickets_per_address"}
    before = metrics.PROCESS.get_sample_value("pnav_limits_refused_total", label) or 0.0
    ticket(server)
    ticket(server)
    with pytest.raises(ClientError) as err:
        ticket(server)
    assert "429" in str(err.value) and "try again in" in str(err.value)
    # counted once, by rule (pnav/server/web/person_guard.py refused)
    assert metrics.PROCESS.get_sample_value("pnav_limits_refused_total", label) == before + 1


def test_a_message_flood_stops_at_its_limit_and_loses_nothing_before(live_server_with, clients_of):
    server = live_server_with(messages_per_conversation_per_minute=5)
    clients = clients_of(server)
    op = clients.login()
    person = clients.accepted(op)
    sent = [person.send(f"m{i}") for i in range(5)]
    assert [op.receive().text for _ in sent] == [f"m{i}" for i in range(5)]
    frames = clients.record(person)
    raw = {"v": 1, "t": "msg", "id": "flood-1", "body": crypto.b64encode(b"\x01" + b"x" * 60)}
    person.send_raw(json.dumps(raw))
    refused = person.wait("error", code="rate_limited")
    assert refused["id"] == "flood-1" and refused["limit"] == "messages_per_conversation"
    assert any(f.get("code") == "rate_limited" for f in frames)
    person.close()
    op.close()


def test_a_resume_code_burst_is_limited_per_address_only(live_server_with):
    server = live_server_with(resume_codes_per_address_per_hour=3)
    salt = crypto.b64decode(server.chat.resume.params()["salt"])
    codes = []
    for _ in range(4):
        raw = Raw(server)
        keys = crypto.derive_resume_keys(crypto.new_resume_code(), salt, 1, 8 << 20)
        answer = raw.ask({"t": "hello", "code": {"lookup": crypto.b64encode(keys.lookup)}})
        codes.append(answer["code"])
        assert raw.still_open()
        raw.close()
    assert codes == ["bad_code", "bad_code", "bad_code", "rate_limited"]


def test_a_lookup_id_already_taken_is_an_error_frame_not_a_dead_socket(live_server):
    lookup = crypto.b64encode(bytes(range(32)))
    wrapped = crypto.b64encode(b"\x01" + bytes(24 + 16 + 32))
    register = {"t": "resume_code", "lookup": lookup, "wrapped_key": wrapped}
    people = []
    for _ in range(2):
        info = ticket(live_server)
        people.append(Raw(live_server))
        welcome = people[-1].ask(hello(info, pow=solve_proof_of_work(info["pow"])))
        assert welcome["t"] == "welcome"
    first, second = people
    assert first.ask(register) == {"v": 1, "t": "resume_code", "saved": True}
    refused = second.ask(register)
    assert (refused["t"], refused["code"]) == ("error", "code_taken")
    assert second.still_open()
    for p in people:
        p.close()


def test_a_supervisor_clears_400_fakes_in_one_action(live_server, clients):
    store = live_server.store
    desk = store.current_desk_key()
    fakes = [
        store.create_conversation(
            NewConversation("demo", "victim", "domestic", True, "fr", bytes(105), desk.id)
        ).id
        for _ in range(400)
    ]
    real = clients.person()
    supervisor = clients.login()
    assert len(supervisor.wait_queue(real.conv)) == 401
    supervisor._link.send({"t": "close_abuse", "convs": fakes})
    answer = supervisor.wait("closed_abuse", timeout=30)
    assert len(answer["closed"]) == 400 and answer["skipped"] == 0
    queue = supervisor.wait_queue(timeout=30)
    assert [item["conv"] for item in queue] == [real.conv]
    assert [c.id for c in store.waiting_conversations()] == [real.conv]
    assert all(store.get_conversation(c).outcome == "abuse" for c in fakes[:5])


def test_closing_as_abuse_never_closes_one_just_taken(live_server, clients, monkeypatch):
    """An operator in another process takes the conversation while the supervisor's
    close is under way, after any read it makes and before its write: the conversation
    stays with that operator, counted as skipped."""
    store = live_server.store
    operator_id = store.find_operator("alice").id
    fake = clients.person()
    supervisor = clients.login()
    supervisor.wait_queue(fake.conv)
    taken: list[bool] = []

    def take() -> None:  # the other process's accept, at most once
        if not taken:
            taken.append(store.assign(fake.conv, operator_id))

    def after_reading(method):
        def wrapped(conv_id, *args):
            result = method(conv_id, *args)
            if conv_id == fake.conv:
                take()
            return result

        return wrapped

    def before_writing(method):
        def wrapped(conv_id, *args):
            if conv_id == fake.conv:
                take()
            return method(conv_id, *args)

        return wrapped

    monkeypatch.setattr(store, "get_conversation", after_reading(store.get_conversation))
    for name in ("close_conversation", "close_waiting_conversation"):
        monkeypatch.setattr(store, name, before_writing(getattr(store, name)))
    supervisor._link.send({"t": "close_abuse", "convs": [fake.conv]})
    answer = supervisor.wait("closed_abuse", timeout=30)
    monkeypatch.undo()
    assert taken == [True]
    assert answer["closed"] == [] and answer["skipped"] == 1
    got = store.get_conversation(fake.conv)
    assert (got.state, got.operator_id, got.outcome) == ("active", operator_id, None)
    fake.close()


def test_closing_as_abuse_is_for_supervisors_and_bounded(live_server_with, clients_of):
    server = live_server_with(abuse_close_max=2)
    operator_pw = server.add_operator("olga")
    olga = clients_of(server).login("olga", operator_pw)
    olga._link.send({"t": "close_abuse", "convs": ["a"]})
    assert olga.wait("error", code="forbidden")
    boss = clients_of(server).login()
    boss._link.send({"t": "close_abuse", "convs": ["a", "b", "c"]})
    assert "1 to 2" in boss.wait("error", code="malformed")["message"]


def test_the_memory_storage_expires_old_windows_every_few_seconds() -> None:
    # limiter._MemoryStorage replaces a private method of limits' MemoryStorage (its
    # expiry, re-armed every 10 ms by every hit, took a third of a loaded worker). A
    # limits release that renames it would silently bring the cost back: fail instead.
    from limits.storage import MemoryStorage

    from pnav.server.abuse.limiter import _MemoryStorage

    assert hasattr(MemoryStorage, "_MemoryStorage__schedule_expiry")
    assert hasattr(MemoryStorage, "_MemoryStorage__expire_events")
    storage = _MemoryStorage()
    storage.timer.cancel()  # the one its constructor starts (10 ms)
    storage.timer.join()
    storage.incr("k", 60)
    assert storage.timer.is_alive()
    assert storage.timer.interval == _MemoryStorage.EXPIRE_EVERY
    storage.timer.cancel()
