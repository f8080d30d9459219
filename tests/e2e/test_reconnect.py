"""The person's browser loses the network and comes back; conversations change hands.

- Offline: Chromium's offline emulation holds an open websocket's frames without
  closing it, as a dead Wi-Fi link would. The chat's dead-socket watchdog (shortened
  to 5 s for the test through the optional ``dead_after`` of the ticket answer, which
  the loader passes on in ``init``) drops it and reconnects; the person sees
  "reconnecting", never an error; afterwards both sides have every message exactly
  once, in order (docs/protocol.md, "Delivery guarantees and reconnection").
- Transfer: operator A hands the conversation to operator B with a note; B's console
  shows the note and the history, the person's chat says another operator took over.
- Attention: an operator goes away; the person is told; the supervisor sees it in
  "Needs attention" and takes the conversation over.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

import pytest
from playwright.sync_api import Route, expect

from pnav.sdk import crypto
from pnav.sdk.client import OperatorClient

DEAD_AFTER_S = 5
# Chromium reports every websocket it could not open while offline; expected here.
_OFFLINE_SOCKET_ERROR = re.compile(
    r"WebSocket connection to '\S+/ws/person' failed: .*(ERR_INTERNET_DISCONNECTED|"
    r"Error in connection establishment)"
)


def _canary(side: str) -> str:
    return f"{side}-{secrets.token_hex(6)}"


def _short_dead_after(person: Any) -> None:
    """The ticket answer, with ``dead_after`` added as a server could configure it."""

    def handle(route: Route) -> None:
        response = route.fetch()
        answer = response.json()
        answer["dead_after"] = DEAD_AFTER_S
        route.fulfill(response=response, json=answer)

    person.context.route(re.compile(r"/api/ticket$"), handle)


def _type(person: Any, text: str) -> None:
    """Type and send with Enter, without waiting for the server (it may be unreachable)."""
    box = person.chat.locator('[data-pnav="message-input"]')
    box.fill(text)
    box.press("Enter")
    expect(person.chat.locator('[data-pnav="message"][data-from="person"]').last).to_contain_text(
        text
    )


def _stored(live_server: Any, conv: str, key: bytes) -> list[tuple[str, str]]:
    """What the server stored for the conversation, decrypted, in sequence order."""
    out = []
    for m in live_server.store.messages_after(conv, 0):
        content = crypto.decrypt_message(key, m.body)
        out.append((m.sender, content["text"]))
    return out


def test_person_offline_then_back_loses_nothing_and_doubles_nothing(
    live_server: Any, person: Any, browser_log: Any
) -> None:
    p0, p1, p2, p3 = (_canary(f"person{i}") for i in range(4))
    o0, o1, o2, o3 = (_canary(f"operator{i}") for i in range(4))
    _short_dead_after(person)
    person.goto_partner()
    person.open_chat()
    notice = person.chat.locator('[data-pnav="notice"]')

    op = OperatorClient.login(live_server.url, live_server.operator, live_server.password)
    try:
        [item] = op.wait_queue()
        conv = item["conv"]
        op.accept(conv)
        expect(person.status).to_have_attribute("data-state", "active")
        expect(person.status).to_have_attribute("data-operator", "present")
        person.send(p0)
        assert op.receive().text == p0
        op.send(conv, o0)
        expect(person.messages("operator")).to_have_text([o0])

        person.context.set_offline(True)
        # The server stores these at once; the person's browser cannot receive them.
        op.send(conv, o1)
        op.send(conv, o2)
        _type(person, p1)
        _type(person, p2)
        # Nothing arrives on the held socket: the watchdog drops it. A status line,
        # not an error.
        expect(person.status).to_have_attribute(
            "data-state", "reconnecting", timeout=(DEAD_AFTER_S + 5) * 1000
        )
        expect(person.status).to_have_text(re.compile("Reconnexion"))
        expect(notice).to_be_hidden()
        own = person.chat.locator('[data-pnav="message"][data-from="person"]')
        expect(own.filter(has_text=p1)).to_have_attribute("data-state", "pending")
        expect(person.messages("operator")).to_have_text([o0])

        person.context.set_offline(False)
        expect(person.status).to_have_attribute("data-state", "active", timeout=20_000)
        expect(person.messages("operator")).to_have_text([o0, o1, o2])
        for text in (p1, p2):
            expect(own.filter(has_text=text)).to_have_attribute("data-state", "sent")

        # One more message each way: anything doubled would come before these.
        person.send(p3)
        assert [op.receive().text for _ in range(3)] == [p1, p2, p3]
        op.send(conv, o3)
        expect(person.messages("operator")).to_have_text([o0, o1, o2, o3])
        expect(person.messages("person")).to_have_text([p0, p1, p2, p3])
        expect(notice).to_be_hidden()

        # Stored exactly once each, in the order the server received them.
        assert _stored(live_server, conv, op.keys[conv]) == [
            ("person", p0),
            ("operator", o0),
            ("operator", o1),
            ("operator", o2),
            ("person", p1),
            ("person", p2),
            ("person", p3),
            ("operator", o3),
        ]
    finally:
        op.close()
    # The sockets the chat tried to open while offline failed, as they should.
    browser_log.errors[:] = [e for e in browser_log.errors if not _OFFLINE_SOCKET_ERROR.search(e)]


# ------------------------------------------------------------------ transfers


@pytest.fixture
def second_operator(console: Any) -> Any:
    """Another operator's console, in its own browser context."""
    return console("operator-2")


def _transfer(panel_or_item: Any, to: str, note: str) -> None:
    control = panel_or_item.locator('[data-pnav="transfer"]')
    control.locator("summary").click()
    control.locator('[data-pnav="transfer-to"]').fill(to)
    control.locator('[data-pnav="transfer-note"]').fill(note)
    control.locator('[data-pnav="transfer-send"]').click()


def test_operator_transfers_to_another_with_a_note(
    live_server: Any, person: Any, operator: Any, second_operator: Any
) -> None:
    bob_password = live_server.add_operator("bob")
    said, answered, later = _canary("person"), _canary("alice"), _canary("bob")
    note = f"Elle rappellera ce soir, {_canary('note')}"

    person.goto_partner()
    person.open_chat()
    operator.login()
    operator.accept()
    conv = operator.panel.get_attribute("data-conv")
    person.send(said)
    expect(operator.messages("person")).to_have_text([said])
    operator.reply(answered)
    expect(person.messages("operator")).to_have_text([answered])

    bob = second_operator
    bob.login("bob", bob_password)
    expect(bob.page.locator('[data-pnav="conversation"]')).to_have_count(0)

    # Without a note nothing is sent.
    _transfer(operator.panel, "bob", "")
    expect(operator.panel.locator('[data-pnav="transfer-status"]')).to_have_attribute(
        "data-error", "true"
    )
    # An unknown username: the server says so next to the control, the conversation stays.
    operator.panel.locator('[data-pnav="transfer-to"]').fill("nobody")
    operator.panel.locator('[data-pnav="transfer-note"]').fill(note)
    operator.panel.locator('[data-pnav="transfer-send"]').click()
    expect(operator.panel.locator('[data-pnav="transfer-status"]')).to_contain_text("username")

    operator.panel.locator('[data-pnav="transfer-to"]').fill("bob")
    operator.panel.locator('[data-pnav="transfer-send"]').click()

    # Alice's console lets go of it, and says so.
    expect(operator.page.locator('[data-pnav="conversation"]')).to_have_count(0)
    expect(operator.page.locator('[data-pnav="notice"]')).to_contain_text("transferred to bob")

    # Bob has it: the note on top, then the history.
    expect(bob.panel).to_have_attribute("data-conv", conv or "")
    handover = bob.panel.locator('[data-pnav="handover-note"]')
    expect(handover).to_have_count(1)
    expect(handover).to_have_attribute("data-from", "alice")
    expect(handover).to_contain_text("Handover from alice to bob")
    expect(handover.locator(".c-handover__text")).to_have_text(note)
    expect(bob.messages("person")).to_have_text([said])
    expect(bob.messages("operator")).to_have_text([answered])

    # The person is told, in the conversation, and carries on with Bob.
    line = person.chat.locator('[data-pnav="handover"]')
    expect(line).to_have_count(1)
    expect(line).to_contain_text("autre opérateur")
    bob.reply(later)
    expect(person.messages("operator")).to_have_text([answered, later])

    assert note.encode() not in live_server.stored_bytes()


def test_supervisor_takes_over_from_an_operator_who_is_away(
    live_server: Any, person: Any, operator: Any
) -> None:
    bob_password = live_server.add_operator("bob")
    said = _canary("person")
    note = f"Bob est parti, je reprends. {_canary('note')}"

    person.goto_partner()
    person.open_chat()
    bob = OperatorClient.login(live_server.url, "bob", bob_password)
    try:
        [item] = bob.wait_queue()
        conv = item["conv"]
        bob.accept(conv)
        expect(person.status).to_have_attribute("data-operator", "present")
        person.send(said)
        assert bob.receive().text == said
    finally:
        bob.close()

    # Bob's console is gone: the person is told the operator is away, not that anything failed.
    expect(person.status).to_have_attribute("data-state", "active")
    expect(person.status).to_have_attribute("data-operator", "away")
    expect(person.status).to_contain_text("absent")

    operator.login()  # alice, a supervisor
    attention = operator.page.locator('[data-pnav="attention-section"]')
    expect(attention).to_be_visible()
    expect(operator.page.locator('[data-pnav="attention-item"]')).to_have_count(0)
    # Time passes beyond operator_grace (the test moves the clock itself).
    live_server.chat.tick(time.time() + live_server.settings.operator_grace + 1)
    item_el = operator.page.locator(f'[data-pnav="attention-item"][data-conv="{conv}"]')
    expect(item_el).to_have_attribute("data-reason", "operator_away")
    expect(item_el).to_contain_text("Operator bob has been away since")

    _transfer(item_el, "alice", note)
    expect(operator.page.locator('[data-pnav="attention-item"]')).to_have_count(0)
    expect(operator.panel).to_have_attribute("data-conv", conv)
    expect(operator.panel.locator('[data-pnav="handover-note"] .c-handover__text')).to_have_text(
        note
    )
    expect(operator.messages("person")).to_have_text([said])
    expect(person.chat.locator('[data-pnav="handover"]')).to_have_count(1)
    expect(person.status).to_have_attribute("data-operator", "present")
