"""The "Shift three times" hint only where a physical keyboard is likely (issue 17 §4): a mouse or a
trackpad (``(hover: hover) and (pointer: fine)``) gets it; a touch screen, whose
on-screen keyboard cannot make the gesture, gets the button alone."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect


@pytest.mark.parametrize(
    ("device", "hint"),
    [
        (
            {"viewport": {"width": 1024, "height": 768}},
            "Sortie rapide : bouton en bas de page, ou appuyez 3 fois sur Maj.",
        ),
        (
            {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
            "Sortie rapide : bouton en bas de page.",
        ),
    ],
    ids=["keyboard-and-mouse", "touch-screen"],
)
def test_the_shift_hint_only_with_a_keyboard_likely(
    browser: Browser, browser_log: Any, live_server: Any, device: dict[str, Any], hint: str
) -> None:
    context = browser.new_context(locale="fr-FR", **device)
    context.set_default_timeout(10_000)
    browser_log.watch(context, "person")
    page = context.new_page()
    page.goto(live_server.partner_url + "/")
    page.locator('[data-pnav="open"]').click()
    chat = page.frame_locator('iframe[title="Chat"]')
    expect(chat.locator('[data-pnav="exit-hint"]')).to_have_text(hint)
    # The code entry ("I have a code") shows the same hint.
    chat.locator('[data-pnav="prechat-have-code"]').click()
    expect(chat.locator('[data-pnav="resume-entry"] [data-pnav="exit-hint"]')).to_have_text(hint)
    context.close()
