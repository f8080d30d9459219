"""Machine translation in real Chromium (issue 6, item 1): a person writes in Spanish,
the operator reads French and answers in French, the person reads Spanish; with the
translator down, messages pass untranslated and the console marks them.

The server runs with ``translator = "libretranslate"`` pointed at the local fake
(tests/fakes/libretranslate.py), whose phrase table gives exact translations.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fakes.libretranslate import FakeLibreTranslate
from playwright.sync_api import Locator, expect

SAID = "Necesito ayuda"
SAID_FR = "J'ai besoin d'aide"
ANSWER = "Je suis là, je vous écoute."
ANSWER_ES = "Estoy aquí, le escucho."


@pytest.fixture
def live_server(live_server_with: Any) -> Iterator[Any]:
    """tests/conftest.py's live server with the fake LibreTranslate as its translator
    (``translator``)."""
    fake = FakeLibreTranslate().start()
    live = live_server_with(
        role="operator", translator="libretranslate", translator_options={"url": fake.url}
    )
    live.translator = fake
    yield live
    fake.stop()


@pytest.fixture
def operator(console: Any) -> Any:
    """An operator whose console is in French."""
    return console("operator", locale="fr-FR")


def _open_chat_in_english(person: Any) -> None:
    """The pre-chat offers French and English: the person picks English, then writes
    Spanish (so the console must detect it)."""
    person.goto_partner()
    person.page.locator('[data-pnav="open"]').click()
    chat = person.chat
    chat.locator('[data-pnav="prechat-lang"]').select_option("en")
    chat.locator('label[for="pnav-who-victim"]').click()
    chat.locator('label[for="pnav-what-domestic"]').click()
    chat.locator('[data-pnav="prechat-start"]').click()
    expect(person.status).to_have_attribute("data-state", "waiting")


def _message(operator: Any, sender: str, text: str) -> Locator:
    return operator.panel.locator(f'[data-pnav="message"][data-from="{sender}"]').filter(
        has_text=text
    )


def _start_conversation(person: Any, operator: Any) -> None:
    _open_chat_in_english(person)
    operator.login()
    operator.accept()
    expect(person.status).to_have_attribute("data-state", "active")


def test_the_person_writes_spanish_and_the_operator_reads_and_answers_french(
    live_server, person, operator
) -> None:
    _start_conversation(person, operator)

    person.send(SAID)
    said = _message(operator, "person", SAID)
    expect(said).to_have_attribute("data-translation", "translated")
    expect(said.locator(".c-message__text")).to_have_text(SAID)
    expect(said.locator(".c-translation__text")).to_have_text(SAID_FR)
    expect(said.locator('[data-pnav="translation-label"]')).to_have_text(
        "Traduction automatique (original en espagnol) :"
    )

    operator.reply(ANSWER)
    expect(person.messages("operator")).to_have_text([ANSWER_ES])
    answered = _message(operator, "operator", ANSWER)
    expect(answered).to_have_attribute("data-translation", "translated")
    # The operator sees what was sent and what they wrote.
    expect(answered.locator(".c-message__text")).to_have_text(ANSWER_ES)
    expect(answered.locator(".c-translation__text")).to_have_text(ANSWER)
    expect(answered.locator('[data-pnav="translation-label"]')).to_contain_text("espagnol")

    # Translation switched off for this conversation: nothing goes to the translator.
    asked = len(live_server.translator.requests)
    operator.panel.locator('[data-pnav="translate-toggle"]').uncheck()
    person.send("Hola, necesito hablar")
    plain = _message(operator, "person", "Hola, necesito hablar")
    expect(plain).to_have_attribute("data-translation", "none")
    expect(plain.locator('[data-pnav="translation"]')).to_have_count(0)
    assert len(live_server.translator.requests) == asked

    # The translator saw the text; the server's log and files did not.
    stored = live_server.stored_bytes()
    for text in (SAID, SAID_FR, ANSWER, ANSWER_ES):
        assert text.encode() not in stored


def test_with_the_translator_down_messages_pass_untranslated_and_marked(
    live_server, person, operator
) -> None:
    live_server.translator.mode = "error"
    _start_conversation(person, operator)

    person.send(SAID)
    said = _message(operator, "person", SAID)
    expect(said).to_have_attribute("data-translation", "untranslated")
    expect(said.locator(".c-message__text")).to_have_text(SAID)
    expect(said.locator('[data-pnav="translation-label"]')).to_contain_text("Non traduit")

    operator.reply(ANSWER)
    expect(person.messages("operator")).to_have_text([ANSWER])
    answered = _message(operator, "operator", ANSWER)
    expect(answered).to_have_attribute("data-translation", "untranslated")
    expect(answered.locator(".c-message__text")).to_have_text(ANSWER)
    expect(answered.locator('[data-pnav="translation-label"]')).to_contain_text("Non traduit")


def test_a_person_who_says_they_write_spanish_is_translated_from_their_first_word(
    live_server, person, operator
) -> None:
    """The pre-chat's "language you will write in" becomes the conversation's language:
    the interface stays in English, the console shows ES, and a greeting too short to be
    detected is translated from Spanish all the same."""
    person.goto_partner()
    person.page.locator('[data-pnav="open"]').click()
    chat = person.chat
    chat.locator('[data-pnav="prechat-lang"]').select_option("en")
    expect(chat.locator('[data-pnav="prechat-write-lang"]')).to_have_value("en")  # follows
    chat.locator('[data-pnav="prechat-write-lang"]').select_option("es")
    chat.locator('label[for="pnav-who-victim"]').click()
    chat.locator('label[for="pnav-what-domestic"]').click()
    chat.locator('[data-pnav="prechat-start"]').click()
    operator.login()
    operator.accept()
    expect(person.status).to_have_attribute("data-state", "active")
    expect(operator.panel.locator(".c-meta")).to_contain_text("ES")
    expect(chat.locator("html")).to_have_attribute("lang", "en")

    person.send("Hola")  # under the detection threshold: the pre-chat's language counts
    hola = _message(operator, "person", "Hola")
    expect(hola).to_have_attribute("data-translation", "translated")
    expect(hola.locator('[data-pnav="translation-label"]')).to_contain_text("espagnol")
    operator.reply(ANSWER)
    expect(person.messages("operator")).to_have_text([ANSWER_ES])
