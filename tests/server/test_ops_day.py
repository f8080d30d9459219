"""A scripted day on a live server (issue 18): real Python clients, real casework
fakes (a webhook centre that fails, a webhook report receiver, a LibreTranslate), then

- every label value the metrics produced is one of the fixed, anonymous sets, and no
  conversation id, username, language, partner, address or token appears anywhere in
  the exposition;
- the whole day's log, plain and JSON, holds no message body (plaintext or
  ciphertext), no IP address, no user agent and no token; every JSON line has a
  stable event and a level; messages add no INFO line;
- the failing emergency webhook raised the supervisors' alarm, the failure metric and
  the log event, and a dispatch that got through cleared it.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

import pytest
from fakes.libretranslate import FakeLibreTranslate
from fakes.webhook import FakeWebhook
from prometheus_client.parser import text_string_to_metric_families

from pnav.sdk import crypto
from pnav.sdk.client import ClientError, OperatorClient
from pnav.server.ops import metrics
from pnav.server.ops.logs import JsonFormatter

SECRET = "a webhook secret of enough length"
TOKEN = secrets.token_urlsafe(24)
WEBHOOK = {"secret": SECRET, "attempts": 2, "backoff": 0.01, "timeout": 2}
ADDRESS = "12 rue des Lilas"
DANGER = "Her partner threatens her with a knife"
FACTS = "Repeated blows since March, witnessed by the neighbour"

# Each label and the only values it may take (bucket bounds are numbers).
ALLOWED = {
    "reason": metrics.REFUSAL_REASONS | {"other"},
    "kind": set(metrics.ALARM_KINDS) | {"person", "console", "other"},
    "sender": {"person", "operator", "other"},
    "to": {"person", "operator", "other"},
    "result": {
        "sent",
        "acknowledged",
        "failed",
        "refused",
        "translated",
        "unknown_language",
        "disabled",
        "empty",
        "same_language",
        "timeout",
        "error",
        "malformed",
        "unavailable",
        "matched",
        "wrong",
        "rate_limited",
        "other",
    },
    "role": {"operator", "supervisor", "psychologist"},
    "check": set(metrics.CHECKS),
    "rule": metrics.LIMIT_RULES | {"other"},
}


@pytest.fixture
def fakes() -> Iterator[dict[str, Any]]:
    centre = FakeWebhook(SECRET.encode()).start()
    receiver = FakeWebhook(SECRET.encode()).start()
    translator = FakeLibreTranslate().start()
    yield {"centre": centre, "receiver": receiver, "translator": translator}
    for fake in (centre, receiver, translator):
        fake.stop()


@pytest.fixture
def json_log(tmp_path: Path) -> Iterator[Path]:
    """The same day, also written as JSON lines (what ``--log-format json`` writes)."""
    path = tmp_path / "server.jsonl"
    handler = logging.FileHandler(path)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(JsonFormatter())
    logging.getLogger().addHandler(handler)
    yield path
    logging.getLogger().removeHandler(handler)
    handler.close()


def console_post(op: OperatorClient, url: str, path: str, body: dict[str, Any]) -> Any:
    """What the console page does: a same-origin POST with the session cookie."""
    headers = {**(op._link.headers or {}), "Content-Type": "application/json"}
    request = Request(url + path, json.dumps(body).encode(), headers)
    with urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def scrape(url: str) -> str:
    request = Request(url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    with urlopen(request, timeout=10) as answer:
        return bytes(answer.read()).decode()


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    return [
        (s.name, s.labels, s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]


def value(text: str, name: str, **labels: str) -> float:
    return sum(v for n, lab, v in samples(text) if n == name and labels.items() <= lab.items())


def emergency(conv: str, **extra: Any) -> dict[str, Any]:
    return {
        "conversation": conv,
        "location": {
            "address": ADDRESS,
            "postal_code": "35000",
            "commune_code": "",
            "city": "Rennes",
            "details": "",
        },
        "danger": DANGER,
        "people_at_risk": "The person",
        "callback": "",
        **extra,
    }


def report(conv: str) -> dict[str, Any]:
    return {
        "conversation": conv,
        "facts": FACTS,
        "first_date": "2024-03-02",
        "last_date": "2024-05-05",
        "dates": "",
        "place": {"address": "", "postal_code": "35000", "city": "Rennes", "details": ""},
        "people": [{"role": "victim", "description": "the person"}],
        "consent": True,
        "contact": "",
    }


def info_lines(path: Path) -> int:
    return sum(" INFO " in line for line in path.read_text().splitlines())


def test_a_scripted_day_names_no_one_in_metrics_or_logs(
    live_server_with: Any, clients_of: Any, fakes: dict[str, Any], json_log: Path
) -> None:
    centre, receiver, libre = fakes["centre"], fakes["receiver"], fakes["translator"]
    centre.script = [(503, {"error": "busy"})] * 2  # the first emergency fails both tries
    live = live_server_with(
        metrics_path="/metrics",
        metrics_token=TOKEN,
        health_every=1,
        directory_options={"sample": True},
        dispatcher="webhook",
        dispatcher_options={"url": centre.url, **WEBHOOK},
        report_sink="webhook",
        report_sink_options={"url": receiver.url, **WEBHOOK},
        translator="libretranslate",
        translator_options={"url": libre.url},
    )
    clients = clients_of(live)
    supervisor = clients.login()  # alice is the supervisor
    bob_password = live.add_operator("bob")
    bob = clients.login("bob", bob_password)

    # -- a person in danger, taken by bob, talking in Spanish -----------------------
    person = clients.person(danger=True, lang="es", who="victim", what="domestic")
    bob.wait_queue(person.conv)
    bob.accept(person.conv)
    person.wait("status", state="active")
    texts = ["Necesito ayuda", "Estoy en casa con él", "Tengo miedo"]
    before = info_lines(live.log_path)
    for text in texts:
        person.send(text)
        assert bob.receive().text == text
    for i in range(10):
        bob.send(person.conv, f"Je suis là, réponse {i}")
        person.receive()
    assert info_lines(live.log_path) == before, "a message wrote an INFO line"
    translated = console_post(
        bob, live.url, "/console/api/translate", {"text": texts[0], "target": "fr", "source": "es"}
    )
    assert translated["translated"] is True

    # -- hostile frames: refused with a reason, the socket carries on --------------
    person.send_raw("{not json")
    assert person.wait("error", code="malformed")
    person.send_raw(json.dumps({"v": 1, "t": "shout"}))
    assert person.wait("error", code="unknown_type")

    # A request the HTTP server itself refuses (werkzeug logs those with the address).
    host, port = live.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(b"NONSENSE /?token=" + TOKEN.encode() + b" HTTP/9\r\n\r\n")
        assert b"400" in raw.recv(4096)

    # -- the emergency fails after its retries: every supervisor is told -----------
    failed = console_post(bob, live.url, "/console/api/emergency", emergency(person.conv))
    assert failed["status"] == "failed"
    alarm = supervisor.wait("alarm", alarm="dispatch_failed", on=True)
    assert alarm["count"] == 1 and alarm["since"] > 0
    assert value(scrape(live.url), "pnav_dispatches_total", result="failed") >= 1
    assert value(scrape(live.url), "pnav_alarm", kind="dispatch_failed") == 1
    # bob is an operator, not a supervisor: the alarm is the floor's
    with pytest.raises(ClientError):
        bob.wait("alarm", timeout=0.5)
    # A supervisor who connects now sees the alarm that is up.
    late = clients.login()
    assert late.wait("alarm", alarm="dispatch_failed", on=True)["count"] == 1
    again = console_post(
        bob, live.url, "/console/api/emergency", emergency(person.conv, id=failed["id"])
    )
    assert again["status"] == "acknowledged"
    assert supervisor.wait("alarm", alarm="dispatch_failed", on=False)
    assert value(scrape(live.url), "pnav_alarm", kind="dispatch_failed") == 0
    filed = console_post(bob, live.url, "/console/api/report", report(person.conv))
    assert filed["status"] == "acknowledged"

    # -- a resume code: set, a wrong one, then back with the right one -------------
    code = person.create_resume_code()
    person.quick_exit()
    person.close()
    with pytest.raises(ClientError):
        clients.come_back(crypto.new_resume_code())  # a code nobody made
    back = clients.come_back(code)
    back.send("De vuelta")
    assert bob.receive().text == "De vuelta"

    # -- a second person waits while nobody is free; the danger one goes unanswered -
    waiting = clients.person(danger=True, lang="uk", who="relative", what="other")
    bob.wait_queue(waiting.conv)
    reading = live.app.extensions["pnav"].ops.floor_round(time.time() + 3600)
    assert reading.danger_overdue >= 1
    assert supervisor.wait("alarm", alarm="danger_unanswered", on=True)["count"] >= 1
    bob.close_conversation(person.conv, "referral")

    # -- the metrics of that day ----------------------------------------------------
    deadline = time.monotonic() + 10
    while value(scrape(live.url), "pnav_conversations_waiting") != 1:  # next check round
        assert time.monotonic() < deadline, "the floor gauges never caught up"
        time.sleep(0.1)
    text = scrape(live.url)
    for name, labels, _ in samples(text):
        for label, label_value in labels.items():
            if label == "le":
                float(label_value)  # a bucket bound: a number
                continue
            assert label in ALLOWED, f"{name} has an unexpected label {label}"
            assert label_value in ALLOWED[label], f"{name}{{{label}={label_value!r}}}"
    expected = {
        "pnav_messages_stored_total": {"sender": "person"},
        "pnav_messages_relayed_total": {"to": "operator"},
        "pnav_frames_refused_total": {"reason": "malformed"},
        "pnav_sockets_open": {"kind": "console"},
        "pnav_queue_wait_seconds_count": {},
        "pnav_answer_wait_seconds_count": {},
        "pnav_dispatches_total": {"result": "acknowledged"},
        "pnav_reports_total": {"result": "acknowledged"},
        "pnav_translator_calls_total": {"result": "translated"},
        "pnav_resume_code_attempts_total": {"result": "wrong"},
        "pnav_operators_connected": {"role": "operator"},
        "pnav_conversations_waiting_danger": {},
        "pnav_conversations_active": {},
        "pnav_alarms_raised_total": {"kind": "dispatch_failed"},
    }
    for name, labels in expected.items():
        assert value(text, name, **labels) >= 1, f"{name} {labels} did not count the day"
    assert value(text, "pnav_resume_code_attempts_total", result="matched") >= 1
    # Nothing that names anyone or anything said.
    secrets_of_the_day = [
        person.conv,
        waiting.conv,
        "alice",
        "bob",
        "demo",
        '"es"',
        '"uk"',
        ADDRESS,
        TOKEN,
        *texts,
    ]
    for needle in secrets_of_the_day:
        assert needle not in text, f"{needle!r} is in the metrics"

    # -- the log of that day ----------------------------------------------------------
    supervisor.close()
    late.close()
    bob.close()
    back.close()
    waiting.close()
    plain = live.log_path.read_text()
    lines = json_log.read_text().splitlines()
    assert lines, "nothing was logged as JSON"
    for line in lines:
        entry = json.loads(line)
        assert entry["level"] in ("debug", "info", "warning", "error", "critical")
        assert re.fullmatch(r"[a-z][a-z0-9_.]*", entry["event"]), entry["event"]
    events = {json.loads(line)["event"] for line in lines}
    assert {"alarm.raised", "alarm.cleared"} <= events
    raised = [json.loads(x) for x in lines if json.loads(x)["event"] == "alarm.raised"]
    assert any(e["kind"] == "dispatch_failed" and e["level"] == "warning" for e in raised)
    cookie = (bob._link.headers or {})["Cookie"].split("=", 1)[1]
    never = [
        *texts,
        "De vuelta",
        "Je suis là",
        DANGER,
        ADDRESS,
        FACTS,
        TOKEN,
        SECRET,
        cookie,
        code,
        back.token or "",
        back.exit_token or "",
        "127.0.0.1",
        "Python-urllib",
        "User-Agent",
    ]
    for needle in filter(None, never):
        assert needle not in plain, f"{needle!r} is in the log"
        assert needle not in json_log.read_text(), f"{needle!r} is in the JSON log"
