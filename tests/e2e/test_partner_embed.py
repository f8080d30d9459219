"""Partners embed pnav the way they embed any widget (issue 13), on a real partner page in
Chromium: the JS API before and after the loader arrived, the partner's own launcher,
each display mode, events without data, an unregistered origin, and the whole chat
(messages both ways, resume code, quick exit) under strict Content-Security-Policies.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from partner_pages import EmbedEnv, embed_env
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from pnav.sdk.client import OperatorClient

# Argon2id at 64 MiB runs in the browser's WebAssembly: about a second, more on a busy machine.
KDF_TIMEOUT_MS = 20_000
CODE = re.compile(r"^\d{4} \d{4} \d{4} \d{4}$")


@pytest.fixture
def env(tmp_path: Path) -> Iterator[EmbedEnv]:
    with embed_env(tmp_path) as running:
        yield running


@pytest.fixture
def visitor(browser: Browser, browser_log: Any) -> Iterator[Any]:
    """``visitor()``: a new page in a browser context of its own (a fresh profile)."""
    contexts: list[BrowserContext] = []

    def new_page() -> Page:
        context = browser.new_context(locale="fr-FR")
        context.set_default_timeout(10_000)
        browser_log.watch(context, f"person{len(contexts)}")
        contexts.append(context)
        return context.new_page()

    yield new_page
    for context in contexts:
        context.close()


@pytest.fixture
def op(env: EmbedEnv) -> Iterator[OperatorClient]:
    client = OperatorClient.login(env.server, env.operator, env.password)
    yield client
    client.close()


def _events(page: Page) -> list[list[Any]]:
    events: list[list[Any]] = page.evaluate("window.pnavEvents")
    return events


def _panel(page: Page) -> Any:
    return page.locator('[data-pnav="panel"]')


def _start_chat(page: Page) -> None:
    chat = page.frame_locator('iframe[title="Chat"]')
    expect(chat.locator('[data-pnav="prechat-start"]')).to_be_visible()
    chat.locator('label[for="pnav-who-victim"]').click()
    chat.locator('label[for="pnav-what-domestic"]').click()
    chat.locator('[data-pnav="prechat-start"]').click()
    expect(chat.locator('[data-pnav="status"]')).to_have_attribute("data-state", "waiting")


# ------------------------------------------------------------------------ the API


def test_api_calls_made_before_the_loader_arrived_are_played_in_order(
    env: EmbedEnv, visitor: Any
) -> None:
    page = visitor()
    page.goto(env.page(queue="open"))
    # The page queued 'on' and 'open' on a plain array; the loader drained it.
    assert page.evaluate("window.queuedBeforeLoader") is True
    expect(_panel(page)).to_be_visible()
    expect(
        page.frame_locator('iframe[title="Chat"]').locator('[data-pnav="prechat-start"]')
    ).to_be_visible()
    assert page.evaluate("typeof window.pnav.open") == "function"
    page.evaluate("pnav.close()")
    expect(_panel(page)).to_be_hidden()
    page.evaluate("pnav.push(['open'])")
    expect(_panel(page)).to_be_visible()
    # A listener added now still hears 'ready', which happened before it.
    page.evaluate("new Promise((r) => pnav.on('ready', r))")
    page.evaluate("pnav.close()")
    expect(_panel(page)).to_be_hidden()
    # Every event, with no argument at all: events carry no data.
    page.wait_for_function("pnavEvents.filter((e) => e[0] === 'close').length === 2")
    assert _events(page) == [
        ["ready", 0],
        ["open", 0],
        ["close", 0],
        ["open", 0],
        ["close", 0],
    ]


def test_the_exit_event_fires_without_data_and_the_page_leaves(env: EmbedEnv, visitor: Any) -> None:
    page = visitor()
    heard: list[tuple[str, int]] = []
    page.expose_function("recordEvent", lambda name, count: heard.append((name, count)))
    page.goto(env.page())
    expect(page.locator('[data-pnav="banner"]')).to_be_visible()
    page.evaluate("pnav.exit()")
    page.wait_for_url(env.site + "/meteo")
    assert ("exit", 0) in heard
    assert all(count == 0 for _, count in heard)


def test_a_partner_button_opens_the_chat(env: EmbedEnv, visitor: Any) -> None:
    page = visitor()
    page.goto(env.page(launcher="#talk"))
    expect(page.locator('[data-pnav="banner"]')).to_be_visible()
    page.locator("#talk").click()
    expect(_panel(page)).to_be_visible()
    _start_chat(page)
    # The chat's own minimise button closes it; focus goes back to the open button.
    page.frame_locator('iframe[title="Chat"]').locator('[data-pnav="minimise"]').click()
    expect(_panel(page)).to_be_hidden()
    page.wait_for_function("pnavEvents.some((e) => e[0] === 'close')")


# ---------------------------------------------------------------------- the modes


def _leave_is_first_in_tab_order(page: Page) -> None:
    # From the top of the page (the chat frame, when open, holds the focus): the body
    # becomes the starting point of sequential focus navigation.
    page.evaluate("document.body.tabIndex = -1; document.body.focus()")
    page.keyboard.press("Tab")
    expect(page.locator('[data-pnav="leave"]')).to_be_focused()


def test_banner_mode_spans_the_bottom_of_the_page(env: EmbedEnv, visitor: Any) -> None:
    page = visitor()
    page.set_viewport_size({"width": 1024, "height": 700})
    page.goto(env.page())
    bar = page.locator('[data-pnav="banner"]')
    expect(bar).to_be_visible()
    box = bar.bounding_box()
    assert box and box["width"] == 1024 and box["y"] + box["height"] == 700
    expect(page.locator('[data-pnav="exit"]')).to_be_visible()
    _leave_is_first_in_tab_order(page)


def test_corner_mode_shows_quick_exit_whenever_the_chat_is_open(
    env: EmbedEnv, visitor: Any
) -> None:
    page = visitor()
    page.set_viewport_size({"width": 1024, "height": 700})
    page.goto(env.page("corner"))
    open_button = page.locator('[data-pnav="open"]')
    expect(open_button).to_be_visible()
    box = page.locator('[data-pnav="banner"]').bounding_box()
    assert box and box["x"] == 16 and box["width"] < 400, box
    exit_button = page.locator('[data-pnav="exit"]')
    expect(exit_button).to_be_hidden()
    _leave_is_first_in_tab_order(page)
    open_button.click()
    expect(_panel(page)).to_be_visible()
    # The chat, once drawn, takes the focus into its frame (main.js, showPrechat): wait
    # for it, or that focus lands after the Tab below and the check races it.
    chat = page.frame_locator('iframe[title="Chat"]')
    expect(chat.locator('[data-pnav="prechat-start"]')).to_be_visible()
    expect(exit_button).to_be_visible()
    panel_box = _panel(page).bounding_box()
    assert panel_box and panel_box["x"] == 16, panel_box  # on the corner's side
    _leave_is_first_in_tab_order(page)
    open_button.click()  # minimise
    expect(_panel(page)).to_be_hidden()
    expect(exit_button).to_be_hidden()


def test_launcher_mode_shows_nothing_until_the_partners_button_opens_it(
    env: EmbedEnv, visitor: Any
) -> None:
    page = visitor()
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(env.page("launcher", launcher="#talk"))
    page.wait_for_function("pnavEvents.some((e) => e[0] === 'ready')")
    expect(page.locator('[data-pnav="banner"]')).to_be_hidden()
    expect(page.locator('[data-pnav="open"]')).to_have_count(0)
    _leave_is_first_in_tab_order(page)
    page.locator("#talk").click()
    expect(_panel(page)).to_be_visible()
    exit_button = page.locator('[data-pnav="exit"]')
    expect(exit_button).to_be_visible()
    # At 320 px the panel takes the screen above the quick exit, which stays on it.
    exit_box, panel_box = exit_button.bounding_box(), _panel(page).bounding_box()
    assert exit_box and panel_box
    assert panel_box["y"] + panel_box["height"] <= exit_box["y"] + 0.5
    assert exit_box["y"] + exit_box["height"] <= 640
    page.evaluate("pnav.close()")
    expect(exit_button).to_be_hidden()
    exit_button_after = page.locator('[data-pnav="exit"]')
    expect(exit_button_after).to_be_hidden()
    page.locator("#talk").click()
    exit_button.click()
    page.wait_for_url(env.site + "/meteo")


def test_the_banner_reads_right_to_left_at_320_px(env: EmbedEnv, visitor: Any) -> None:
    page = visitor()
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(env.page(lang="ar"))
    bar = page.locator('[data-pnav="banner"]')
    expect(bar).to_have_attribute("dir", "rtl")
    expect(bar).to_have_attribute("lang", "ar")
    open_button, exit_button = (
        page.locator('[data-pnav="open"]'),
        page.locator('[data-pnav="exit"]'),
    )
    expect(open_button).to_have_text("تحدث إلى شخص ما")
    leave_nav = page.locator('nav:has(> [data-pnav="leave"])')
    expect(leave_nav).to_have_attribute("dir", "rtl")
    expect(leave_nav).to_have_attribute("aria-label", "غادر هذا الموقع بسرعة")
    # Controls start from the right (here wrapped on two rows), nothing wider than the screen.
    open_box, exit_box = open_button.bounding_box(), exit_button.bounding_box()
    assert open_box and exit_box
    for box in (open_box, exit_box):
        assert box["x"] + box["width"] == pytest.approx(320 - 12, abs=1), box
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    open_button.click()
    expect(_panel(page)).to_be_visible()
    expect(exit_button).to_be_in_viewport()


# ------------------------------------------------------------ unregistered origin


def test_an_unregistered_origin_shows_no_banner_one_error_one_warning(
    env: EmbedEnv, browser: Browser, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="pnav.partners")
    # Its own context: the console error is expected here, not a failure.
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        where = message.location.get("url", "") if message.location else ""
        if message.type == "error" and not where.endswith("/favicon.ico"):
            errors.append(message.text)

    page.on("console", on_console)
    try:
        for _ in range(2):
            page.goto(env.page("stranger"))
            page.wait_for_function("pnavEvents.some((e) => e[0] === 'unavailable')")
            expect(page.locator('[data-pnav="banner"]')).to_have_count(0)
            expect(page.locator('[data-pnav="leave"]')).to_have_count(0)
            page.evaluate("pnav.open()")
            expect(_panel(page)).to_have_count(0)
    finally:
        context.close()
    assert len(errors) == 2, "\n".join(errors)  # one per page view
    assert 'not registered for partner "stranger"' in errors[0]
    assert "origins in [partners.stranger]" in errors[0]
    assert errors[0].endswith(env.site), errors[0]
    warnings = [r.getMessage() for r in caplog.records if r.name == "pnav.partners"]
    assert len(warnings) == 1, warnings  # once an hour
    assert f'refused origin "{env.site}" for partner' in warnings[0]
    assert "127.0.0.1" not in warnings[0].replace(env.site, "")


# -------------------------------------------------------------------- any CSP


@pytest.mark.parametrize("csp", ["documented", "none", "strict", "trusted-types"])
def test_the_chat_works_under_the_partners_csp(
    env: EmbedEnv, visitor: Any, op: OperatorClient, csp: str
) -> None:
    page = visitor()
    page.goto(env.page(csp=csp))
    page.locator('[data-pnav="open"]').click()
    _start_chat(page)
    chat = page.frame_locator('iframe[title="Chat"]')
    while not (waiting := op.wait_queue()):
        pass
    conv = waiting[0]["conv"]
    op.accept(conv)
    expect(chat.locator('[data-pnav="status"]')).to_have_attribute("data-state", "active")
    # Messages both ways.
    box = chat.locator('[data-pnav="message-input"]')
    box.fill(f"bonjour sous {csp}")
    box.press("Enter")
    mine = chat.locator('[data-pnav="message"][data-from="person"]').filter(has_text=csp)
    expect(mine).to_have_attribute("data-state", "sent")
    assert op.receive().text == f"bonjour sous {csp}"
    op.send(conv, f"réponse sous {csp}")
    theirs = chat.locator('[data-pnav="message"][data-from="operator"] .pnav-message__text')
    expect(theirs).to_have_text([f"réponse sous {csp}"])
    # A resume code: Argon2id in WebAssembly inside the chat frame.
    chat.locator('[data-pnav="resume-get"]').click()
    shown = chat.locator('[data-pnav="resume-code"]')
    expect(shown).to_be_visible(timeout=KDF_TIMEOUT_MS)
    code = shown.inner_text().strip()
    assert CODE.match(code), code
    chat.locator('[data-pnav="resume-hide"]').click()
    assert page.evaluate("violations") == []
    # Quick exit.
    page.locator('[data-pnav="exit"]').click()
    page.wait_for_url(env.site + "/meteo")
    op.wait("presence", conv=conv, person="quick_exit")
    # Back with the code, on a fresh browser, under the same policy.
    again = visitor()
    again.goto(env.page(csp=csp))
    again.locator('[data-pnav="open"]').click()
    back = again.frame_locator('iframe[title="Chat"]')
    back.locator('[data-pnav="prechat-have-code"]').click()
    back.locator('[data-pnav="resume-input"]').fill(code)
    back.locator('[data-pnav="resume-submit"]').click()
    expect(back.locator('[data-pnav="status"]')).to_have_attribute(
        "data-state", "active", timeout=KDF_TIMEOUT_MS
    )
    texts = back.locator('[data-pnav="message"] .pnav-message__text')
    expect(texts).to_have_text([f"bonjour sous {csp}", f"réponse sous {csp}"])
    assert again.evaluate("violations") == []
    # (Any CSP violation in either page or its chat frame is a console error, which
    # fails the test through the browser_log fixture.)


# ---------------------------------------------------------------- accessibility


@pytest.mark.parametrize(
    ("partner", "options"),
    [("demo", {}), ("corner", {}), ("launcher", {"launcher": "#talk"}), ("demo", {"lang": "ar"})],
)
def test_each_mode_passes_axe_closed_and_open(
    env: EmbedEnv, visitor: Any, partner: str, options: dict[str, str]
) -> None:
    # The shared axe-core helper and package come with the accessibility work (issue 11).
    accessibility = pytest.importorskip("accessibility")
    if not accessibility.AXE.is_file():
        pytest.skip("axe-core is not in widget/node_modules")
    page = visitor()
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(env.page(partner, **options))
    page.wait_for_function("pnavEvents.some((e) => e[0] === 'ready')")
    closed = accessibility.axe_violations(page)
    assert not closed, accessibility.describe(closed)
    page.evaluate("pnav.open()")
    expect(_panel(page)).to_be_visible()
    expect(page.locator('[data-pnav="exit"]')).to_be_visible()
    opened = accessibility.axe_violations(page)
    assert not opened, accessibility.describe(opened)
