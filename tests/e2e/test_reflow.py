"""Reflow (issue 11 §5, WCAG 2.2 SC 1.4.10): on a 320x568 phone screen and at 400 % zoom
of a 1280x800 window (a 320x200 CSS-pixel viewport), the chat's message box is on screen
and not covered, and the message list takes at least 40 % of the chat's height.

The operator console at 320x568 (login, queue and floor, a conversation with every tool
open): no control lies under another, nothing scrolls sideways, and the reply box takes
the width of the screen (it was once squeezed to 20 px between the untranslated-reply
warning and the send column).

The measure is the chat frame's own height: the loader's banner (quick exit, always on
screen) takes the rest of the window. Figures are printed for docs/accessibility.md.
"""

from __future__ import annotations

from typing import Any

import pytest
from accessibility import chat_frame
from playwright.sync_api import Browser, FrameLocator, Page, expect

from pnav.sdk.client import PersonClient

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


def _open_chat(page: Page) -> FrameLocator:
    """Open the chat from the banner and start a conversation; the chat, waiting."""
    page.locator('[data-pnav="open"]').click()
    chat = page.frame_locator('iframe[title="Chat"]')
    chat.locator('label[for="pnav-who-victim"]').click()
    chat.locator('label[for="pnav-what-domestic"]').click()
    chat.locator('[data-pnav="prechat-start"]').click()
    expect(chat.locator('[data-pnav="status"]')).to_have_attribute("data-state", "waiting")
    return chat


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
        chat = _open_chat(page)
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
        chat = _open_chat(page)
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
        # The list keeps its 40 % (chat.css: 40vh of the frame, laid out to 1/64 px), and
        # the chat keeps its end in view above the box (conversation.js, on resize).
        assert m["list"] >= 0.4 * m["height"] - 1, m
        assert m["shown"] >= 0.4 * m["height"] - 1, m
        # Keyboard down: the panel takes the page above the banner again.
        page.evaluate("showKeyboard(0)")
        page.wait_for_function(
            "document.querySelector('[data-pnav=\"panel\"]').getBoundingClientRect().bottom > 308"
        )
    finally:
        context.close()


# Every control on screen in the console: not covered by another element (checked at
# its centre, scrolled into view), and no sideways scrolling of the page.
CONSOLE_COVERED = """() => {
    const covered = [];
    const controls = document.querySelectorAll(
        'button, input, select, textarea, summary, a[href], [tabindex="0"]');
    for (const el of controls) {
        const r = el.getBoundingClientRect();
        // checkVisibility: not in a closed <details> (its content is laid out, unseen).
        if (!r.width || !r.height || !el.checkVisibility({ visibilityProperty: true })) continue;
        el.scrollIntoView({ block: 'center', inline: 'center' });
        const s = el.getBoundingClientRect();
        const hit = document.elementFromPoint(s.left + s.width / 2, s.top + s.height / 2);
        if (hit && hit !== el && !el.contains(hit) && !hit.contains(el)) {
            const name = (e) => e.tagName.toLowerCase()
                + (e.dataset.pnav ? `[${e.dataset.pnav}]` : '')
                + (typeof e.className === 'string' && e.className
                    ? '.' + e.className.split(' ')[0] : '');
            covered.push(`${name(el)} under ${name(hit)}`);
        }
    }
    return { covered, wide: document.scrollingElement.scrollWidth - innerWidth };
}"""


def test_the_console_at_320_px_has_nothing_overlapping_and_the_reply_box_on_screen(
    browser: Browser, browser_log: Any, live_server: Any
) -> None:
    person = PersonClient.start(live_server.url, "demo", live_server.origin)
    context = browser.new_context(locale="en-GB", viewport={"width": 320, "height": 568})
    browser_log.watch(context, "operator")
    try:
        desk = context.new_page()
        desk.goto(live_server.url + "/console")
        views: dict[str, Any] = {"login": desk.evaluate(CONSOLE_COVERED)}
        desk.locator('[data-pnav="login-user"]').fill(live_server.operator)
        desk.locator('[data-pnav="login-password"]').fill(live_server.password)
        desk.locator('[data-pnav="login-submit"]').click()
        expect(desk.locator('[data-pnav="desk"]')).to_be_visible(timeout=20_000)
        expect(desk.locator('[data-pnav="queue-item"]')).to_have_count(1)
        views["queue and floor"] = desk.evaluate(CONSOLE_COVERED)
        desk.locator('[data-pnav="accept"]').click()
        panel = desk.locator('[data-pnav="conversation"]:visible')
        expect(panel).to_be_visible()
        for details in panel.locator("details").all():
            details.evaluate("(d) => { d.open = true; }")
        views["conversation with every tool open"] = desk.evaluate(CONSOLE_COVERED)
        box = panel.locator('[data-pnav="reply-input"]')
        box.scroll_into_view_if_needed()
        expect(box).to_be_in_viewport()
        # Not squeezed beside the warning and the send column: the whole width.
        box.fill("Bonjour")  # a person writing French: the untranslated warning shows
        expect(panel.locator('[data-pnav="untranslated-warning"]')).to_be_visible()
        shape = box.bounding_box()
        assert shape and shape["width"] >= 0.8 * 320 - 64, shape
        # A pointer reaches the send button (nothing lies over it).
        panel.locator('[data-pnav="reply-send"]').click(timeout=5_000)
        expect(panel.locator('[data-pnav="message"][data-from="operator"]')).to_have_count(1)
        bad = {v: m for v, m in views.items() if m["covered"] or m["wide"] > 0}
        assert not bad, bad
    finally:
        context.close()
        person.close()
