"""Canned replies in real Chromium (issue 6): a supervisor writes a reply in Spanish on
the desk; an operator with a Spanish conversation picks it under the conversation, it
goes into the reply box (nothing is sent by itself), they finish it and send it, and
the person reads it.

The person is pnav's Python client: the chat's pre-chat offers French and English only,
and the client starts a conversation in any language, as a partner's own page could.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Locator, expect

TITLE = "Seguridad"
TEXT = "¿Está usted en un lugar seguro ahora mismo?"


@pytest.fixture
def second_console(console: Any) -> Any:
    """Another console, in its own browser context."""
    return console("bob")


def _add(admin: Locator, lang: str, title: str, text: str) -> None:
    admin.locator('[data-pnav="canned-lang"]').fill(lang)
    admin.locator('[data-pnav="canned-title"]').fill(title)
    admin.locator('[data-pnav="canned-text"]').fill(text)
    admin.locator('[data-pnav="canned-save"]').click()
    expect(admin.locator('[data-pnav="canned-admin-status"]')).to_have_text("Saved.")
    item = admin.locator(f'[data-pnav="canned-item"][data-lang="{lang}"]', has_text=title)
    expect(item).to_be_visible()


def test_a_supervisor_writes_a_spanish_reply_and_an_operator_sends_it(
    live_server, clients, operator, second_console
) -> None:
    supervisor, bob = operator, second_console
    supervisor.login()  # alice, a supervisor
    admin = supervisor.page.locator('[data-pnav="canned-admin"]')
    admin.locator("summary").click()
    expect(admin.locator('[data-pnav="canned-list"]')).to_have_text("No canned reply yet.")
    # the form says what is wrong before anything is sent
    admin.locator('[data-pnav="canned-lang"]').fill("Spanish")
    admin.locator('[data-pnav="canned-title"]').fill(TITLE)
    admin.locator('[data-pnav="canned-text"]').fill(TEXT)
    admin.locator('[data-pnav="canned-save"]').click()
    expect(admin.locator('[data-pnav="canned-admin-status"]')).to_have_text(
        "The language must be a code such as fr, es or pt-BR."
    )
    _add(admin, "es", "Bienvenida", "Hola, le escucho.")
    _add(admin, "en", "Hello", "Hello, I am listening.")
    _add(admin, "fr", "Bonjour", "Bonjour, je vous écoute.")
    # the first Spanish one, edited into the safety question
    item = admin.locator('[data-pnav="canned-item"]', has_text="Bienvenida")
    item.locator('[data-pnav="canned-edit"]').click()
    expect(admin.locator('[data-pnav="canned-lang"]')).to_have_value("es")
    admin.locator('[data-pnav="canned-title"]').fill(TITLE)
    admin.locator('[data-pnav="canned-text"]').fill(TEXT)
    admin.locator('[data-pnav="canned-save"]').click()
    expect(admin.locator('[data-pnav="canned-admin-status"]')).to_have_text("Saved.")
    items = admin.locator('[data-pnav="canned-item"]')
    expect(items).to_have_count(3)
    expect(items.nth(1)).to_contain_text(TITLE)  # by language: en, es, fr
    expect(items.nth(1)).to_contain_text(TEXT)

    password = live_server.add_operator("bob")
    bob.login("bob", password)
    expect(bob.page.locator('[data-pnav="canned-admin"]')).to_be_hidden()
    person = clients.person(lang="es")
    try:
        bob.accept(person.conv)
        person.wait("status", state="active")
        picker = bob.panel.locator('[data-pnav="canned"]')
        picker.locator("summary").click()
        select = picker.locator('[data-pnav="canned-select"]')
        # the conversation's language first, then the console's; not French
        expect(select.locator("option")).to_have_text([TITLE, "Hello"])
        select.select_option(label=TITLE)

        box = bob.panel.locator('[data-pnav="reply-input"]')
        box.fill("Buenas tardes. ")
        picker.locator('[data-pnav="canned-insert"]').click()
        expect(box).to_have_value("Buenas tardes. " + TEXT)
        expect(box).to_be_focused()
        expect(picker.locator('[data-pnav="canned-status"]')).to_contain_text("edit it if needed")
        sent = bob.panel.locator('[data-pnav="message"][data-from="operator"]')
        expect(sent).to_have_count(0)  # inserting never sends

        box.press("End")
        box.press_sequentially(" Soy Bob.")
        bob.panel.locator('[data-pnav="reply-send"]').click()
        expect(sent).to_have_attribute("data-state", "sent")
        said = f"Buenas tardes. {TEXT} Soy Bob."
        assert person.receive().text == said
        expect(sent.locator(".c-message__text")).to_have_text(said)

        # the supervisor deletes the English one; the picker, opened again, follows
        admin.locator('[data-pnav="canned-item"]', has_text="Hello").locator(
            '[data-pnav="canned-delete"]'
        ).click()
        expect(admin.locator('[data-pnav="canned-admin-status"]')).to_have_text("Deleted.")
        picker.locator("summary").click()  # close
        picker.locator("summary").click()  # open: asks the server again
        expect(select.locator("option")).to_have_text([TITLE])
    finally:
        person.close()


def test_a_reply_already_in_the_persons_language_is_not_machine_translated(
    live_server, clients, operator
) -> None:
    """With machine translation on, what the operator types goes through the translator;
    a canned reply in the person's language goes out as it is. (The console's translate
    endpoint is answered by the test, which sees every text sent to it.)"""
    live_server.store.put_canned_reply("es", TITLE, TEXT)
    asked: list[dict[str, Any]] = []

    def translate(route: Any) -> None:
        if route.request.method == "GET":
            route.fulfill(json={"available": True})
            return
        body = route.request.post_data_json
        asked.append(body)
        translated = f"[es] {body['text']}"
        route.fulfill(json={"text": translated, "source": "en", "target": "es", "translated": True})

    operator.page.route("**/console/api/translate", translate)
    operator.login()  # an English console
    person = clients.person(lang="es")
    try:
        operator.accept(person.conv)
        person.wait("status", state="active")
        picker = operator.panel.locator('[data-pnav="canned"]')
        picker.locator("summary").click()
        picker.locator('[data-pnav="canned-insert"]').click()
        box = operator.panel.locator('[data-pnav="reply-input"]')
        expect(box).to_have_value(TEXT)
        operator.panel.locator('[data-pnav="reply-send"]').click()
        assert person.receive().text == TEXT
        assert asked == []

        operator.reply("I am here.")  # typed: translated into Spanish
        assert person.receive().text == "[es] I am here."
        assert [a["text"] for a in asked] == ["I am here."]
        expect(box).not_to_have_attribute("lang", "es")
    finally:
        person.close()
