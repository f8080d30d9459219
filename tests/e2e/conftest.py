"""Browser end-to-end fixtures: real Chromium (Debian's, never a Playwright download)
driving the example partner page, the chat iframe and the operator console of a
live pnav server (the ``live_server`` fixture of tests/conftest.py).

Synchronisation is always on what the page shows (``expect``) or on browser events,
never on sleeps.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    FrameLocator,
    Locator,
    Page,
    expect,
    sync_playwright,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 10_000
# The console derives the operator's keys with Argon2id (64 MiB) in WebAssembly.
LOGIN_TIMEOUT_MS = 20_000

# Reports what the browser said (console, uncaught errors) under a failed test.
_BROWSER_LOG = pytest.StashKey[list[str]]()

# Console errors that do not fail a test (every other console error does): the example
# partner site and the console serve no favicon. (A socket's end reported as "Invalid
# frame header" is a failure: pnav.server.web.person.socket_route ends the TCP stream
# with the websocket, so Werkzeug's server writes nothing after the close frame.)
_HARMLESS = re.compile(r"/favicon\.ico\)$")

expect.set_options(timeout=TIMEOUT_MS)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    log = item.stash.get(_BROWSER_LOG, None)
    if log and report.failed:
        report.sections.append((f"browser log ({report.when})", "\n".join(log)))
    return report


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class BrowserLog:
    """Everything the pages of one test said. Uncaught page errors, crashes and console
    errors (but the known harmless ones) fail the test at teardown; the whole log is
    shown under any failed test."""

    lines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _pages: set[int] = field(default_factory=set)

    def watch(self, context: BrowserContext, name: str) -> None:
        context.on("page", lambda page: self.watch_page(page, name))

    def watch_page(self, page: Page, name: str) -> None:
        if id(page) in self._pages:
            return
        self._pages.add(id(page))

        def on_console(msg: ConsoleMessage) -> None:
            where = msg.location.get("url", "") if msg.location else ""
            line = f"[{name} console.{msg.type}] {msg.text} ({where})"
            self.lines.append(line)
            if msg.type == "error" and not _HARMLESS.search(line):
                self.errors.append(line)

        def on_pageerror(error: Exception) -> None:
            line = f"[{name} pageerror] {getattr(error, 'stack', None) or error}"
            self.lines.append(line)
            self.errors.append(line)

        page.on("console", on_console)
        page.on("pageerror", on_pageerror)
        page.on("crash", lambda _: self.errors.append(f"[{name}] page crashed"))


@pytest.fixture
def browser_log(request: pytest.FixtureRequest) -> Iterator[BrowserLog]:
    log = BrowserLog()
    request.node.stash[_BROWSER_LOG] = log.lines
    yield log
    if log.errors:
        pytest.fail("the browser reported errors:\n" + "\n".join(log.errors), pytrace=False)


def _context(browser: Browser, log: BrowserLog, name: str, **options: Any) -> BrowserContext:
    context = browser.new_context(**options)
    context.set_default_timeout(TIMEOUT_MS)
    log.watch(context, name)
    return context


def _page(context: BrowserContext, log: BrowserLog, name: str) -> Page:
    page = context.new_page()
    log.watch_page(page, name)  # also done by the context's "page" event; idempotent
    return page


# --------------------------------------------------------------------------- person


class PersonBrowser:
    """A person on the partner page, in a fresh browser context (a fresh profile)."""

    def __init__(self, context: BrowserContext, page: Page, live_server: Any) -> None:
        self.context = context
        self.page = page
        self.live = live_server

    @property
    def chat(self) -> FrameLocator:
        return self.page.frame_locator('iframe[title="Chat"]')

    def goto_partner(self, path: str = "/") -> None:
        self.page.goto(self.live.partner_url + path)
        expect(self.page.locator('[data-pnav="banner"]')).to_be_visible()

    def open_chat(self, who: str = "victim", what: str = "domestic") -> None:
        """Click the banner, pass the pre-chat form, wait to be in the queue."""
        self.page.locator('[data-pnav="open"]').click()
        chat = self.chat
        expect(chat.locator('[data-pnav="prechat-start"]')).to_be_visible()
        chat.locator(f'label[for="pnav-who-{who}"]').click()
        chat.locator(f'label[for="pnav-what-{what}"]').click()
        chat.locator('[data-pnav="prechat-start"]').click()
        expect(self.status).to_have_attribute("data-state", "waiting")

    @property
    def status(self) -> Locator:
        return self.chat.locator('[data-pnav="status"]')

    def messages(self, sender: str) -> Locator:
        return self.chat.locator(f'[data-pnav="message"][data-from="{sender}"] .pnav-message__text')

    def send(self, text: str) -> None:
        """Type and send with Enter; wait until the server acknowledged it."""
        box = self.chat.locator('[data-pnav="message-input"]')
        box.fill(text)
        box.press("Enter")
        own = self.chat.locator('[data-pnav="message"][data-from="person"]').filter(has_text=text)
        expect(own).to_have_attribute("data-state", "sent")

    def storage(self, page: Page | None = None) -> dict[str, Any]:
        """What the page's origin keeps in this context, in every kind of web storage."""
        return (page or self.page).evaluate(
            """async () => ({
                localStorage: localStorage.length,
                sessionStorage: sessionStorage.length,
                indexedDB: (await indexedDB.databases()).map((d) => d.name),
                caches: await caches.keys(),
                serviceWorkers: (await navigator.serviceWorker.getRegistrations()).length,
            })"""
        )


@pytest.fixture
def person(browser: Browser, browser_log: BrowserLog, live_server: Any) -> Iterator[PersonBrowser]:
    context = _context(browser, browser_log, "person", locale="fr-FR")
    yield PersonBrowser(context, _page(context, browser_log, "person"), live_server)
    context.close()


# ------------------------------------------------------------------------- operator


class OperatorConsole:
    """An operator in the browser console, in its own browser context."""

    def __init__(self, context: BrowserContext, page: Page, live_server: Any) -> None:
        self.context = context
        self.page = page
        self.live = live_server

    def login(self, username: str | None = None, password: str | None = None) -> None:
        page = self.page
        page.goto(self.live.url + "/console")
        page.locator('[data-pnav="login-user"]').fill(username or self.live.operator)
        page.locator('[data-pnav="login-password"]').fill(password or self.live.password)
        page.locator('[data-pnav="login-submit"]').click()
        expect(page.locator('[data-pnav="desk"]')).to_be_visible(timeout=LOGIN_TIMEOUT_MS)
        expect(page.locator('[data-pnav="connection"]')).to_have_attribute("data-state", "open")

    def queue_item(self, conv: str | None = None) -> Locator:
        sel = '[data-pnav="queue-item"]' + (f'[data-conv="{conv}"]' if conv else "")
        return self.page.locator(sel)

    def accept(self, conv: str | None = None) -> None:
        """Take the only waiting conversation (or ``conv``) and wait for its panel."""
        item = self.queue_item(conv)
        expect(item).to_have_count(1)
        item.locator('[data-pnav="accept"]').click()
        expect(self.panel).to_be_visible()

    @property
    def panel(self) -> Locator:
        return self.page.locator('[data-pnav="conversation"]:visible')

    @property
    def presence(self) -> Locator:
        return self.panel.locator('[data-pnav="presence"]')

    def messages(self, sender: str) -> Locator:
        return self.panel.locator(f'[data-pnav="message"][data-from="{sender}"] .c-message__text')

    def reply(self, text: str) -> None:
        """Type a reply, send it with the button, wait for the server's ack."""
        self.panel.locator('[data-pnav="reply-input"]').fill(text)
        self.panel.locator('[data-pnav="reply-send"]').click()
        own = self.panel.locator('[data-pnav="message"][data-from="operator"]').filter(
            has_text=text
        )
        expect(own).to_have_attribute("data-state", "sent")

    def close_conversation(self, outcome: str) -> None:
        self.panel.locator('[data-pnav="outcome"]').select_option(outcome)
        self.panel.locator('[data-pnav="close"]').click()
        expect(self.panel).to_have_attribute("data-state", "closed")


@pytest.fixture
def console(
    browser: Browser, browser_log: BrowserLog, live_server: Any
) -> Iterator[Callable[..., OperatorConsole]]:
    """``console(name, locale="en-GB")``: one more operator console, in a browser context
    of its own (closed after the test); ``name`` labels what it logs."""
    contexts: list[BrowserContext] = []

    def open_console(name: str, locale: str = "en-GB") -> OperatorConsole:
        context = _context(browser, browser_log, name, locale=locale)
        contexts.append(context)
        return OperatorConsole(context, _page(context, browser_log, name), live_server)

    yield open_console
    for context in contexts:
        context.close()


@pytest.fixture
def operator(console: Callable[..., OperatorConsole]) -> OperatorConsole:
    return console("operator")
