"""The operators' floor on the server (issue 12): a clean queue, the psychologist, help
calls, the console's own settings, who is on duty.

Time is simulated: the tests call ``chat.tick(now)`` with a clock of their own.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pnav.sdk.client import ClientError, OperatorClient, PersonClient
from pnav.sdk.opening_hours import DAYS, OpeningHours
from pnav.server import create_app
from pnav.server.operators.desk import enrol_operator
from pnav.server.operators.duty import duty, next_opening
from pnav.server.settings import Settings, SettingsError
from pnav.server.stores.sqlite.store import SQLiteStore
from tests.conftest import FAST, Clients, LiveServer


def _queue(op: OperatorClient, expect: list[str]) -> list[dict[str, Any]]:
    """Wait for the queue frame listing exactly ``expect`` (in this order)."""
    deadline = time.monotonic() + 10
    while True:
        items = op.wait("queue", timeout=max(0.1, deadline - time.monotonic()))["items"]
        if [i["conv"] for i in items] == expect:
            return list(items)


def test_a_person_who_left_leaves_the_queue_and_returns_to_their_place(
    live_server: LiveServer, clients: Clients
) -> None:
    op = clients.login()
    first = clients.person()
    code = first.create_resume_code()
    second = clients.person()
    items = _queue(op, [first.conv, second.conv])
    assert [i["person"] for i in items] == ["connected", "connected"]
    first.close()
    items = _queue(op, [first.conv, second.conv])  # still there: the connection was lost
    assert items[0]["person"] == "reconnecting"
    gone_after = live_server.settings.person_gone_after
    live_server.chat.tick(time.time() + gone_after - 5)
    assert [c.id for c in live_server.store.waiting_conversations()] == [first.conv, second.conv]
    live_server.chat.tick(time.time() + gone_after + 1)
    _queue(op, [second.conv])  # left before an answer
    assert live_server.store.activity(0, time.time() + 10).left_unanswered == 1
    back = clients.come_back(code)
    assert back.conv == first.conv
    items = _queue(op, [first.conv, second.conv])  # back in their original place
    assert items[0]["person"] == "connected"
    back.wait("status", state="waiting", position=1)
    assert live_server.store.activity(0, time.time() + 10).left_unanswered == 0
    for client in (op, back, second):
        client.close()


def test_a_quick_exit_while_waiting_leaves_the_queue_at_once(
    live_server: LiveServer, clients: Clients
) -> None:
    op = clients.login()
    person = clients.person(danger=True)
    _queue(op, [person.conv])
    person.quick_exit()
    _queue(op, [])
    got = live_server.store.activity(0, time.time() + 10)
    assert (got.left_unanswered, got.quick_exits) == (1, 1)
    op.close()
    person.close()


def _psychologist(live: LiveServer, clients: Clients) -> OperatorClient:
    password = live.add_operator("psy", role="psychologist")
    return OperatorClient.login(live.url, "psy", password, timing=FAST)


def test_a_psychologist_observes_and_whispers_but_never_writes(
    live_server: LiveServer, clients: Clients
) -> None:
    password = live_server.add_operator("bob")
    bob = OperatorClient.login(live_server.url, "bob", password, timing=FAST)
    person = clients.accepted(bob)
    psy = _psychologist(live_server, clients)
    psy.wait("floor")  # the floor is theirs to see
    psy.join(person.conv)
    bob.wait("observer", conv=person.conv, username="psy", on=True)
    note = psy.note(person.conv, "ask about the children", kind="whisper")
    assert note.kind == "whisper"
    assert bob.wait_note(person.conv).text == "ask about the children"
    # writing to the person: refused, the socket stays open
    with pytest.raises(ClientError) as refused:
        psy.send(person.conv, "hello from the psychologist")
    assert refused.value.code == "forbidden"
    psy.send_raw(json.dumps({"v": 1, "t": "accept", "conv": person.conv}))
    assert psy.wait("error", code="forbidden")["message"].startswith("a psychologist")
    psy.send_raw(
        json.dumps({"v": 1, "t": "transfer", "conv": person.conv, "to": "psy", "note": "x"})
    )
    psy.wait("error")
    assert [m.sender for m in live_server.store.messages_after(person.conv, 0)] == []
    held = live_server.store.get_conversation(person.conv)
    bob_account = live_server.store.find_operator("bob")
    assert held is not None and bob_account is not None and held.operator_id == bob_account.id
    # nor does routing ever give them a conversation, nor a transfer
    with pytest.raises(ClientError):
        bob.transfer(person.conv, "psy", "over to you")
    for client in (bob, psy, person):
        client.close()


def test_help_call_reaches_the_floor_and_ends_when_someone_joins(
    live_server: LiveServer, clients: Clients
) -> None:
    password = live_server.add_operator("bob")
    bob = OperatorClient.login(live_server.url, "bob", password, timing=FAST)
    person = clients.accepted(bob)
    psy = _psychologist(live_server, clients)
    alice = clients.login()  # the supervisor
    bob.send_raw(json.dumps({"v": 1, "t": "help", "conv": person.conv}))
    assert bob.wait("help_asked", conv=person.conv)["helpers"] == 2
    for helper in (psy, alice):
        call = helper.wait("help_call", conv=person.conv)
        assert (call["operator"], call["who"], call["danger"]) == ("bob", "victim", False)
        assert "body" not in call and "text" not in call
    # asked again at once: refused (a limit on what an operator creates), socket open
    bob.send_raw(json.dumps({"v": 1, "t": "help", "conv": person.conv}))
    bob.wait("error", code="rate_limited")
    # malformed or unknown: a clear error, the socket stays open
    bob.send_raw(json.dumps({"v": 1, "t": "help"}))
    bob.wait("error", code="malformed")
    bob.send_raw(json.dumps({"v": 1, "t": "help", "conv": "x" * 65}))
    bob.wait("error", code="malformed")
    bob.send_raw(json.dumps({"v": 1, "t": "help", "conv": "nope"}))
    bob.wait("error", code="no_conversation")
    # only the operator holding the conversation asks
    alice.send_raw(json.dumps({"v": 1, "t": "help", "conv": person.conv}))
    alice.wait("error", code="not_yours")
    psy.join(person.conv)
    # the floor learns who came (the asker too, while connected: the console test shows it)
    assert alice.wait("help_answered", conv=person.conv)["by"] == "psy"
    psy_id = live_server.store.find_operator("psy")
    assert psy_id is not None and live_server.store.observers(person.conv) == [psy_id.id]
    for client in (bob, psy, alice, person):
        client.close()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    settings = Settings.load(
        None, environ={}, data_dir=tmp_path / "data", public_url="https://chat.example"
    )
    store = SQLiteStore(settings.database_path)
    enrol_operator(store, "sue", secrets.token_urlsafe(12), role="supervisor")
    app = create_app(settings, store=store, maintenance=False)
    yield app
    app.extensions["pnav"].shutdown()
    store.close()


def test_console_language_is_kept_with_the_account(app: Flask, logged_in: Any) -> None:
    sue: FlaskClient = logged_in(app, "sue")
    store = app.extensions["pnav"].store
    origin = {"Origin": "https://chat.example"}
    r = sue.put("/console/api/me", json={"lang": "fr"}, headers=origin)
    assert r.status_code == 200 and r.get_json()["lang"] == "fr"
    assert store.find_operator("sue").lang == "fr"
    me = sue.get("/console/api/me").get_json()
    assert (me["lang"], me["langs"], me["danger_realert_after"]) == ("fr", ["en", "fr"], 60)
    for bad in ({"lang": "de"}, {"lang": "fr", "x": 1}, [], {"lang": 3}):
        r = sue.put("/console/api/me", json=bad, headers=origin)
        assert r.status_code == 400 and "lang" in r.get_json()["error"]
    r = sue.put("/console/api/me", data=b"x" * 5000, headers=origin)
    assert r.status_code == 413
    assert sue.put("/console/api/me", json={"lang": "en"}).status_code == 403  # no Origin
    assert (
        app.test_client().put("/console/api/me", json={"lang": "en"}, headers=origin).status_code
        == 401
    )
    assert store.find_operator("sue").lang == "fr"
    # kept: the next login says so
    assert (
        sue.put("/console/api/me", json={"lang": None}, headers=origin).get_json()["lang"] is None
    )


def test_duty_says_closed_nobody_or_open_and_when_it_opens() -> None:
    paris = ZoneInfo("Europe/Paris")
    hours = OpeningHours.parse("Mo-Fr 08:00-20:00", "Europe/Paris")
    saturday = dt.datetime(2026, 12, 5, 12, 0, tzinfo=paris)
    monday = dt.datetime(2026, 12, 7, 9, 0, tzinfo=paris)
    closed = duty(hours, True, saturday)
    assert (closed.open, closed.reason) == (False, "closed")
    assert closed.opens == dt.datetime(2026, 12, 7, 8, 0, tzinfo=paris)
    assert closed.frame()["opens"] == "2026-12-07T08:00+01:00"
    assert duty(hours, False, monday).reason == "nobody"
    assert duty(hours, True, monday).open is True
    always = OpeningHours.parse("24/7")
    assert duty(always, False, monday).reason == "nobody"
    assert next_opening(always, monday) is None


def test_service_settings_are_checked(tmp_path: Any) -> None:
    with pytest.raises(SettingsError, match="service_hours"):
        Settings.load(None, environ={}, data_dir=tmp_path, service_hours="Mo 25:00-26:00")
    with pytest.raises(SettingsError, match="time zone"):
        Settings.load(None, environ={}, data_dir=tmp_path, service_timezone="Mars/Olympus")
    with pytest.raises(SettingsError, match="when_nobody_on_duty"):
        Settings.load(None, environ={}, data_dir=tmp_path, when_nobody_on_duty="maybe")
    env = {"PNAV_SERVICE_HOURS": "Mo-Fr 08:00-20:00", "PNAV_DANGER_REALERT_AFTER": "30"}
    settings = Settings.load(None, environ=env, data_dir=tmp_path)
    assert (settings.service_hours, settings.danger_realert_after) == ("Mo-Fr 08:00-20:00", 30)


def _closed_today() -> str:
    """Hours open only on another day than today (in Paris): closed now."""
    today = dt.datetime.now(ZoneInfo("Europe/Paris")).weekday()
    return f"{DAYS[(today + 3) % 7]} 08:00-09:00"


def test_outside_the_service_hours_no_conversation_is_made(live_server_with: Any) -> None:
    live = live_server_with(service_hours=_closed_today())
    service = _get(live.url + "/api/service")
    assert service["open"] is False and service["reason"] == "closed"
    with pytest.raises(ClientError) as refused:
        PersonClient.start(live.url, "demo", live.origin, timing=FAST)
    assert refused.value.code == "service_closed"
    assert live.store.activity(0, time.time() + 10).started == 0


def test_nobody_connected_is_told_in_the_ticket(live_server_with: Any) -> None:
    live = live_server_with(when_nobody_on_duty="tell")
    request = urllib.request.Request(
        live.url + "/api/ticket",
        data=json.dumps({"partner": "demo"}).encode(),
        headers={"Origin": live.origin, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as r:
        ticket = json.loads(r.read())
    assert ticket["service"] == {"open": False, "reason": "nobody", "opens": None, "hours": "24/7"}
    op = OperatorClient.login(live.url, live.operator, live.password, timing=FAST)
    op.wait("queue")
    assert _get(live.url + "/api/service")["open"] is True
    op.close()


def _get(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as r:
        data: dict[str, Any] = json.loads(r.read())
        return data
