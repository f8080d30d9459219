"""Interface languages with a translator (issue 11 §2, §8): a language with no shipped
table gets a machine-made chat, marked as such; the writing languages are the
translator's and the shipped ones, by their own names, searchable; the console says when
the translator finds the person writing another language than the one they declared.
The translator is the fake LibreTranslate (tests/fakes), which knows Bengali ("bn"), a
language pnav ships no table for.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fakes.libretranslate import FakeLibreTranslate
from playwright.sync_api import Browser, Page, expect


@pytest.fixture
def live_server(live_server_with: Any) -> Iterator[Any]:
    """tests/conftest.py's live server with the fake LibreTranslate as its translator."""
    fake = FakeLibreTranslate().start()
    yield live_server_with(translator="libretranslate", translator_options={"url": fake.url})
    fake.stop()


def test_a_language_with_no_table_gets_a_machine_translated_chat(
    browser: Browser, live_server: Any
) -> None:
    context = browser.new_context(locale="bn-BD")
    try:
        page: Page = context.new_page()
        page.goto(f"{live_server.partner_url}/?lang=bn")
        page.locator('[data-pnav="open"]').click()
        chat = page.frame_locator('iframe[title="Chat"]')
        expect(chat.locator("html")).to_have_attribute("lang", "bn")
        expect(chat.locator('[data-pnav="machine-translated"]')).to_be_visible()
        expect(chat.locator('[data-pnav="prechat-start"]')).to_have_text("[bn] Start the chat")
        # Writing languages: the translator's and the shipped ones, by their own names.
        search = chat.locator('[data-pnav="prechat-write-search"]')
        search.fill("ትግ")
        options = chat.locator('[data-pnav="prechat-write-lang"] option')
        expect(options).to_have_count(1)  # the one match, chosen
        expect(chat.locator('[data-pnav="prechat-write-lang"]')).to_have_value("ti")
        search.fill("")
        expect(chat.locator('[data-pnav="prechat-write-lang"] option[value="zh"]')).to_have_count(1)
    finally:
        context.close()


def test_the_console_says_when_the_person_writes_another_language(
    person: Any, operator: Any
) -> None:
    person.page.goto(f"{person.live.partner_url}/?lang=en")
    person.page.locator('[data-pnav="open"]').click()
    chat = person.chat
    chat.locator('label[for="pnav-who-victim"]').click()
    chat.locator('label[for="pnav-what-domestic"]').click()
    chat.locator('[data-pnav="prechat-start"]').click()
    expect(person.status).to_have_attribute("data-state", "waiting")
    operator.login()
    operator.accept()
    person.send("Necesito ayuda")
    note = operator.panel.locator('[data-pnav="language-detected"]')
    expect(note).to_be_visible()
    expect(note).to_contain_text("English")
    expect(note).to_contain_text("Spanish")
    # The toggle is there: this platform translates.
    expect(operator.panel.locator('[data-pnav="translate-toggle"]')).to_be_visible()
