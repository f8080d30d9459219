"""Coming back with a resume code (issue 3's acceptance), in real Chromium.

A person chats with an operator, asks for a code, and leaves by quick exit. In a fresh
browser context (another device, as far as the browser knows) they open the partner
page, type the code, see every earlier message of both sides, and write on: the same
operator gets it in the same conversation. The code is made and turned into keys in the
browser (docs/security.md, "Resume code"): it never reaches the server, its frames, its
database or its log, and nothing is stored in the browser. A wrong code gets a clear
error and nothing else.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Frame, Page, WebSocketRoute, expect

from pnav.sdk.client import OperatorClient

NO_STORAGE = {
    "localStorage": 0,
    "sessionStorage": 0,
    "indexedDB": [],
    "caches": [],
    "serviceWorkers": 0,
}
# Argon2id at 64 MiB runs in the browser's WebAssembly: about a second, more on a busy machine.
KDF_TIMEOUT_MS = 20_000
CODE = re.compile(r"^\d{4} \d{4} \d{4} \d{4}$")
APOS = "\u2019"  # the typographic apostrophe of the French strings


def _canary(side: str) -> str:
    return f"{side}-{secrets.token_hex(6)}"


def _capture_frames(person: Any) -> list[str]:
    """Every frame the person's chat sends on its socket, relayed to the server unchanged."""
    sent: list[str] = []

    def relay(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def from_page(message: str | bytes) -> None:
            sent.append(message if isinstance(message, str) else message.decode("latin-1"))
            server.send(message)

        ws.on_message(from_page)

    person.context.route_web_socket(re.compile(r"/ws/person$"), relay)
    return sent


def _chat_frame(person: Any) -> Frame:
    page: Page = person.page
    [frame] = [f for f in page.frames if f is not page.main_frame]
    return frame


@pytest.fixture
def fresh_person(
    browser: Browser, browser_log: Any, person: Any, live_server: Any
) -> Iterator[Any]:
    """Another person browser in a context of its own: nothing shared with ``person``."""
    context = browser.new_context(locale="fr-FR")
    context.set_default_timeout(10_000)
    browser_log.watch(context, "returning")
    page = context.new_page()
    browser_log.watch_page(page, "returning")
    yield type(person)(context, page, live_server)
    context.close()


@pytest.fixture
def op(live_server: Any) -> Iterator[OperatorClient]:
    client = OperatorClient.login(live_server.url, live_server.operator, live_server.password)
    yield client
    client.close()


def _waiting(op: OperatorClient) -> list[dict[str, Any]]:
    """The queue once someone waits in it (the first update, at login, may be empty)."""
    while not (items := op.wait_queue()):
        pass
    return items


def _open_code_field(person: Any) -> None:
    person.goto_partner()
    person.page.locator('[data-pnav="open"]').click()
    have = person.chat.locator('[data-pnav="prechat-have-code"]')
    expect(have).to_have_text(f"J{APOS}ai un code")
    have.click()
    field = person.chat.locator('[data-pnav="resume-input"]')
    expect(field).to_be_focused()
    for name, value in [("inputmode", "numeric"), ("autocomplete", "off"), ("spellcheck", "false")]:
        expect(field).to_have_attribute(name, value)


def _enter(person: Any, code: str) -> None:
    person.chat.locator('[data-pnav="resume-input"]').fill(code)
    person.chat.locator('[data-pnav="resume-submit"]').click()


def test_a_person_comes_back_with_the_code_on_a_fresh_browser(
    live_server: Any, person: Any, fresh_person: Any, op: OperatorClient
) -> None:
    said = [_canary("person-before-1"), _canary("person-before-2")]
    answered = [_canary("operator-before-1"), _canary("operator-before-2")]
    later, reply = _canary("person-after"), _canary("operator-after")

    # 1. A conversation, both ways.
    first_frames = _capture_frames(person)
    person.goto_partner()
    person.open_chat()
    [item] = _waiting(op)
    conv = item["conv"]
    op.accept(conv)
    expect(person.status).to_have_attribute("data-state", "active")
    for mine, theirs in zip(said, answered, strict=True):
        person.send(mine)
        got = op.receive()
        assert (got.conv, got.sender, got.text) == (conv, "person", mine)
        op.send(conv, theirs)
        expect(person.messages("operator").last).to_have_text(theirs)

    # 2. The code: made in the browser, shown once with the warning, hidden on request.
    chat = person.chat
    get = chat.locator('[data-pnav="resume-get"]')
    expect(get).to_have_text("Obtenir un code pour revenir plus tard")
    get.click()
    shown = chat.locator('[data-pnav="resume-code"]')
    expect(shown).to_be_visible(timeout=KDF_TIMEOUT_MS)
    code = shown.inner_text().strip()
    assert CODE.match(code), code
    expect(chat.locator('[data-pnav="resume-warning"]')).to_have_text(
        "Toute personne qui voit ce code peut lire cette conversation. Notez-le où la "
        "personne violente ne regardera pas, ou apprenez-le par cœur. Il ne sera plus affiché."
    )
    chat.locator('[data-pnav="resume-hide"]').click()
    expect(shown).to_have_count(0)
    expect(get).to_be_visible()
    digits = code.replace(" ", "")
    html = _chat_frame(person).evaluate("document.documentElement.outerHTML")
    assert code not in html and digits not in html, "the hidden code is still in the DOM"
    assert digits not in person.page.url
    # The server got a lookup id and a wrapped key, never the code.
    [registered] = [f for f in first_frames if '"resume_code"' in f]
    assert set(re.findall(r'"(\w+)":', registered)) == {"v", "t", "lookup", "wrapped_key"}
    assert not any(digits in f or code in f for f in first_frames)

    # 3. Quick exit.
    person.page.locator('[data-pnav="exit"]').click()
    person.page.wait_for_url(live_server.partner_url + "/meteo")
    op.wait("presence", conv=conv, person="quick_exit")

    # 4. A fresh browser context, the code typed with other separators: everything back.
    returning = fresh_person
    frames = _capture_frames(returning)
    _open_code_field(returning)
    _enter(returning, code.replace(" ", "-"))
    expect(returning.status).to_have_attribute("data-state", "active", timeout=KDF_TIMEOUT_MS)
    expect(returning.messages("person")).to_have_text(said)
    expect(returning.messages("operator")).to_have_text(answered)
    everything = returning.chat.locator('[data-pnav="message"] .pnav-message__text')
    expect(everything).to_have_text([said[0], answered[0], said[1], answered[1]])
    expect(returning.chat.locator('[data-pnav="resume-entry"]')).to_have_count(0)
    op.wait("presence", conv=conv, person="connected")

    # 5. The conversation goes on, with the same operator, in the same conversation.
    returning.send(later)
    got = op.receive()
    assert (got.conv, got.sender, got.text) == (conv, "person", later)
    op.send(conv, reply)
    expect(returning.messages("operator")).to_have_text([*answered, reply])

    # The code went nowhere: not in a frame (hello carries the lookup id), not on the
    # server's disk or in its log, not in the browser's storage or URL.
    [hello] = [f for f in frames if '"hello"' in f]
    assert '"code":{"lookup":' in hello and '"after":0' in hello
    assert not any(digits in f or code in f for f in frames)
    stored = live_server.stored_bytes()
    for form in (digits, code, code.replace(" ", "-")):
        assert form.encode() not in stored
    assert returning.storage() == NO_STORAGE
    assert returning.context.cookies() == []
    assert digits not in returning.page.url


def _no_conversation(person: Any) -> None:
    chat = person.chat
    expect(chat.locator('[data-pnav="conversation"]')).to_have_count(0)
    expect(chat.locator('[data-pnav="message"]')).to_have_count(0)
    expect(chat.locator('[data-pnav="resume-input"]')).to_be_visible()


def test_a_wrong_code_gets_a_clear_error_and_nothing_else(live_server: Any, person: Any) -> None:
    frames = _capture_frames(person)
    _open_code_field(person)
    error = person.chat.locator('[data-pnav="resume-error"]')
    field = person.chat.locator('[data-pnav="resume-input"]')

    # Not 16 digits: said at once, before anything is derived or sent.
    for typed in ["1234 5678 9012 345", "1234 5678 9012 34567", "1234 5678 9012 345x"]:
        _enter(person, typed)
        expect(error).to_have_text("Un code compte 16 chiffres. Vérifiez ce que vous avez tapé.")
        _no_conversation(person)
    assert frames == []

    # 16 digits no conversation has: the server's refusal, the field kept as typed.
    wrong = "0000 1111 2222 3333"
    _enter(person, wrong)
    expect(error).to_have_text(
        f"Aucune discussion n{APOS}a ce code. Vérifiez les chiffres.", timeout=KDF_TIMEOUT_MS
    )
    expect(field).to_have_value(wrong)
    expect(field).to_be_focused()
    _no_conversation(person)
    [hello] = [f for f in frames if '"t":"hello"' in f]
    assert '"code":{"lookup":' in hello and "ticket" not in hello and "start" not in hello
    assert live_server.store.waiting_conversations() == []
    assert live_server.store.active_conversations() == []

    # Five wrong codes on one socket, then the server's own words (rate_limited).
    for n in range(2, 6):
        _enter(person, f"0000 1111 2222 333{n}")
        expect(person.chat.locator('[data-pnav="resume-status"]')).to_be_empty(
            timeout=KDF_TIMEOUT_MS
        )
        expect(error).to_have_text(f"Aucune discussion n{APOS}a ce code. Vérifiez les chiffres.")
    _enter(person, "0000 1111 2222 3339")
    expect(error).to_have_text(
        f"Trop d{APOS}essais. Message du serveur : "
        "too many wrong codes: reload the chat to try again",
        timeout=KDF_TIMEOUT_MS,
    )
    _no_conversation(person)

    # Back to the pre-chat: a new conversation can still start from here.
    person.chat.locator('[data-pnav="resume-back"]').click()
    expect(person.chat.locator('[data-pnav="prechat-start"]')).to_be_visible()


def test_the_resume_controls_speak_english_too(person: Any, op: OperatorClient) -> None:
    person.goto_partner()
    person.page.locator('[data-pnav="open"]').click()
    chat = person.chat
    chat.locator('[data-pnav="prechat-lang"]').select_option("en")
    expect(chat.locator('[data-pnav="prechat-have-code"]')).to_have_text("I have a code")
    chat.locator('label[for="pnav-who-victim"]').click()
    chat.locator('label[for="pnav-what-domestic"]').click()
    chat.locator('[data-pnav="prechat-start"]').click()
    [item] = _waiting(op)
    op.accept(item["conv"])
    get = chat.locator('[data-pnav="resume-get"]')
    expect(get).to_have_text("Get a code to come back later")
    get.click()
    expect(chat.locator('[data-pnav="resume-warning"]')).to_have_text(
        re.compile(r"^Anyone who sees this code can read this conversation\."),
        timeout=KDF_TIMEOUT_MS,
    )
    expect(chat.locator('[data-pnav="resume-hide"]')).to_have_text("Hide the code")
