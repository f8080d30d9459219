"""Reflow (issue 11 §5, WCAG 2.2 SC 1.4.10): on a 320x568 phone screen and at 400 % zoom
of a 1280x800 window (a 320x200 CSS-pixel viewport), the chat's message box is on screen
and not covered, and the message list takes at least 40 % of the chat's height.

The measure is the chat frame's own height: the loader's banner (quick exit, always on
screen) takes the rest of the window. Figures are printed for docs/accessibility.md.
"""

from __future__ import annotations

from typing import Any

import pytest
from accessibility import chat_frame
from playwright.sync_api import Browser, expect

SCREENS = {
    "phone 320x568": ({"width": 320, "height": 568}, 1),
    "400% zoom of 1280x800": ({"width": 320, "height": 200}, 4),
}

MEASURE = """() => {
    const rect = (sel) => document.querySelector(sel).getBoundingClientRect();
    const list = rect('[data-pnav="messages"]');
    const box = rect('[data-pnav="message-input"]');
    const header = rect('.pnav-header');
    const compose = rect('.pnav-compose');
    const x = box.left + box.width / 2;
    const y = box.top + box.height / 2;
    // What of the list is on screen, between the header and the message box.
    const top = Math.max(list.top, header.bottom);
    const shown = Math.max(0, Math.min(list.bottom, compose.top) - top);
    return {
        height: innerHeight, list: list.height, shown,
        boxTop: box.top, boxBottom: box.bottom,
        boxOnTop: document.elementFromPoint(x, y)
            === document.querySelector('[data-pnav="message-input"]'),
    };
}"""


@pytest.mark.parametrize("screen", list(SCREENS))
def test_message_box_visible_and_list_at_least_40_percent(
    browser: Browser, browser_log: Any, live_server: Any, screen: str
) -> None:
    viewport, scale = SCREENS[screen]
    context = browser.new_context(locale="fr-FR", viewport=viewport, device_scale_factor=scale)
    log = browser_log
    log.watch(context, "person")
    try:
        page = context.new_page()
        page.goto(live_server.partner_url + "/")
        page.locator('[data-pnav="open"]').click()
        chat = page.frame_locator('iframe[title="Chat"]')
        chat.locator('label[for="pnav-who-victim"]').click()
        chat.locator('label[for="pnav-what-domestic"]').click()
        chat.locator('[data-pnav="prechat-start"]').click()
        expect(chat.locator('[data-pnav="status"]')).to_have_attribute("data-state", "waiting")
        box = chat.locator('[data-pnav="message-input"]')
        for n in range(3):
            box.fill(f"message {n}")
            box.press("Enter")
        expect(chat.locator('[data-pnav="message"][data-state="sent"]')).to_have_count(3)
        m = chat_frame(page).evaluate(MEASURE)
        print(f"\n{screen}: chat {m['height']}px, list {m['list']:.0f}px, shown {m['shown']:.0f}px")
        assert m["boxOnTop"], m
        assert m["boxTop"] >= 0 and m["boxBottom"] <= m["height"], m
        assert m["list"] >= 0.4 * m["height"], m
        assert m["shown"] >= 0.4 * m["height"], m
    finally:
        context.close()
