"""Casework from the operator console, in real Chromium (issue 6): an emergency reaches
the competent centre through a local webhook receiver (and a failure shows with its
retries), a report reaches the folder sink with its service and the person's consent
and is in the audit log, and a referral card arrives in the person's chat as text.

The server runs with the directory's fictional sample data, the webhook dispatcher
pointed at tests/fakes/webhook.py and the folder report sink.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes.webhook import FakeWebhook
from playwright.sync_api import Locator, expect

from pnav.sdk import signing
from pnav.server.casework.report_sinks import verify_bundle

SECRET = "a-shared-secret-of-32-characters"
DANGER = "Her partner is at the door with a knife"


def _bundles(live: Any) -> list[Path]:
    """The folder sink's signed report bundles."""
    return sorted((live.data_dir / "reports").glob("*.json"))


def _audit(live: Any) -> list[dict[str, Any]]:
    path = live.data_dir / "audit" / "reports.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def live_server(live_server_with: Any) -> Iterator[Any]:
    """tests/conftest.py's live server with casework backends; ``receiver`` is the
    webhook the emergencies go to."""
    receiver = FakeWebhook(SECRET.encode()).start()
    live = live_server_with(
        role="operator",
        directory_options={"sample": True},
        dispatcher="webhook",
        dispatcher_options={"url": receiver.url, "secret": SECRET, "attempts": 3, "backoff": 0.01},
        report_sink="folder",
        report_sink_options={"folder": "reports", "signature": "hmac", "secret": SECRET},
    )
    live.receiver = receiver
    yield live
    receiver.stop()


def _talking(person: Any, operator: Any) -> str:
    """A person in the chat, taken by the operator; the conversation's id."""
    person.goto_partner()
    person.open_chat(who="victim", what="domestic")
    operator.login()
    operator.accept()
    expect(person.status).to_have_attribute("data-state", "active")
    conv = operator.panel.get_attribute("data-conv")
    assert conv
    return conv


def _open(operator: Any, tool: str) -> Locator:
    section = operator.panel.locator(f'[data-pnav="{tool}"]')
    section.locator("summary").click()
    return section


def _hook(section: Locator, name: str) -> Locator:
    return section.locator(f'[data-pnav="{name}"]')


def test_an_emergency_reaches_the_competent_centre_and_a_failure_shows_its_retries(
    live_server: Any, person: Any, operator: Any
) -> None:
    conv = _talking(person, operator)
    form = _open(operator, "emergency")
    _hook(form, "emergency-address").fill("12 rue de l'Exemple")
    _hook(form, "emergency-postal-code").fill("35000")
    _hook(form, "emergency-city").fill("Rennes")
    _hook(form, "emergency-details").fill("3rd floor, door code 4521")
    # The competent centre shows as soon as the postal code is there.
    expect(_hook(form, "emergency-centre")).to_contain_text(
        "Centre d'information et de commandement (Rennes)"
    )
    _hook(form, "emergency-danger").fill(DANGER)
    _hook(form, "emergency-people").fill("The person and two children")
    _hook(form, "emergency-send").click()

    result = _hook(form, "emergency-result")
    expect(result).to_have_attribute("data-status", "acknowledged")
    expect(_hook(form, "emergency-status")).to_have_text("Acknowledged")
    expect(_hook(form, "emergency-info")).to_contain_text("reference R-1")
    expect(_hook(form, "emergency-retry")).to_be_hidden()
    (delivery,) = live_server.receiver.received
    assert delivery.signature_ok, delivery.signature_problem
    data = delivery.envelope["data"]
    assert data["centre"]["id"] == "example-cic-rennes"
    assert data["location"]["postal_code"] == "35000"
    assert (data["conversation"], data["operator"], data["danger"]) == (conv, "alice", DANGER)

    # The centre's end goes down: three attempts, each error listed, then "try again".
    live_server.receiver.script = [(503, {"error": "down"})] * 3
    _hook(form, "emergency-send").click()
    expect(result).to_have_attribute("data-status", "failed")
    expect(_hook(form, "emergency-status")).to_have_text("FAILED: not delivered")
    expect(_hook(form, "emergency-info")).to_contain_text("attempts: 3")
    expect(form.locator('[data-pnav="attempt-error"]')).to_have_text(
        ["Attempt 1: HTTP 503", "Attempt 2: HTTP 503", "Attempt 3: HTTP 503"]
    )
    failed_id = live_server.receiver.received[-1].headers[signing.DELIVERY_HEADER]
    _hook(form, "emergency-retry").click()
    expect(result).to_have_attribute("data-status", "acknowledged")
    expect(_hook(form, "emergency-info")).to_contain_text("reference R-5")
    retried = live_server.receiver.received[-1]
    assert retried.headers[signing.DELIVERY_HEADER] == failed_id  # the same emergency
    assert retried.signature_ok
    # Meanwhile the chat went on as usual.
    person.send("are you still there?")
    expect(operator.messages("person")).to_have_text(["are you still there?"])


def test_a_report_reaches_the_service_with_the_consent_and_is_audited(
    live_server: Any, person: Any, operator: Any
) -> None:
    conv = _talking(person, operator)
    form = _open(operator, "report")
    expect(_hook(form, "report-category")).to_have_value("domestic")  # the conversation's
    _hook(form, "report-facts").fill("Threats and blows since March")
    _hook(form, "report-first-date").fill("2024-03-02")
    _hook(form, "report-dates").fill("every weekend since March")
    _hook(form, "report-postal-code").fill("35000")
    _hook(form, "report-city").fill("Rennes")
    expect(_hook(form, "report-service")).to_contain_text("Commissariat (Rennes)")
    _hook(form, "report-add-person").click()
    _hook(form, "report-person-role").select_option("suspect")
    _hook(form, "report-person-description").fill("her partner, 36")
    contact = _hook(form, "report-contact")
    expect(contact).to_be_disabled()  # only with the person's consent
    _hook(form, "report-consent").check()
    contact.fill("by phone after 6 pm")
    _hook(form, "report-send").click()

    expect(_hook(form, "report-result")).to_have_attribute("data-status", "sent")
    (bundle,) = _bundles(live_server)
    expect(_hook(form, "report-info")).to_contain_text(f"reference {bundle.name}")
    data = verify_bundle(bundle, hmac_secret=SECRET.encode())["data"]
    assert data["service"]["id"] == "example-commissariat-rennes"
    assert (data["consent"], data["contact"]) == (True, "by phone after 6 pm")
    assert (data["category"], data["conversation"]) == ("domestic", conv)
    assert data["people"] == [{"role": "suspect", "description": "her partner, 36"}]
    (record,) = _audit(live_server)
    assert (record["report_id"], record["service_id"]) == (data["id"], data["service"]["id"])
    assert (record["conversation"], record["status"]) == (conv, "sent")


def test_a_referral_card_arrives_in_the_person_s_chat_as_text(
    live_server: Any, person: Any, operator: Any
) -> None:
    _talking(person, operator)
    picker = _open(operator, "referral")
    _hook(picker, "referral-postal-code").fill("35000")
    _hook(picker, "referral-search").click()
    local = picker.locator('[data-pnav="referral-item"][data-id="example-droit-rennes"]')
    expect(local).to_be_visible()  # local resources for the place, after the national ones
    item = picker.locator('[data-pnav="referral-item"][data-id="fr-3919"]')
    expect(item).to_have_attribute("data-open", "open")  # 24/7
    _hook(item, "referral-send").click()

    # In the console: the card as sent, stored by the server.
    sent = operator.panel.locator('[data-pnav="message"][data-kind="referral"]')
    expect(sent).to_have_attribute("data-state", "sent")
    expect(sent).to_contain_text("Téléphone : 3919")
    # In the chat (in French, the person's language): text and numbers.
    card = person.chat.locator('[data-pnav="message"][data-kind="referral"] [data-pnav="referral"]')
    expect(card).to_contain_text("3919 — Violences Femmes Info")
    expect(card).to_contain_text("24 h/24, 7 j/7")
    phone = card.locator('[data-pnav="referral-phone"]')
    expect(phone).to_have_text("3919")
    expect(phone).to_have_attribute("href", "tel:3919")
    expect(phone).not_to_have_attribute("target", "_blank")
    site = card.locator('[data-pnav="referral-url"]')
    expect(site).to_have_text("https://arretonslesviolences.gouv.fr")  # the address, in full
    expect(site).to_have_attribute("target", "_blank")
    expect(site).to_have_attribute("rel", "noopener noreferrer")
    # Nothing opened by itself: one page, still the partner's.
    assert [p.url for p in person.context.pages] == [person.page.url]
    assert person.page.url.startswith(live_server.partner_url)
