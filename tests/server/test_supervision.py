"""Supervision (issue 6): the floor, joining a conversation with its operator's
knowledge, whispers, taking over, and per-operator capacity."""

from __future__ import annotations

import itertools
import json
import secrets
import time
from pathlib import Path
from unittest.mock import ANY

import pytest

from pnav.sdk.client import ClientError, OperatorClient, PersonClient, Timing
from pnav.sdk.router import LeastLoadedRouter
from pnav.sdk.testing import ServerProcess
from pnav.server.chat import supervision as supervision_module
from pnav.server.chat.supervision import FLOOR_EVERY
from pnav.server.operators.desk import enrol_operator
from pnav.server.stores.postgres.store import PostgresStore

FAST = Timing(ping_every=0.5, dead_after=2, min_delay=0.05, max_delay=0.5)


def _operator(floor: dict, username: str) -> dict:
    [op] = [o for o in floor["operators"] if o["username"] == username]
    return op


def _oldest_waiting(live_server) -> int:
    [conv] = live_server.store.waiting_conversations()
    return int(conv.created_at * 1000)


@pytest.fixture
def desk(live_server, clients):
    """bob (an operator) holds a conversation; alice (the supervisor) is logged in."""
    bob = clients.login("bob", live_server.add_operator("bob"))
    person = clients.accepted(bob)
    alice = clients.login()
    return alice, bob, person


def test_an_operator_cannot_supervise(live_server, clients, desk):
    _alice, bob, person = desk
    for frame in (
        {"t": "join", "conv": person.conv},
        {"t": "leave", "conv": person.conv},
        {"t": "capacity", "operator": "bob", "capacity": 5},
    ):
        bob.send_raw(json.dumps({"v": 1, **frame}))
        error = bob.wait("error")
        assert error["code"] == "forbidden"
        assert "supervisors" in error["message"]
    assert live_server.store.observers(person.conv) == []
    assert live_server.store.find_operator("bob").capacity is None


def test_joining_tells_the_operator_and_the_supervisor_reads_along(live_server, clients, desk):
    alice, bob, person = desk
    person_frames = clients.record(person)
    person.send("before the supervisor came")
    assert bob.receive().text == "before the supervisor came"

    frame = alice.join(person.conv)
    assert (frame["operator"], frame["observing"], frame["observers"]) == ("bob", True, ["alice"])
    assert alice.receive().text == "before the supervisor came"  # the history
    told = bob.wait("observer", conv=person.conv)
    assert (told["username"], told["on"]) == ("alice", True)

    person.send("now")
    assert bob.receive().text == "now"
    assert alice.receive().text == "now"
    bob.send(person.conv, "I am here")
    assert alice.receive(sender="operator").text == "I am here"
    assert person.receive().text == "I am here"

    # Writing to the person stays the operator's job.
    with pytest.raises(ClientError) as err:
        alice.send(person.conv, "hello from the supervisor", timeout=3)
    assert err.value.code == "not_yours"
    # The person was told nothing of it.
    assert not [f for f in person_frames if f.get("t") not in ("msg", "ack", "status")]
    assert live_server.store.observers(person.conv) == [alice.operator["id"]]


def test_the_observer_gets_the_conversation_after_reconnecting(live_server, clients, desk):
    alice, bob, person = desk
    alice.join(person.conv)
    alice.drop()  # the link comes back by itself, and catches up
    person.send("while the supervisor's network was down")
    assert bob.receive().text == "while the supervisor's network was down"
    assert alice.receive().text == "while the supervisor's network was down"
    alice.close()

    person.send("while the supervisor was logged out")
    again = clients.login()
    frame = again.wait("conversation", conv=person.conv)
    assert frame["observing"] is True
    texts = [again.receive().text, again.receive().text]
    assert texts == [
        "while the supervisor's network was down",
        "while the supervisor was logged out",
    ]


def test_a_whisper_reaches_the_operator_and_never_the_person(live_server, clients, desk):
    alice, bob, person = desk
    canary = f"canary-whisper-{secrets.token_hex(8)}"
    person_frames = clients.record(person)
    alice.join(person.conv)
    whisper = alice.note(person.conv, canary, kind="whisper")
    got = bob.wait_note(person.conv)
    assert (got.author, got.kind, got.text, got.cid) == ("alice", "whisper", canary, whisper.cid)
    answer = bob.note(person.conv, "Thanks, will do.")
    assert alice.wait_note(person.conv) == answer

    person.send("are you still there?")
    assert bob.receive().text == "are you still there?"
    bob.send(person.conv, "yes")
    assert person.receive().text == "yes"
    assert not [f for f in person_frames if f.get("t") not in ("msg", "ack", "status")]
    assert canary.encode() not in live_server.stored_bytes()


def test_leaving_stops_the_frames(live_server, desk):
    alice, bob, person = desk
    alice.join(person.conv)
    bob.wait("observer", conv=person.conv, on=True)
    alice.leave(person.conv)
    told = bob.wait("observer", conv=person.conv, on=False)
    assert told["username"] == "alice"
    assert live_server.store.observers(person.conv) == []
    person.send("just us")
    assert bob.receive().text == "just us"
    bob.note(person.conv, "after the supervisor left")
    alice.settle()  # what the server had for alice has arrived: neither of them
    assert (alice.unread("msg"), alice.unread("note")) == ([], [])


def test_a_supervisor_takes_over_with_a_note(live_server, clients, desk):
    alice, bob, person = desk
    dan = clients.login("dan", live_server.add_operator("dan", role="supervisor"))
    alice.join(person.conv)
    dan.join(person.conv)
    person.send("it is getting worse")
    assert alice.receive().text == "it is getting worse"

    told = alice.transfer(person.conv, "alice", "Taking over: bob has to leave.")
    assert told["to"] == "alice"
    assert bob.wait("transferred", conv=person.conv)["to"] == "alice"
    frame = alice.wait("conversation", conv=person.conv, observing=False)
    assert (frame["operator"], frame["observers"]) == ("alice", ["dan"])
    [handover] = frame["handovers"]
    assert (handover["from"], handover["to"]) == ("alice", "alice")
    assert alice.decrypt_note(person.conv, handover["note"]).startswith("Taking over")
    person.wait("handover")
    # dan observes on, now alice's conversation.
    assert dan.wait("conversation", conv=person.conv, operator="alice")["observing"] is True
    alice.send(person.conv, "I am taking over from my colleague.")
    assert person.receive().text == "I am taking over from my colleague."
    assert dan.receive(sender="operator").text == "I am taking over from my colleague."
    with pytest.raises(ClientError) as err:
        bob.send(person.conv, "still mine?", timeout=3)
    assert err.value.code == "not_yours"
    assert live_server.store.observers(person.conv) == [dan.operator["id"]]


def test_closing_ends_the_observation(live_server, clients, desk):
    alice, bob, person = desk
    alice.join(person.conv)
    bob.close_conversation(person.conv, "referral")
    assert alice.wait("closed", conv=person.conv)["outcome"] == "referral"
    with pytest.raises(ClientError) as err:
        alice.join(person.conv)
    assert err.value.code == "closed"
    alice.close()
    again = clients.login()
    again.wait("floor")
    assert person.conv not in again.keys  # not announced any more


def test_the_floor_shows_queue_operators_and_danger_without_text(live_server, clients, desk):
    alice, bob, person = desk
    floor = alice.wait("floor")
    assert _operator(floor, "bob")["active"] == 1
    waiting = clients.person(danger=True)
    floor = alice.wait(
        "floor", queue={"count": 1, "danger": 1, "oldest": _oldest_waiting(live_server)}
    )
    canary = f"canary-{secrets.token_hex(8)}"
    person.send(canary)
    bob.receive()
    live_server.chat.tick()
    floor = alice.wait("floor", queue=floor["queue"])
    bob_row = _operator(floor, "bob")
    [held] = bob_row["conversations"]
    assert (held["conv"], held["danger"], held["what"]) == (person.conv, False, "domestic")
    assert held["unanswered_since"] is not None
    assert (bob_row["connected"], bob_row["capacity"], bob_row["at_capacity"]) == (
        True,
        None,
        False,
    )
    assert canary not in json.dumps(floor)
    bob.accept(waiting.conv)
    floor = alice.wait("floor", queue={"count": 0, "danger": 0, "oldest": None})
    assert _operator(floor, "bob")["danger"] == 1
    # Only supervisors get the floor.
    bob.settle()
    assert bob.unread("floor") == []


def test_capacity_is_respected_by_least_loaded_routing(live_server, clients, desk):
    alice, bob, _person = desk  # bob holds one conversation already
    live_server.chat.routing.router = LeastLoadedRouter(capacity=3)
    floor = alice.set_capacity("bob", 1)
    assert _operator(floor, "bob")["at_capacity"] is True
    assert floor["default_capacity"] == 3
    alice.set_capacity("alice", 1)
    people = [clients.person() for _ in range(3)]
    assert live_server.chat.routing.route() == 1  # alice's one; bob is full
    alice.wait("conversation", conv=people[0].conv)
    assert [c.id for c in live_server.store.waiting_conversations()] == [p.conv for p in people[1:]]
    floor = alice.set_capacity("bob", None)  # back to the default, 3
    assert _operator(floor, "bob")["limit"] == 3
    assert live_server.chat.routing.route() == 2
    assert {bob.wait("conversation")["conv"], bob.wait("conversation")["conv"]} == {
        p.conv for p in people[1:]
    }
    # Manual accept ignores capacity.
    alice.set_capacity("bob", 1)
    extra = clients.person()
    bob.accept(extra.conv)
    for bad, code in ((0, "malformed"), (True, "malformed"), ("2", "malformed")):
        alice.send_raw(json.dumps({"v": 1, "t": "capacity", "operator": "bob", "capacity": bad}))
        assert alice.wait("error")["code"] == code
    alice.send_raw(json.dumps({"v": 1, "t": "capacity", "operator": "nobody", "capacity": 2}))
    assert alice.wait("error")["code"] == "no_operator"
    assert live_server.store.find_operator("bob").capacity == 1


# ---------------------------------------------------------------- two processes


@pytest.fixture
def two_processes(tmp_path: Path, postgres_dsn: str, scale_out_env: dict[str, str]):
    store = PostgresStore(postgres_dsn)
    passwords = {name: secrets.token_urlsafe(12) for name in ("alice", "bob")}
    fast_kdf = {"kdf_ops": 1, "kdf_mem": 8 << 20}
    enrol_operator(store, "alice", passwords["alice"], role="supervisor", **fast_kdf)
    enrol_operator(
        store, "bob", passwords["bob"], unlock_with=("alice", passwords["alice"]), **fast_kdf
    )
    store.close()
    env = scale_out_env
    procs = [ServerProcess(tmp_path / name, env=env) for name in ("a", "b")]
    for proc in procs:
        proc.start()
    yield procs, passwords
    for proc in procs:
        proc.stop()


def test_supervision_across_processes(two_processes):
    (a, b), passwords = two_processes
    person = PersonClient.start(a.url, "demo", "http://partner.test", timing=FAST)
    bob = OperatorClient.login(a.url, "bob", passwords["bob"], timing=FAST)
    bob.accept(person.conv)
    alice = OperatorClient.login(b.url, "alice", passwords["alice"], timing=FAST)
    alice.join(person.conv)  # on process B; bob and the person are on A
    assert bob.wait("observer", conv=person.conv)["username"] == "alice"
    person.send("across")
    assert alice.receive(timeout=20).text == "across"
    alice.note(person.conv, "a word", kind="whisper")
    assert bob.wait_note(person.conv, timeout=20).text == "a word"
    bob.send(person.conv, "ok")
    assert alice.receive(timeout=20, sender="operator").text == "ok"
    alice.drop()
    person.send("after the drop")
    assert alice.receive(timeout=20).text == "after the drop"
    for client in (alice, bob, person):
        client.close()


def test_the_floor_is_built_at_most_every_floor_every_seconds(live_server, clients, monkeypatch):
    """Changes that come together cost one build at the end of the pace's interval, and
    it shows them all; a supervisor who asks (``force_to``) is answered at once."""
    alice = clients.login()
    alice.wait("floor")
    builds: list[float] = []
    build = supervision_module.floor_frame

    def counted(*args):
        builds.append(time.monotonic())
        return build(*args)

    monkeypatch.setattr(supervision_module, "floor_frame", counted)
    supervision = live_server.chat.supervision
    time.sleep(FLOOR_EVERY)  # the last build is older than the interval
    supervision.refresh_floor()
    assert len(builds) == 1  # at once
    people = []
    for _ in range(5):  # five queue changes within the interval
        people.append(clients.person())
        supervision.refresh_floor()
    floor = alice.wait("floor", queue={"count": 5, "danger": 0, "oldest": ANY}, timeout=10)
    assert floor["queue"]["count"] == 5
    time.sleep(2 * FLOOR_EVERY)
    # The first build, then at most one per interval for the burst (it lasted longer
    # than one interval if opening five chats did).
    assert all(b - a >= FLOOR_EVERY * 0.9 for a, b in itertools.pairwise(builds))
    assert len(builds) <= 2 + (builds[-1] - builds[0]) / FLOOR_EVERY
    asked = len(builds)
    supervision.refresh_floor()  # the interval has passed: at once
    assert len(builds) == asked + 1
    supervision.refresh_floor()  # within it: scheduled for its end
    assert len(builds) == asked + 1
    conn = next(iter(live_server.chat.hub._supervisors))
    supervision.refresh_floor(force_to=conn)  # a supervisor asked: at once
    assert len(builds) == asked + 2
    for person in people:
        person.close()
