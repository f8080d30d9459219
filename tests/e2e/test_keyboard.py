"""Keyboard only (issue 11 §6, §9): from the partner page's banner to a sent message and
back to quick exit, with Tab, Shift+Tab, Space, Enter and Escape, no pointer at all.
Focus goes where the person expects: the chat's first control on opening, the message
box once the chat starts and again after Escape minimised it and it was reopened.
"""

from __future__ import annotations

from typing import Any

from accessibility import chat_frame
from playwright.sync_api import Frame, Page, expect


def _focused(target: Page | Frame) -> str:
    name: str = target.evaluate(
        "() => document.activeElement?.dataset?.pnav ?? document.activeElement?.id ?? ''"
    )
    return name


def _tab_to(page: Page, target: Page | Frame, name: str, key: str = "Tab", most: int = 25) -> None:
    """Press ``key`` until the element named ``name`` (data-pnav or id) has the focus."""
    for _ in range(most):
        if _focused(target) == name:
            return
        page.keyboard.press(key)
    raise AssertionError(f"{name} never got the focus; it is on {_focused(target)!r}")


def test_from_the_banner_to_a_sent_message_and_back_to_quick_exit(person: Any) -> None:
    page = person.page
    page.goto(person.live.partner_url + "/")
    expect(page.locator('[data-pnav="banner"]')).to_be_visible()
    # The page's first stop is "leave quickly"; then the banner's "talk to someone".
    page.keyboard.press("Tab")
    assert _focused(page) == "leave"
    _tab_to(page, page, "open")
    page.keyboard.press("Enter")

    chat = person.chat
    expect(chat.locator('[data-pnav="prechat-lang"]')).to_be_focused()
    frame = chat_frame(page)
    # Language, danger, start: two Tabs (who and what are optional, after start).
    page.keyboard.press("Tab")
    assert _focused(frame) == "prechat-danger"
    page.keyboard.press("Tab")
    assert _focused(frame) == "prechat-start"
    page.keyboard.press("Enter")

    box = chat.locator('[data-pnav="message-input"]')
    expect(box).to_be_focused()
    page.keyboard.type("Bonjour")
    page.keyboard.press("Enter")
    sent = chat.locator('[data-pnav="message"][data-from="person"]')
    expect(sent).to_have_attribute("data-state", "sent")

    # Escape minimises; the banner's button has the focus; Enter reopens on the box.
    page.keyboard.press("Escape")
    expect(page.locator('[data-pnav="open"]')).to_be_focused()
    expect(page.locator('[data-pnav="open"]')).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    expect(box).to_be_focused()

    # Back to the chat's own quick exit, and out.
    _tab_to(page, frame, "chat-exit", key="Shift+Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**/meteo")
