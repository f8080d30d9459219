"""Quick exit as History records it (issue 17): a real profile on disk, read after the
browser is closed.

For every way to leave (the banner's button, the chat's own button, Shift three times
on the partner page and in the chat), the visit to the exit page must look like any
link a person follows: no redirect mark (``CLIENT_REDIRECT``, ``SERVER_REDIRECT``), a
chain of its own (``CHAIN_START|CHAIN_END``) and no ``from_visit`` link to the partner
page's visit. ``location.replace()``, which the loader used before, is recorded as
``LINK|CHAIN_END|CLIENT_REDIRECT`` from the partner visit: this test fails with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, FrameLocator, Page, expect

from pnav.server.trace.check import CHROMIUM, CHROMIUM_ARGS
from pnav.server.trace.history import REDIRECTS, exit_chain, read_visits

TIMEOUT_MS = 10_000
CHAIN_START, CHAIN_END = 0x10000000, 0x20000000


@dataclass
class Person:
    context: BrowserContext
    page: Page
    profile: Path

    @property
    def chat(self) -> FrameLocator:
        return self.page.frame_locator('iframe[title="Chat"]')


@pytest.fixture
def person_on_disk(
    browser: Browser, browser_log: Any, live_server: Any, tmp_path: Path
) -> Iterator[Person]:
    """A person in a Chromium whose profile is on disk, in the chat's queue."""
    profile = tmp_path / "profile"
    context = browser.browser_type.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, args=list(CHROMIUM_ARGS), locale="fr-FR"
    )
    context.set_default_timeout(TIMEOUT_MS)
    browser_log.watch(context, "person")
    page = context.pages[0] if context.pages else context.new_page()
    browser_log.watch_page(page, "person")
    person = Person(context, page, profile)
    page.goto(live_server.partner_url + "/")
    page.locator('[data-pnav="open"]').click()
    person.chat.locator('label[for="pnav-who-victim"]').click()
    person.chat.locator('label[for="pnav-what-domestic"]').click()
    person.chat.locator('[data-pnav="prechat-start"]').click()
    expect(person.chat.locator('[data-pnav="status"]')).to_have_attribute("data-state", "waiting")
    yield person
    context.close()


def _banner_button(person: Person) -> None:
    person.page.locator('[data-pnav="exit"]').click()


def _chat_button(person: Person) -> None:
    person.chat.locator('[data-pnav="chat-exit"]').click()


def _shift_on_page(person: Person) -> None:
    person.page.locator("h1").click()
    for _ in range(3):
        person.page.keyboard.press("Shift")


def _shift_in_chat(person: Person) -> None:
    person.chat.locator('[data-pnav="message-input"]').click()
    for _ in range(3):
        person.page.keyboard.press("Shift")


@pytest.mark.parametrize(
    "leave",
    [_banner_button, _chat_button, _shift_on_page, _shift_in_chat],
    ids=["banner-button", "chat-button", "shift-on-partner-page", "shift-in-chat"],
)
def test_the_exit_visit_is_an_ordinary_one_in_history(
    person_on_disk: Person, live_server: Any, leave: Callable[[Person], None]
) -> None:
    person = person_on_disk
    exit_url = live_server.partner_url + "/meteo"
    leave(person)
    person.page.wait_for_url(exit_url)
    expect(person.page.locator("h1")).to_have_text("Météo du jour")
    person.context.close()  # History is complete on disk once the browser is closed

    visits = read_visits(person.profile)
    partner = [v for v in visits if v.url == live_server.partner_url + "/"]
    [exit_visit] = [v for v in visits if v.url == exit_url]
    assert partner, [(v.url, v.names) for v in visits]
    described = f"{exit_visit.names}, from_visit {exit_visit.from_visit}"
    assert not exit_visit.transition & REDIRECTS, f"a redirect mark: {described}"
    assert exit_visit.transition & CHAIN_START and exit_visit.transition & CHAIN_END, described
    assert exit_visit.names == "LINK|CHAIN_START|CHAIN_END", described
    assert exit_visit.from_visit not in {v.id for v in partner}, f"chained: {described}"
    assert exit_visit.from_visit == 0, described
    # No visit at all to the chat server (it is never navigated to).
    assert not [v for v in visits if v.url.startswith(live_server.url)]
    # trace-check's reading of the same database: no trace, one unavoidable fact.
    chain = exit_chain(visits, [live_server.partner_url + "/"], exit_url)
    assert [c.trace for c in chain] == [False, False], [c.what for c in chain]
    assert "lasted" in chain[-1].what
