"""Duress ("someone is here", issue 7 §4): one press hides the chat behind a neutral
panel that says nothing of the service and tells the operator silently; messages that
arrive meanwhile are kept but neither shown nor announced; "Refresh" brings the
conversation back, with them. The operator's console shows a steady, silent indicator
while it lasts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import FrameLocator, expect

from pnav.sdk.client import OperatorClient

DURESS_LABEL = "Quelqu\u2019un arrive"
NEUTRAL_TEXT = ["Notifications", "Fermer", "Aucune", "nouvelle", "notification.", "Actualiser"]
# What would give the person away if it were on screen during duress.
REVEALING = [
    "Discussion confidentielle",
    "Sortie rapide",
    "Opérateur",
    "Vous",
    DURESS_LABEL,
    "Envoyer",
    "victime",
]


@pytest.fixture
def op(live_server: Any) -> Iterator[OperatorClient]:
    client = OperatorClient.login(live_server.url, live_server.operator, live_server.password)
    yield client
    client.close()


def _visible_text(chat: FrameLocator) -> str:
    """What the chat frame renders as text (display: none excluded); the "leave quickly"
    button is clipped to nothing until focused, so it is left out."""
    text: str = chat.locator("body").evaluate(
        """(body) => {
          const leave = body.querySelector('[data-pnav="chat-leave"]');
          return body.innerText.replace(leave ? leave.innerText : '', '');
        }"""
    )
    return text


def _accepted(person: Any, op: OperatorClient) -> str:
    person.goto_partner("/")
    person.open_chat()
    items = op.wait_queue()
    while not items:  # the queue as it was when the operator logged in
        items = op.wait_queue()
    conv: str = items[0]["conv"]
    op.accept(conv)
    expect(person.status).to_have_attribute("data-state", "active")
    return conv


def test_someone_is_here_hides_the_chat_and_tells_the_operator(live_server, person, op):
    conv = _accepted(person, op)
    chat = person.chat
    person.send("je suis chez moi")
    assert op.receive().text == "je suis chez moi"
    op.send(conv, "Je vous écoute.")
    expect(person.messages("operator")).to_have_text(["Je vous écoute."])

    duress = chat.locator('[data-pnav="duress"]')
    expect(duress).to_have_text(DURESS_LABEL)
    duress.click()

    # The chat is gone at once, the neutral panel in its place.
    view = chat.locator('[data-pnav="duress-view"]')
    expect(view).to_be_visible()
    expect(view).to_be_focused()
    expect(chat.locator(".pnav-app")).to_be_hidden()
    assert op.wait("duress", conv=conv, on=True)["on"] is True

    # The operator writes meanwhile: kept, neither shown nor announced.
    op.send(conv, "Répondez seulement quand vous pourrez.")
    late = person.messages("operator").filter(has_text="Répondez seulement")
    expect(late).to_have_count(1)
    expect(late).to_be_hidden()
    text = _visible_text(chat)
    assert text.split() == NEUTRAL_TEXT
    for word in [*REVEALING, "je suis chez moi", "Je vous écoute", "Répondez"]:
        assert word not in text, word
    # Nothing that could make a sound, and no live region left to speak.
    assert chat.locator("audio, video").count() == 0
    assert chat.locator("body").evaluate(
        """(body) => [...body.querySelectorAll('[aria-live], [role="status"], [role="alert"]')]
              .every((e) => e.offsetParent === null)"""
    )

    # "Refresh" brings the whole conversation back, the late message in it.
    chat.locator('[data-pnav="duress-end"]').click()
    assert op.wait("duress", conv=conv, on=False)["on"] is False
    expect(view).to_be_hidden()
    expect(person.messages("operator")).to_have_text(
        ["Je vous écoute.", "Répondez seulement quand vous pourrez."]
    )
    expect(person.messages("person")).to_have_text(["je suis chez moi"])
    expect(duress).to_be_focused()
    person.send("c'est bon, il est parti")
    assert op.receive().text == "c'est bon, il est parti"


def test_duress_before_an_operator_answers_reaches_the_one_who_does(live_server, person):
    """The server keeps no duress state: the chat says it again when the conversation
    becomes active, so the operator who accepts it learns of it at once."""
    person.goto_partner("/")
    person.open_chat()
    chat = person.chat
    chat.locator('[data-pnav="duress"]').click()
    expect(chat.locator('[data-pnav="duress-view"]')).to_be_visible()
    op = OperatorClient.login(live_server.url, live_server.operator, live_server.password)
    try:
        [item] = op.wait_queue()
        op.accept(item["conv"])
        assert op.wait("duress", conv=item["conv"], on=True)["on"] is True
        op.send(item["conv"], "Bonjour.")
        expect(person.messages("operator")).to_have_count(1)
        expect(person.messages("operator")).to_be_hidden()
        chat.locator('[data-pnav="duress-end"]').click()
        assert op.wait("duress", conv=item["conv"], on=False)["on"] is False
        expect(person.messages("operator")).to_have_text(["Bonjour."])
    finally:
        op.close()


def test_close_in_the_neutral_view_only_minimises(live_server, person):
    """The neutral view's "Close" hides the panel; opened again, it is still neutral."""
    person.goto_partner("/")
    person.open_chat()
    chat = person.chat
    chat.locator('[data-pnav="duress"]').click()
    chat.locator('[data-pnav="duress-hide"]').click()
    open_button = person.page.locator('[data-pnav="open"]')
    expect(open_button).to_have_attribute("aria-expanded", "false")
    expect(person.page.locator('iframe[title="Chat"]')).to_be_hidden()
    open_button.click()
    expect(chat.locator('[data-pnav="duress-view"]')).to_be_visible()
    expect(chat.locator(".pnav-app")).to_be_hidden()
    chat.locator('[data-pnav="duress-end"]').click()
    expect(person.status).to_have_attribute("data-state", "waiting")


def test_console_shows_duress_silently(live_server, person, operator):
    person.goto_partner("/")
    person.open_chat()
    operator.login()
    operator.accept()
    expect(person.status).to_have_attribute("data-state", "active")
    indicator = operator.panel.locator('[data-pnav="duress"]')
    tab = operator.page.locator('[data-pnav="conversation-tab"]')
    expect(indicator).to_be_hidden()

    person.chat.locator('[data-pnav="duress"]').click()
    expect(indicator).to_be_visible()
    expect(indicator).to_contain_text("someone is with them")
    expect(indicator).to_contain_text("do not write anything")
    expect(tab).to_have_attribute("data-duress", "on")
    expect(tab).to_contain_text("Someone with the person")
    # Silent: the reply box keeps its focus or lack of it, nothing plays.
    assert operator.page.locator("audio, video").count() == 0

    person.chat.locator('[data-pnav="duress-end"]').click()
    expect(indicator).to_be_hidden()
    expect(tab).to_have_attribute("data-duress", "off")
    expect(tab).not_to_contain_text("Someone with the person")
