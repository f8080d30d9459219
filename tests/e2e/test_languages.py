"""Interface languages in real Chromium (issue 11 §1-4, §8), on a platform without a
translator: the page's and the browser's languages pick the chat's; Arabic lays the chat
out right to left; messages and inputs take their own direction; the console says there
is no translator and warns before a reply goes out untranslated.
(With a translator: test_machine_languages.py.)
"""

from __future__ import annotations

from typing import Any

from accessibility import axe_violations, describe
from playwright.sync_api import Browser, Route, expect


def _open(person: Any, lang: str = "fr") -> Any:
    person.page.goto(f"{person.live.partner_url}/?lang={lang}")
    person.page.locator('[data-pnav="open"]').click()
    chat = person.chat
    expect(chat.locator('[data-pnav="prechat-start"]')).to_be_visible()
    return chat


def _start(chat: Any, writes: str | None = None) -> None:
    if writes:
        chat.locator('[data-pnav="prechat-write-lang"]').select_option(writes)
    chat.locator('label[for="pnav-who-victim"]').click()
    chat.locator('label[for="pnav-what-domestic"]').click()
    chat.locator('[data-pnav="prechat-start"]').click()
    expect(chat.locator('[data-pnav="status"]')).to_have_attribute("data-state", "waiting")


def test_an_arabic_page_opens_the_chat_in_arabic_right_to_left(person: Any) -> None:
    chat = _open(person, "ar")
    html = chat.locator("html")
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    expect(chat.locator('[data-pnav="prechat-start"]')).to_have_text("ابدأ المحادثة")
    # The language choice is the first control of the form.
    first = chat.locator('[data-pnav="prechat"] :is(select, input, button)').first
    expect(first).to_have_attribute("data-pnav", "prechat-lang")
    # Mirrored: the header's title sits at the right, its buttons at the left.
    box = person.page.locator('iframe[title="Chat"]').bounding_box()
    title = chat.locator(".pnav-title").bounding_box()
    close = chat.locator('[data-pnav="minimise"]').bounding_box()
    assert box and title and close
    assert close["x"] < title["x"], (close, title)
    # Another language, fetched on demand; nothing changes in the page's storage.
    chat.locator('[data-pnav="prechat-lang"]').select_option("uk")
    expect(html).to_have_attribute("dir", "ltr")
    expect(chat.locator('[data-pnav="prechat-start"]')).to_have_text("Почати чат")
    assert person.storage()["localStorage"] == 0


def test_the_browser_s_languages_come_after_the_page_s(browser: Browser, live_server: Any) -> None:
    # The browser's languages as a person's browser has them: its own setting, from
    # start-up. (Playwright's per-context `locale` reaches the chat frame late:
    # Chromium runs a sandboxed frame in a process of its own, and in about one run in
    # fifteen its script read navigator.languages as ["en-US", "en"] before the
    # override arrived, so the chat asked for bn,en-US and came up in English.)
    persian = browser.browser_type.launch(
        executable_path="/usr/bin/chromium",
        args=["--no-sandbox", "--disable-gpu", "--accept-lang=fa-IR,fa"],
    )
    try:
        page = persian.new_context().new_page()
        # A page in a language with no table and no translator: the browser's Persian wins.
        page.goto(f"{live_server.partner_url}/?lang=bn")
        page.locator('[data-pnav="open"]').click()
        chat = page.frame_locator('iframe[title="Chat"]')
        expect(chat.locator("html")).to_have_attribute("lang", "fa")
        expect(chat.locator("html")).to_have_attribute("dir", "rtl")
        expect(chat.locator('[data-pnav="prechat-start"]')).to_be_visible()
    finally:
        persian.close()


def test_a_chat_that_gets_no_strings_says_so_in_the_page_s_language(
    browser: Browser, live_server: Any
) -> None:
    context = browser.new_context(locale="fr-FR")
    try:
        refused: list[str] = []

        def refuse(route: Route) -> None:
            refused.append(route.request.url)
            route.abort()

        context.route("**/widget/locale.js?*", refuse)
        page = context.new_page()
        page.goto(f"{live_server.partner_url}/?lang=fr")
        page.locator('[data-pnav="open"]').click()
        alert = page.locator('[data-pnav="error"]')
        expect(alert).to_be_visible()
        expect(alert).to_contain_text("indisponible")
        assert len(refused) == 2, refused  # one try, then once more; never English
        assert not axe_violations(page), describe(axe_violations(page))
        chat = page.frame_locator('iframe[title="Chat"]')
        expect(chat.locator('[data-pnav="prechat"]')).to_have_count(0)
        expect(chat.locator("html")).to_have_attribute("lang", "fr")
        # The server answers again: "Try again" brings the chat, in French.
        context.unroute("**/widget/locale.js?*")
        alert.get_by_role("button").click()
        expect(alert).to_be_hidden()
        expect(chat.locator('[data-pnav="prechat-start"]')).to_have_text("Commencer la discussion")
        assert len(page.frames) == 2  # the old frame is gone, not navigated
    finally:
        context.close()


def test_messages_take_their_own_direction(person: Any, operator: Any) -> None:
    chat = _open(person, "fr")
    _start(chat)
    operator.login()
    operator.accept()
    person.send("مرحبا")
    message = person.chat.locator('[data-pnav="message"][data-from="person"] .pnav-message__text')
    expect(message).to_have_attribute("dir", "auto")
    expect(person.chat.locator('[data-pnav="message-input"]')).to_have_attribute("dir", "auto")
    on_console = operator.panel.locator('[data-pnav="message"] .c-message__text')
    expect(on_console).to_have_attribute("dir", "auto")
    expect(operator.panel.locator('[data-pnav="reply-input"]')).to_have_attribute("dir", "auto")
    # Only what arrives is announced: the person's own message is not in a live region.
    assert chat.locator('[aria-live] [data-pnav="message"]').count() == 0


def test_without_a_translator_the_console_says_so_and_warns_before_an_untranslated_reply(
    person: Any, operator: Any
) -> None:
    chat = _open(person, "fr")
    _start(chat, writes="ar")
    operator.login()
    operator.accept()
    panel = operator.panel
    expect(panel.locator('[data-pnav="translate-none"]')).to_be_visible()
    expect(panel.locator('[data-pnav="translate-toggle"]')).to_have_count(0)
    box = panel.locator('[data-pnav="reply-input"]')
    box.fill("Hello")
    warning = panel.locator('[data-pnav="untranslated-warning"]')
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Arabic")
    operator.reply("Hello")
    sent = panel.locator('[data-pnav="message"][data-from="operator"]')
    expect(sent).to_have_attribute("data-translation", "untranslated")
    expect(sent.locator('[data-pnav="translation-label"]')).to_contain_text("Arabic")
