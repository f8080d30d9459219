"""The console's casework endpoints against real backends: the CSV directory's sample
data, the webhook dispatcher posting to a local receiver that checks signatures, the
folder report sink with its signed bundles, and the audit log on disk."""

from __future__ import annotations

import json
import logging
import secrets
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fakes.webhook import FakeWebhook
from flask import Flask
from flask.testing import FlaskClient

from pnav.sdk import signing
from pnav.sdk.client import OperatorClient, PersonClient
from pnav.sdk.store import NewConversation
from pnav.sdk.testing import free_port
from pnav.server import Settings, create_app
from pnav.server.casework.report_sinks import verify_bundle
from pnav.server.operators.desk import enrol_operator
from pnav.server.serving import dev_server as _server
from pnav.server.stores.sqlite.store import SQLiteStore
from pnav.server.web.console import COOKIE

ORIGIN = "http://localhost"
SECRET = "a-shared-secret-of-32-characters"
DANGER = "Her partner is outside the door with a knife"
ADDRESS = "12 rue de l'Exemple"
FACTS = "Threats and blows since March, last time on Sunday"
# Nobody logs in with a password here: the cheapest Argon2id keeps each test quick.
CHEAP_KDF = {"kdf_ops": 1, "kdf_mem": 8 << 20}


@dataclass
class Rig:
    app: Flask
    conv: str
    data_dir: Path
    receiver: FakeWebhook

    login: Callable[[Flask, str], FlaskClient]  # tests/conftest.py, console_session

    def client(self, username: str = "alice") -> FlaskClient:
        return self.login(self.app, username)

    def post(self, what: str, body: Any, username: str = "alice", **kw: Any) -> Any:
        headers = kw.pop("headers", {"Origin": ORIGIN})
        return self.client(username).post(f"/console/api/{what}", json=body, headers=headers)

    def bundles(self) -> list[Path]:
        return sorted((self.data_dir / "reports").glob("*.json"))

    def audit(self) -> list[dict[str, Any]]:
        path = self.data_dir / "audit" / "reports.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _make(tmp_path: Path, receiver: FakeWebhook, login: Any, **backends: Any) -> Iterator[Rig]:
    settings = Settings.load(
        None,
        environ={},
        data_dir=tmp_path / "data",
        directory_options={"sample": True},
        **backends,
    )
    store = SQLiteStore(settings.database_path)
    first = secrets.token_urlsafe(12)
    enrol_operator(store, "alice", first, "operator", **CHEAP_KDF)
    for name, role in (("bob", "operator"), ("sam", "supervisor")):
        password = secrets.token_urlsafe(12)
        enrol_operator(store, name, password, role, ("alice", first), **CHEAP_KDF)
    new = NewConversation("demo", "victim", "domestic", True, "fr", b"\x01" * 80, "desk-1")
    conv = store.create_conversation(new)
    assert store.assign(conv.id, store.find_operator("alice").id)
    app = create_app(settings, store=store, maintenance=False)
    yield Rig(app, conv.id, settings.data_dir, receiver, login)
    app.extensions["pnav"].shutdown()
    store.close()


WEBHOOK = {"secret": SECRET, "attempts": 3, "backoff": 0.01, "timeout": 2}


@pytest.fixture
def receiver() -> Iterator[FakeWebhook]:
    fake = FakeWebhook(SECRET.encode()).start()
    yield fake
    fake.stop()


@pytest.fixture
def rig(tmp_path: Path, receiver: FakeWebhook, logged_in: Any) -> Iterator[Rig]:
    yield from _make(
        tmp_path,
        receiver,
        logged_in,
        dispatcher="webhook",
        dispatcher_options={"url": receiver.url, **WEBHOOK},
        report_sink="folder",
        report_sink_options={"folder": "reports", "signature": "hmac", "secret": SECRET},
    )


def emergency(conv: str, **change: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "conversation": conv,
        "location": {
            "address": ADDRESS,
            "postal_code": "35000",
            "commune_code": "",
            "city": "Rennes",
            "details": "3rd floor, door code 4521",
        },
        "danger": DANGER,
        "people_at_risk": "The person and two children",
        "callback": "",
    }
    for key, value in change.items():
        if key.startswith("location_"):
            body["location"][key.removeprefix("location_")] = value
        elif value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def report(conv: str, **change: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "conversation": conv,
        "facts": FACTS,
        "first_date": "2024-03-02",
        "last_date": "2024-05-05",
        "dates": "every weekend since March",
        "place": {"address": "", "postal_code": "35000", "city": "Rennes", "details": ""},
        "people": [
            {"role": "victim", "description": "the person, 34"},
            {"role": "suspect", "description": "her partner, 36"},
        ],
        "consent": True,
        "contact": "by phone after 6 pm: 06 00 00 00 00",
    }
    body.update(change)
    return body


# ------------------------------------------------------------------------- emergencies


def test_an_emergency_reaches_the_competent_centre_signed_and_acknowledged(rig: Rig) -> None:
    answer = rig.post("emergency", emergency(rig.conv))
    assert answer.status_code == 200, answer.get_json()
    assert answer.headers["Cache-Control"] == "no-store"
    got = answer.get_json()
    assert (got["status"], got["reference"], got["attempts"], got["errors"]) == (
        "acknowledged",
        "R-1",
        1,
        [],
    )
    assert got["centre"]["id"] == "example-cic-rennes"
    assert got["centre"]["kind"] == "police"
    assert got["conversation"] == rig.conv
    (delivery,) = rig.receiver.received
    assert delivery.signature_ok, delivery.signature_problem
    signing.verify(SECRET.encode(), delivery.body, delivery.headers)
    assert delivery.headers[signing.DELIVERY_HEADER] == got["id"]
    data = delivery.envelope["data"]
    assert data["centre"]["id"] == "example-cic-rennes"
    assert data["conversation"] == rig.conv  # the opaque id, no message
    assert data["operator"] == "alice"
    assert data["danger"] == DANGER
    assert data["location"]["postal_code"] == "35000"
    assert data["location"]["details"] == "3rd floor, door code 4521"


@pytest.mark.parametrize(
    ("postal", "commune", "centre", "kind"),
    [
        ("35000", "", "example-cic-rennes", "police"),  # Rennes by postal code
        ("35400", "", "example-corg-35", "gendarmerie"),  # elsewhere in the department
        ("35400", "35238", "example-cic-rennes", "police"),  # the commune code wins
        ("75011", "", "example-cic-75", "police"),
    ],
)
def test_the_centre_is_found_by_commune_or_postal_code(
    rig: Rig, postal: str, commune: str, centre: str, kind: str
) -> None:
    query = f"postal_code={postal}&commune_code={commune}"
    preview = rig.client().get(f"/console/api/centre?{query}")
    assert preview.status_code == 200
    assert (preview.get_json()["centre"]["id"], preview.get_json()["centre"]["kind"]) == (
        centre,
        kind,
    )
    body = emergency(rig.conv, location_postal_code=postal, location_commune_code=commune)
    assert rig.post("emergency", body).get_json()["centre"]["id"] == centre
    assert rig.receiver.received[-1].envelope["data"]["centre"]["id"] == centre


def test_no_centre_for_the_place_is_a_clear_422_and_nothing_is_sent(rig: Rig) -> None:
    answer = rig.post("emergency", emergency(rig.conv, location_postal_code="13001"))
    assert answer.status_code == 422
    assert "no operational centre" in answer.get_json()["error"]
    assert "13001" in answer.get_json()["error"]
    assert "17 or 112" in answer.get_json()["error"]
    preview = rig.client().get("/console/api/centre?postal_code=13001").get_json()
    assert preview["centre"] is None and "no operational centre" in preview["message"]
    assert rig.receiver.received == []


def test_a_receiver_that_fails_gives_failed_with_every_retry_then_a_retry_works(
    rig: Rig,
) -> None:
    rig.receiver.script = [(503, {"error": "busy"})] * 3
    answer = rig.post("emergency", emergency(rig.conv))
    assert answer.status_code == 200  # the request did its job: the delivery failed
    failed = answer.get_json()
    assert (failed["status"], failed["attempts"]) == ("failed", 3)
    assert failed["errors"] == ["HTTP 503", "HTTP 503", "HTTP 503"]
    assert failed["reference"] is None
    # The console's "try again" sends the same emergency with its id: the same
    # delivery id, so a receiver that did get it can tell.
    again = rig.post("emergency", emergency(rig.conv, id=failed["id"]))
    assert again.status_code == 200
    assert (again.get_json()["status"], again.get_json()["id"]) == ("acknowledged", failed["id"])
    ids = {r.headers[signing.DELIVERY_HEADER] for r in rig.receiver.received}
    assert ids == {failed["id"]} and len(rig.receiver.received) == 4


def test_nobody_listening_fails_with_connection_refused(tmp_path: Path, logged_in: Any) -> None:
    down = f"http://127.0.0.1:{free_port()}/"
    idle = FakeWebhook(SECRET.encode())
    for rig in _make(
        tmp_path, idle, logged_in, dispatcher="webhook", dispatcher_options={"url": down, **WEBHOOK}
    ):
        answer = rig.post("emergency", emergency(rig.conv))
        assert answer.get_json()["status"] == "failed"
        assert answer.get_json()["errors"] == ["connection refused"] * 3


def test_the_chat_goes_on_while_an_emergency_is_being_delivered(
    tmp_path: Path, receiver: FakeWebhook
) -> None:
    """The dispatch blocks its own request only: while the receiver holds the emergency
    without answering, the person and the operator go on talking."""
    receiver.script = ["hang"]
    partner = "https://partner.example"
    settings = Settings.load(
        None,
        environ={},
        data_dir=tmp_path / "data",
        partners={"demo": [partner]},
        directory_options={"sample": True},
        dispatcher="webhook",
        dispatcher_options={"url": receiver.url, **WEBHOOK, "attempts": 1, "timeout": 30},
    )
    store = SQLiteStore(settings.database_path)
    password = secrets.token_urlsafe(12)
    alice = enrol_operator(store, "alice", password, "operator", **CHEAP_KDF)
    app = create_app(settings, store=store, maintenance=False)
    server = _server(app, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    op = OperatorClient.login(url, "alice", password)
    person = PersonClient.start(url, "demo", partner)
    try:
        op.wait_queue(person.conv)
        op.accept(person.conv)
        person.wait("status", state="active")
        cookie = app.extensions["pnav"].tokens.console(alice.id)
        request = urllib.request.Request(
            url + "/console/api/emergency",
            data=json.dumps(emergency(person.conv)).encode(),
            headers={
                "Origin": url,
                "Content-Type": "application/json",
                "Cookie": f"{COOKIE}={cookie}",
            },
        )
        answer: dict[str, Any] = {}

        def raise_it() -> None:
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    answer.update(status=response.status, body=json.loads(response.read()))
            except urllib.error.HTTPError as err:
                answer.update(status=err.code, body=json.loads(err.read()))

        raising = threading.Thread(target=raise_it)
        raising.start()
        assert len(receiver.wait_for(1)) == 1  # at the centre's end, which does not answer
        person.send("are you still there?")
        assert op.receive().text == "are you still there?"
        op.send(person.conv, "yes: help is on its way")
        assert person.receive().text == "yes: help is on its way"
        assert raising.is_alive() and answer == {}
        receiver.release.set()  # the receiver hangs up without an answer
        raising.join(30)
        assert answer["status"] == 200
        assert (answer["body"]["status"], answer["body"]["attempts"]) == ("failed", 1)
    finally:
        receiver.release.set()
        person.close()
        op.close()
        server.shutdown()
        app.extensions["pnav"].shutdown()
        store.close()


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"location_address": ""}, "location.address", "is required"),
        ({"location_city": "  "}, "location.city", "is required"),
        ({"location_postal_code": "3500"}, "location.postal_code", "not a postal code"),
        (
            {"location_postal_code": "", "location_commune_code": ""},
            "location.postal_code",
            "postal code or an INSEE commune code is required",
        ),
        ({"location_commune_code": "35-238"}, "location.commune_code", "not an INSEE"),
        ({"location": "Rennes"}, "location", "must be a JSON object"),
        ({"danger": None}, "danger", "say what the danger is"),
        ({"danger": 12}, "danger", "must be text"),
        ({"danger": "x" * 20_001}, "danger", "longer than 20000 characters"),
        ({"people_at_risk": ""}, "people_at_risk", "say who is at risk"),
        ({"callback": "call \x07 me"}, "callback", "control characters"),
        ({"conversation": None}, "conversation", "id is required"),
        ({"id": "../../etc"}, "id", "letters, digits"),
    ],
)
def test_bad_emergency_forms_are_refused_naming_the_field(
    rig: Rig, change: dict[str, Any], field: str, says: str
) -> None:
    answer = rig.post("emergency", emergency(rig.conv, **change))
    assert answer.status_code == 400
    got = answer.get_json()
    assert got["field"] == field
    assert got["error"].startswith(field + ": ") and says in got["error"]
    assert rig.receiver.received == []


def test_a_body_that_is_not_json_is_refused(rig: Rig) -> None:
    client = rig.client()
    answer = client.post(
        "/console/api/emergency", data="{", headers={"Origin": ORIGIN}, content_type="text/plain"
    )
    assert answer.status_code == 400
    assert "JSON" in answer.get_json()["error"]


def test_who_may_raise_an_emergency(rig: Rig) -> None:
    body = emergency(rig.conv)
    anonymous = rig.app.test_client().post(
        "/console/api/emergency", json=body, headers={"Origin": ORIGIN}
    )
    assert anonymous.status_code == 401
    elsewhere = rig.post("emergency", body, headers={"Origin": "https://evil.example"})
    assert elsewhere.status_code == 403
    assert "console page" in elsewhere.get_json()["error"]
    other = rig.post("emergency", body, username="bob")
    assert other.status_code == 403
    assert other.get_json()["error"] == "this conversation is not assigned to you"
    unknown = rig.post("emergency", emergency("nope"))
    assert unknown.status_code == 404
    assert rig.receiver.received == []
    # A supervisor may raise it for any conversation.
    assert rig.post("emergency", body, username="sam").status_code == 200


def test_without_backends_the_console_is_told_and_submissions_refused(
    tmp_path: Path, receiver: FakeWebhook, logged_in: Any
) -> None:
    for rig in _make(tmp_path, receiver, logged_in):
        assert rig.client().get("/console/api/casework").get_json() == {
            "emergency": False,
            "report": False,
        }
        answer = rig.post("emergency", emergency(rig.conv))
        assert answer.status_code == 503
        assert "no emergency dispatcher is configured" in answer.get_json()["error"]
        answer = rig.post("report", report(rig.conv))
        assert answer.status_code == 503
        assert "no report sink is configured" in answer.get_json()["error"]


def test_the_console_knows_what_is_configured(rig: Rig) -> None:
    answer = rig.client().get("/console/api/casework")
    assert answer.get_json() == {"emergency": True, "report": True}
    assert rig.app.test_client().get("/console/api/casework").status_code == 401


def test_what_the_operator_typed_is_never_logged(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    rig.receiver.script = [(500, {})]
    assert rig.post("emergency", emergency(rig.conv)).status_code == 200
    assert rig.post("report", report(rig.conv)).status_code == 200
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "emergency" in logged and "report" in logged
    for secret in (DANGER, ADDRESS, FACTS, "door code", "06 00 00 00 00", "Rennes"):
        assert secret not in logged


# ----------------------------------------------------------------------------- reports


def test_a_report_reaches_the_competent_service_with_consent_and_is_audited(rig: Rig) -> None:
    answer = rig.post("report", report(rig.conv))
    assert answer.status_code == 200, answer.get_json()
    got = answer.get_json()
    assert got["status"] == "sent"
    assert got["category"] == "domestic"  # the conversation's category by default
    assert got["consent"] is True
    assert got["service"]["id"] == "example-commissariat-rennes"
    (bundle,) = rig.bundles()
    assert got["reference"] == bundle.name
    data = verify_bundle(bundle, hmac_secret=SECRET.encode())["data"]
    assert data["id"] == got["id"]
    assert data["service"]["id"] == "example-commissariat-rennes"
    assert (data["consent"], data["contact"]) == (True, "by phone after 6 pm: 06 00 00 00 00")
    assert data["conversation"] == rig.conv
    assert data["operator"] == "alice"
    assert (data["first_date"], data["last_date"]) == ("2024-03-02", "2024-05-05")
    assert [p["role"] for p in data["people"]] == ["victim", "suspect"]
    (record,) = rig.audit()
    assert record["report_id"] == got["id"]
    assert record["receipt_id"] == got["receipt"]
    assert (record["service_id"], record["status"]) == ("example-commissariat-rennes", "sent")
    assert (record["operator"], record["conversation"]) == ("alice", rig.conv)
    assert record["sink"].endswith("FolderReportSink")
    audit_text = (rig.data_dir / "audit" / "reports.jsonl").read_text()
    assert FACTS not in audit_text and "06 00" not in audit_text


def test_without_consent_the_report_says_so_and_carries_no_contact(rig: Rig) -> None:
    answer = rig.post("report", report(rig.conv, consent=False, contact=""))
    assert answer.status_code == 200
    assert answer.get_json()["consent"] is False
    data = verify_bundle(rig.bundles()[0], hmac_secret=SECRET.encode())["data"]
    assert (data["consent"], data["contact"]) == (False, "")


def test_a_specialised_unit_takes_its_category(rig: Rig) -> None:
    place = {"postal_code": "75011"}
    general = rig.post("report", report(rig.conv, place=place))
    assert general.get_json()["service"]["id"] == "example-commissariat-75011"
    cyber = rig.post("report", report(rig.conv, place=place, category="cyber_harassment"))
    assert cyber.get_json()["service"]["id"] == "example-cyber-75"
    preview = rig.client().get("/console/api/service?postal_code=75011&category=cyber_harassment")
    assert preview.get_json()["service"]["id"] == "example-cyber-75"
    assert len(rig.audit()) == 2


def test_no_service_for_the_place_is_a_clear_422(rig: Rig) -> None:
    answer = rig.post("report", report(rig.conv, place={"postal_code": "13001"}))
    assert answer.status_code == 422
    assert "no territorial service" in answer.get_json()["error"]
    assert answer.get_json()["field"] == "place.postal_code"
    assert rig.bundles() == [] and rig.audit() == []
    preview = rig.client().get("/console/api/service?postal_code=13001&category=domestic")
    assert preview.status_code == 200 and preview.get_json()["service"] is None


def test_a_failed_report_is_audited_too(
    tmp_path: Path, receiver: FakeWebhook, logged_in: Any
) -> None:
    receiver.script = [(503, {})] * 3
    for rig in _make(
        tmp_path,
        receiver,
        logged_in,
        report_sink="webhook",
        report_sink_options={"url": receiver.url, **WEBHOOK},
    ):
        answer = rig.post("report", report(rig.conv))
        assert answer.status_code == 200
        got = answer.get_json()
        assert (got["status"], got["errors"]) == ("failed", ["HTTP 503"] * 3)
        (record,) = rig.audit()
        assert (record["report_id"], record["status"]) == (got["id"], "failed")
        assert all(r.signature_ok for r in receiver.received)


def test_an_audit_log_that_cannot_be_written_is_said(rig: Rig) -> None:
    audit = rig.data_dir / "audit" / "reports.jsonl"
    audit.mkdir(parents=True)  # a directory where the file should be
    answer = rig.post("report", report(rig.conv))
    assert answer.status_code == 500
    got = answer.get_json()
    assert got["status"] == "sent"  # it did go out
    assert "audit log could not record it" in got["error"]


TOMORROW_BUT_ONE = (date.today() + timedelta(days=2)).isoformat()


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"facts": " "}, "facts", "the facts are required"),
        ({"category": "burglary"}, "category", "must be one of sexual, sexist"),
        ({"consent": None}, "consent", "does the person agree to be contacted"),
        ({"consent": "yes"}, "consent", "true or false"),
        ({"consent": False}, "contact", "only given when the person consents"),
        ({"first_date": "02/03/2024"}, "first_date", "is not a date like"),
        ({"last_date": TOMORROW_BUT_ONE}, "last_date", "is in the future"),
        ({"last_date": "2024-01-01"}, "last_date", "is before first_date"),
        ({"people": [{"role": "neighbour", "description": "x"}]}, "people.1.role", "one of"),
        ({"people": [{"role": "witness", "description": ""}]}, "people.1.description", "describe"),
        ({"people": [{"role": "victim", "description": "x"}] * 21}, "people", "at most 20"),
        ({"place": {"postal_code": "ABCDE"}}, "place.postal_code", "not a postal code"),
        ({"place": None}, "place", "must be a JSON object"),
    ],
)
def test_bad_reports_are_refused_naming_the_field(
    rig: Rig, change: dict[str, Any], field: str, says: str
) -> None:
    answer = rig.post("report", report(rig.conv, **change))
    assert answer.status_code == 400, answer.get_json()
    got = answer.get_json()
    assert got["field"] == field
    assert says in got["error"]
    assert rig.bundles() == [] and rig.audit() == []


def test_who_may_file_a_report(rig: Rig) -> None:
    assert rig.post("report", report(rig.conv), username="bob").status_code == 403
    elsewhere = rig.post("report", report(rig.conv), headers={"Origin": "https://x.example"})
    assert elsewhere.status_code == 403
    assert rig.post("report", report(rig.conv), username="sam").status_code == 200
    assert len(rig.audit()) == 1


# --------------------------------------------------------------------------- resources


def _resources(rig: Rig, query: str) -> Any:
    return rig.client().get(f"/console/api/resources?{query}")


def test_resources_for_a_place_are_national_then_local(rig: Rig) -> None:
    answer = _resources(rig, "postal_code=35000")
    assert answer.status_code == 200
    found = answer.get_json()["resources"]
    ids = [r["id"] for r in found]
    national = ["fr-17", "fr-112", "fr-114", "fr-3919", "fr-116006", "fr-3018"]
    assert ids == [*national, "example-hebergement-35", "example-droit-rennes"]
    by_id = {r["id"]: r for r in found}
    assert by_id["fr-3919"] | {"open_now": None} == {
        "id": "fr-3919",
        "category": "domestic_violence",
        "name": "3919 — Violences Femmes Info",
        "description": by_id["fr-3919"]["description"],
        "phone": "3919",
        "sms": "",
        "url": "https://arretonslesviolences.gouv.fr",
        "email": "",
        "hours": "24/7",
        "open_now": None,
        "national": True,
        "example": False,
    }
    assert by_id["fr-3919"]["open_now"] is True  # 24/7
    assert by_id["fr-114"]["sms"] == "114"
    assert by_id["example-droit-rennes"]["national"] is False
    assert isinstance(by_id["example-droit-rennes"]["open_now"], bool)


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ("postal_code=35000&category=legal", ["example-droit-rennes"]),
        ("postal_code=75011&category=victim_support", ["fr-116006", "example-victimes-75"]),
        ("category=domestic_violence", ["fr-3919"]),
        ("", ["fr-17", "fr-112", "fr-114", "fr-3919", "fr-116006", "fr-3018"]),
    ],
)
def test_resources_by_category_and_place(rig: Rig, query: str, ids: list[str]) -> None:
    assert [r["id"] for r in _resources(rig, query).get_json()["resources"]] == ids


@pytest.mark.parametrize(
    ("query", "field"),
    [("postal_code=750", "postal_code"), ("category=pizza", "category")],
)
def test_bad_resource_queries_are_refused(rig: Rig, query: str, field: str) -> None:
    answer = _resources(rig, query)
    assert answer.status_code == 400
    assert answer.get_json()["field"] == field


def test_look_ups_need_a_logged_in_operator(rig: Rig) -> None:
    anonymous: Callable[[str], Any] = rig.app.test_client().get
    for path in ("resources", "centre?postal_code=35000", "service?postal_code=35000"):
        assert anonymous(f"/console/api/{path}").status_code == 401
