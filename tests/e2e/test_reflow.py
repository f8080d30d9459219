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


# A phone's on-screen keyboard: the visual viewport shrinks (its height, here by
# `keyboard` px) while the layout viewport, where fixed elements live, does not.
# Emulated before the loader runs, as the browser's own object would behave.
KEYBOARD = """() => {
    const vv = new EventTarget();
    let keyboard = 0;
    Object.defineProperties(vv, {
        width: { get: () => innerWidth },
        height: { get: () => innerHeight - keyboard },
        offsetTop: { value: 0 },
        offsetLeft: { value: 0 },
        scale: { value: 1 },
    });
    Object.defineProperty(window, 'visualViewport', { value: vv, configurable: true });
    window.showKeyboard = (px) => { keyboard = px; vv.dispatchEvent(new Event('resize')); };
}"""


def test_the_panel_follows_the_visual_viewport_when_the_keyboard_is_up(
    browser: Browser, browser_log: Any, live_server: Any
) -> None:
    context = browser.new_context(locale="fr-FR", viewport={"width": 320, "height": 568})
    browser_log.watch(context, "person")
    try:
        page = context.new_page()
        page.add_init_script(f"({KEYBOARD})()")
        page.goto(live_server.partner_url + "/")
        page.locator('[data-pnav="open"]').click()
        chat = page.frame_locator('iframe[title="Chat"]')
        chat.locator('label[for="pnav-who-victim"]').click()
        chat.locator('label[for="pnav-what-domestic"]').click()
        chat.locator('[data-pnav="prechat-start"]').click()
        expect(chat.locator('[data-pnav="status"]')).to_have_attribute("data-state", "waiting")
        box = chat.locator('[data-pnav="message-input"]')
        box.fill("message")
        box.press("Enter")
        expect(chat.locator('[data-pnav="message"][data-state="sent"]')).to_have_count(1)
        # A typical phone keyboard, up while the message box has the focus: 260 of 568 px;
        # 308 px of the page remain visible.
        box.focus()
        page.evaluate("showKeyboard(260)")
        panel = page.locator('[data-pnav="panel"]')
        page.wait_for_function(
            "document.querySelector('[data-pnav=\"panel\"]').getBoundingClientRect().bottom <= 308"
        )
        rect = panel.evaluate("(e) => e.getBoundingClientRect().toJSON()")
        assert rect["top"] >= 0 and rect["bottom"] <= 308 and rect["width"] == 320, rect
        m = chat_frame(page).evaluate(MEASURE)
        print(
            f"\nkeyboard up: chat {m['height']}px, list {m['list']:.0f}px, shown {m['shown']:.0f}px"
        )
        assert m["height"] <= 308, m
        assert m["boxOnTop"], m
        assert m["boxTop"] >= 0 and m["boxBottom"] <= m["height"], m
        # The list keeps its 40 % (chat.css: 40vh of the frame, laid out to 1/64 px).
        assert m["list"] >= 0.4 * m["height"] - 1, m
        # Keyboard down: the panel takes the page above the banner again.
        page.evaluate("showKeyboard(0)")
        page.wait_for_function(
            "document.querySelector('[data-pnav=\"panel\"]').getBoundingClientRect().bottom > 308"
        )
    finally:
        context.close()
