"""The axe-core matrix (issue 11 §9): zero violations of any impact in every view a
person or an operator meets, at 1280x800 and 320x568, in French, English and Arabic.

One walk per language and size: the partner page with its banner; the chat's language
choice and pre-chat, resume-code entry, waiting, conversation, the duress view and the
closed state; the console's login, queue, a conversation with every tool open, the
floor; the statistics page. The console ships in French and English: in the Arabic
walk it shows in English (the browser asks for Arabic first, French or English next);
the statistics page has an Arabic table and shows right to left.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from accessibility import axe_violations, chat_frame, describe
from playwright.sync_api import Browser, BrowserContext, Frame, Page, expect

SIZES = {"1280x800": {"width": 1280, "height": 800}, "320x568": {"width": 320, "height": 568}}
LOCALES = {"fr": "fr-FR", "en": "en-GB", "ar": "ar"}
LOGIN_TIMEOUT_MS = 20_000


class Walk:
    """Collects the violations of each view, to report them all at once."""

    def __init__(self) -> None:
        self.found: dict[str, list[dict[str, Any]]] = {}

    def check(self, view: str, target: Page | Frame) -> None:
        violations = axe_violations(target)
        if violations:
            self.found[view] = violations

    def report(self) -> str:
        return "\n".join(f"{view}:\n{describe(v)}" for view, v in self.found.items())


@pytest.fixture
def contexts(browser: Browser, browser_log: Any) -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def _open(
    browser: Browser, log: Any, opened: list[BrowserContext], name: str, **options: Any
) -> Page:
    context = browser.new_context(**options)
    context.set_default_timeout(10_000)
    log.watch(context, name)
    opened.append(context)
    page = context.new_page()
    log.watch_page(page, name)
    return page


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("lang", list(LOCALES))
def test_every_view_passes_axe(
    browser: Browser,
    browser_log: Any,
    contexts: list[BrowserContext],
    live_server: Any,
    lang: str,
    size: str,
) -> None:
    walk = Walk()
    viewport = SIZES[size]
    locale = LOCALES[lang]
    page = _open(browser, browser_log, contexts, "person", locale=locale, viewport=viewport)
    desk = _open(browser, browser_log, contexts, "operator", locale=locale, viewport=viewport)

    page.goto(f"{live_server.partner_url}/?lang={lang}")
    expect(page.locator('[data-pnav="banner"]')).to_be_visible()
    walk.check("partner page with banner", page)

    page.locator('[data-pnav="open"]').click()
    chat = page.frame_locator('iframe[title="Chat"]')
    expect(chat.locator('[data-pnav="prechat-start"]')).to_be_visible()
    frame = chat_frame(page)
    expect(chat.locator("html")).to_have_attribute("lang", lang)
    expect(chat.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    walk.check("chat: pre-chat", frame)
    # Language, danger and start on the first screen, at 320x568 too.
    expect(chat.locator('[data-pnav="prechat-start"]')).to_be_in_viewport()
    chat.locator('[data-pnav="prechat-write-search"]').fill("ti")
    walk.check("chat: language choice (searching)", frame)

    chat.locator('[data-pnav="prechat-have-code"]').click()
    expect(chat.locator('[data-pnav="resume-input"]')).to_be_visible()
    walk.check("chat: resume-code entry", frame)
    chat.locator('[data-pnav="resume-back"]').click()

    chat.locator('label[for="pnav-who-victim"]').click()
    chat.locator('label[for="pnav-what-domestic"]').click()
    chat.locator('[data-pnav="prechat-start"]').click()
    status = chat.locator('[data-pnav="status"]')
    expect(status).to_have_attribute("data-state", "waiting")
    walk.check("chat: waiting", frame)

    desk.goto(live_server.url + "/console")
    walk.check("console: login", desk)
    desk.locator('[data-pnav="login-user"]').fill(live_server.operator)
    desk.locator('[data-pnav="login-password"]').fill(live_server.password)
    desk.locator('[data-pnav="login-submit"]').click()
    expect(desk.locator('[data-pnav="desk"]')).to_be_visible(timeout=LOGIN_TIMEOUT_MS)
    expect(desk.locator('[data-pnav="queue-item"]')).to_have_count(1)
    walk.check("console: queue and floor", desk)

    desk.locator('[data-pnav="accept"]').click()
    panel = desk.locator('[data-pnav="conversation"]:visible')
    expect(panel).to_be_visible()
    panel.locator('[data-pnav="reply-input"]').fill("Bonjour, je vous écoute.")
    panel.locator('[data-pnav="reply-send"]').click()
    expect(status).to_have_attribute("data-state", "active")
    box = chat.locator('[data-pnav="message-input"]')
    box.fill("مرحبا، أحتاج إلى مساعدة")
    box.press("Enter")
    expect(chat.locator('[data-pnav="message"][data-from="operator"]')).to_have_count(1)
    expect(panel.locator('[data-pnav="message"][data-from="person"]')).to_have_count(1)
    walk.check("chat: conversation", frame)
    for details in panel.locator("details").all():
        details.evaluate("(d) => { d.open = true; }")
    walk.check("console: conversation with every tool open", desk)

    chat.locator('[data-pnav="duress"]').click()
    expect(chat.locator('[data-pnav="duress-view"]')).to_be_visible()
    walk.check("chat: duress view", frame)
    chat.locator('[data-pnav="duress-end"]').click()

    panel.locator('[data-pnav="outcome"]').select_option(index=1)
    panel.locator('[data-pnav="close"]').press("Enter")
    expect(status).to_have_attribute("data-state", "closed")
    walk.check("chat: closed", frame)

    desk.goto(live_server.url + "/console/stats")
    expect(desk.locator("html")).to_have_attribute("lang", lang)
    expect(desk.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    walk.check("statistics page", desk)

    assert not walk.found, f"axe violations ({lang}, {size}):\n{walk.report()}"


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("partner", ["demo", "corner"])
@pytest.mark.parametrize("theme", ["#ffe066", "#f0f0f0"])
def test_a_light_partner_theme_passes_axe(
    browser: Browser,
    browser_log: Any,
    contexts: list[BrowserContext],
    tmp_path: Any,
    partner: str,
    theme: str,
    size: str,
) -> None:
    """A page's light theme colour (data-pnav-theme) with the partner's white text would
    read at 1.3:1; the loader picks black for it itself (issue 11 §7), in the banner and
    on the corner button, whose text sits on the theme colour."""
    from partner_pages import embed_env

    with embed_env(tmp_path) as env:
        page = _open(browser, browser_log, contexts, "person", locale="fr-FR", viewport=SIZES[size])
        page.goto(env.page(partner, theme=theme))
        opener = page.locator('[data-pnav="open"]')
        expect(opener).to_be_visible()
        holder = page.locator('[data-pnav="banner"]') if partner == "demo" else opener
        assert holder.evaluate("(e) => getComputedStyle(e).color") in {
            "rgb(0, 0, 0)",
            "color(srgb-linear 0 0 0)",
        }
        violations = axe_violations(page)
        assert not violations, describe(violations)
