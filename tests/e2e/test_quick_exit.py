"""Quick exit, by the banner's button and by pressing Shift three times: the person
lands on the neutral page, the chat leaves no history entry and nothing stored in the
browser, and the operator is told the person left by quick exit."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

NO_STORAGE = {
    "localStorage": 0,
    "sessionStorage": 0,
    "indexedDB": [],
    "caches": [],
    "serviceWorkers": 0,
}


def _by_button(person: Any) -> None:
    person.page.locator('[data-pnav="exit"]').click()


def _by_shift_on_partner_page(person: Any) -> None:
    # Focus on the partner's own page, out of the chat iframe.
    person.page.locator("h1").click()
    assert person.page.evaluate("document.activeElement.tagName") == "BODY"
    for _ in range(3):
        person.page.keyboard.press("Shift")


def _by_shift_in_chat(person: Any) -> None:
    box = person.chat.locator('[data-pnav="message-input"]')
    box.click()
    expect(box).to_be_focused()
    assert person.page.evaluate("document.activeElement.tagName") == "IFRAME"
    for _ in range(3):
        person.page.keyboard.press("Shift")


@pytest.mark.parametrize(
    "leave",
    [_by_button, _by_shift_on_partner_page, _by_shift_in_chat],
    ids=["button", "shift-on-partner-page", "shift-in-chat"],
)
def test_quick_exit_leaves_no_trace(live_server, person, operator, leave):
    page = person.page
    # A first partner page, then the one where the chat is opened: "back" after the
    # exit must land on the first one, with no chat.
    person.goto_partner("/")
    person.goto_partner("/?page=aide")
    history_before = page.evaluate("history.length")

    person.open_chat()
    operator.login()
    operator.accept()
    expect(person.status).to_have_attribute("data-state", "active")
    person.send("il faut que je parte vite")
    expect(operator.presence).to_have_attribute("data-person", "connected")

    leave(person)

    page.wait_for_url(live_server.partner_url + "/meteo")
    expect(page.locator("h1")).to_have_text("Météo du jour")
    # location.replace(): the neutral page took the chat page's place in history.
    assert page.evaluate("history.length") == history_before

    expect(operator.presence).to_have_attribute("data-person", "quick_exit")
    expect(operator.presence).to_contain_text("quick exit")

    # Nothing kept by the partner's origin (this tab is on it) nor by the server's.
    assert person.storage() == NO_STORAGE
    server_page = person.context.new_page()
    server_page.goto(live_server.url + "/console")
    assert person.storage(server_page) == NO_STORAGE
    server_page.close()
    assert person.context.cookies() == []
    assert person.context.storage_state(indexed_db=True) == {"cookies": [], "origins": []}

    # Back: the page before the chat's, banner only, the chat closed.
    page.go_back()
    assert page.url == live_server.partner_url + "/"
    expect(page.locator('[data-pnav="banner"]')).to_be_visible()
    expect(page.locator('[data-pnav="open"]')).to_have_attribute("aria-expanded", "false")
    expect(page.locator('[data-pnav="panel"]')).to_have_count(0)
    expect(page.locator("iframe")).to_have_count(0)
