"""A referral card's web site (issue 17 §2): before it opens, one line says the site
will stay in the browser's history and offers to copy the address instead; the tab
the chat opens is closed again by quick exit.

The help site stands on another origin (``localhost`` instead of ``127.0.0.1``): it
gets no referrer and cannot navigate the partner's page.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Frame, Page, expect

from pnav.sdk.client import OperatorClient

AXE = Path(__file__).resolve().parents[2] / "widget" / "node_modules" / "axe-core" / "axe.min.js"
CARD = {
    "name": "Aide aux victimes 35",
    "description": "Écoute et accompagnement",
    "phone": "0299000000",
    "sms": "",
    "url": "",
    "email": "",
    "hours": "24/7",
}


def _chat_frame(page: Page) -> Frame:
    return next(f for f in page.frames if f.url == "about:srcdoc")


def _axe(frame: Frame) -> list[dict[str, Any]]:
    """axe-core's violations in ``frame`` (evaluated through DevTools, so the chat's
    own CSP does not stop it)."""
    if not AXE.is_file():
        pytest.fail("axe-core is missing: run `npm --prefix widget install`")
    frame.evaluate(AXE.read_text())
    result: dict[str, Any] = frame.evaluate(
        """async () => (await axe.run(document, {preload: false, resultTypes: ['violations']}))
             .violations.map((v) => ({id: v.id, nodes: v.nodes.map((n) => n.target)}))"""
    )
    return list(result)


@pytest.fixture
def card_in_chat(person: Any, live_server: Any) -> str:
    """A person in a conversation with an operator, who sent a card whose web address
    is on another origin; that address."""
    help_url = live_server.partner_url.replace("127.0.0.1", "localhost") + "/meteo"
    op = OperatorClient.login(live_server.url, live_server.operator, live_server.password)
    try:
        person.goto_partner("/")
        person.open_chat()
        items: list[dict[str, Any]] = []
        while not items:  # the operator was there first: an empty queue, then this chat
            items = op.wait_queue()
        [item] = items
        op.accept(item["conv"])
        expect(person.status).to_have_attribute("data-state", "active")
        op.send_referral(item["conv"], {**CARD, "url": help_url}, CARD["name"])
    finally:
        op.close()
    return help_url


def test_the_site_opens_only_after_a_notice_and_quick_exit_closes_it(
    person: Any, live_server: Any, card_in_chat: str, browser_log: Any
) -> None:
    page, help_url = person.page, card_in_chat
    person.context.grant_permissions(["clipboard-read", "clipboard-write"])
    card = person.chat.locator('[data-pnav="referral"]')
    site = card.locator('[data-pnav="referral-url"]')
    expect(site).to_have_text(help_url)

    site.click()
    notice = card.locator('[data-pnav="referral-notice"]')
    expect(notice).to_contain_text("Ce site restera dans l\u2019historique de votre navigateur.")
    assert len(person.context.pages) == 1, "the site opened before the person chose"
    expect(notice.locator('[data-pnav="referral-open"]')).to_be_focused()
    assert _axe(_chat_frame(page)) == []

    # Copy instead: the address is on the clipboard, nothing opened.
    notice.locator('[data-pnav="referral-copy"]').click()
    expect(notice.locator('[data-pnav="referral-copy-status"]')).to_have_text("Adresse copiée.")
    assert page.evaluate("navigator.clipboard.readText()") == help_url
    assert len(person.context.pages) == 1

    # Open: a new tab on the help site, with no referrer and no opener.
    with person.context.expect_page() as opened:
        notice.locator('[data-pnav="referral-open"]').click()
    tab = opened.value
    tab.wait_for_url(help_url)
    expect(tab.locator("h1")).to_have_text("Météo du jour")
    assert tab.evaluate("document.referrer") == ""
    # Its opener is a hidden blank frame of the partner page (so that the page can close
    # the tab): the help site can navigate neither that frame nor the partner page.
    refused = tab.evaluate(
        """() => ['opener', 'opener.top'].map((path) => {
             try {
               (path === 'opener' ? opener : opener.top).location.href = 'about:blank#taken';
               return path + ' navigated';
             } catch (e) { return e.name; }
           })"""
    )
    assert refused == ["SecurityError", "SecurityError"]
    # Chromium reports both refusals on the console: expected here.
    browser_log.errors[:] = [e for e in browser_log.errors if "Unsafe attempt to initiate" not in e]

    # Quick exit from the partner page closes that tab.
    page.bring_to_front()
    with tab.expect_event("close"):
        page.locator('[data-pnav="exit"]').click()
    page.wait_for_url(live_server.partner_url + "/meteo")
    assert tab.is_closed()
    assert person.context.pages == [page]


def test_a_tab_the_person_closed_does_not_stop_quick_exit(
    person: Any, live_server: Any, card_in_chat: str
) -> None:
    page = person.page
    person.chat.locator('[data-pnav="referral-url"]').click()
    with person.context.expect_page() as opened:
        person.chat.locator('[data-pnav="referral-open"]').click()
    opened.value.close()
    # The chat's own button this time; the tab is gone already.
    person.chat.locator('[data-pnav="chat-exit"]').click()
    page.wait_for_url(live_server.partner_url + "/meteo")
    assert person.context.pages == [page]


def test_the_notice_reads_right_to_left_and_at_320_px(
    person: Any, live_server: Any, card_in_chat: str
) -> None:
    page = person.page
    page.set_viewport_size({"width": 320, "height": 640})
    frame = _chat_frame(page)
    frame.evaluate("document.documentElement.dir = 'rtl'")
    person.chat.locator('[data-pnav="referral-url"]').click()
    notice = person.chat.locator('[data-pnav="referral-notice"]')
    expect(notice).to_be_visible()
    sizes = frame.evaluate(
        """() => {
          const n = document.querySelector('[data-pnav="referral-notice"]');
          const list = document.querySelector('[data-pnav="messages"]');
          const heights = [...n.querySelectorAll('button')]
            .map((b) => b.getBoundingClientRect().height);
          return {scroll: list.scrollWidth, client: list.clientWidth, buttons: heights};
        }"""
    )
    assert sizes["scroll"] <= sizes["client"], json.dumps(sizes)  # nothing cut off sideways
    assert all(h >= 44 for h in sizes["buttons"]), sizes
    assert _axe(frame) == []
