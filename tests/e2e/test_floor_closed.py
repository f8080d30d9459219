"""Nobody on duty (issue 12): the person is told before the pre-chat, with the emergency
numbers and when to come back, and no conversation is created."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import LiveServer, serve
from tests.e2e.conftest import OperatorConsole, PersonBrowser


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    # the default: with nobody connected, say so (conftest's serve() queues by default)
    with serve(tmp_path, when_nobody_on_duty="tell") as live:
        yield live


def test_nobody_on_duty_shows_the_closed_view_and_creates_no_conversation(
    person: PersonBrowser, operator: OperatorConsole, live_server: LiveServer
) -> None:
    person.goto_partner()
    person.page.locator('[data-pnav="open"]').click()
    closed = person.chat.locator('[data-pnav="closed"]')
    expect(closed).to_be_visible()
    expect(closed).to_have_attribute("data-reason", "nobody")
    expect(closed.locator("h2")).to_have_text("Personne ne peut vous répondre pour l\u2019instant")
    expect(closed.locator('[data-pnav="emergency"]')).to_contain_text("112")
    expect(closed).to_contain_text("3919")
    expect(person.chat.locator('[data-pnav="prechat-start"]')).to_have_count(0)
    assert live_server.store.activity(0, time.time() + 10).started == 0
    assert person.storage()["localStorage"] == 0

    # an operator connects: "try again" brings the pre-chat, and the chat goes on
    operator.login()
    person.chat.locator('[data-pnav="closed-retry"]').click()
    expect(person.chat.locator('[data-pnav="prechat-start"]')).to_be_visible()
    person.chat.locator('label[for="pnav-who-victim"]').click()
    person.chat.locator('label[for="pnav-what-domestic"]').click()
    person.chat.locator('[data-pnav="prechat-start"]').click()
    expect(person.status).to_have_attribute("data-state", "waiting")
    expect(operator.queue_item()).to_have_count(1)
    assert live_server.store.activity(0, time.time() + 10).started == 1
