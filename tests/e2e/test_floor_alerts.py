"""Alerts on the operators' floor (issue 12), in real consoles.

The sound is observed through the page's own audio API: an init script records every
oscillator the page starts (its frequency), before the console's script runs. The
re-alert delay is set to its shortest (5 s) so the test waits seconds, not a minute.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import Clients, LiveServer, serve
from tests.e2e.conftest import OperatorConsole

REALERT = 5

# Every oscillator the page starts, by frequency: the console's sounds are Web Audio tones.
AUDIO_PROBE = """
window.__tones = [];
const make = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () {
  const osc = make.call(this);
  const start = osc.start.bind(osc);
  osc.start = (when) => { window.__tones.push(osc.frequency.value); start(when); };
  return osc;
};
"""


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    with serve(tmp_path, danger_realert_after=REALERT) as live:
        yield live


def _tones(page: Page) -> list[float]:
    tones: list[float] = page.evaluate("window.__tones")
    return tones


def _probed(console: Callable[..., OperatorConsole], name: str) -> OperatorConsole:
    c = console(name)
    c.context.add_init_script(AUDIO_PROBE)
    return c


def test_danger_arrival_sounds_counts_announces_and_realerts_a_muted_console_is_silent(
    console: Callable[..., OperatorConsole], live_server: LiveServer, clients: Clients
) -> None:
    alice = _probed(console, "alice")  # a supervisor: she also sees the floor
    alice.login()
    bob = _probed(console, "bob")
    bob.login("bob", live_server.add_operator("bob"))
    bob.page.locator('[data-pnav="settings-menu"] summary').click()
    mute = bob.page.locator('[data-pnav="mute"]')
    mute.click()
    expect(mute).to_have_attribute("aria-pressed", "true")
    base = alice.page.title()
    assert not base.startswith("(")

    person = clients.person(danger=True)
    expect(alice.queue_item(person.conv)).to_have_attribute("data-danger", "true")
    # the title counts it, the live region says it, the page plays the DANGER tones
    expect(alice.page).to_have_title(f"(1) {base}")
    announcer = alice.page.locator('[data-pnav="announcer"]')
    expect(announcer).to_have_attribute("aria-live", "polite")
    expect(announcer).to_have_text(re.compile(r"^DANGER: 1 new conversation"))
    alice.page.wait_for_function("window.__tones.length >= 4")
    assert 988 in _tones(alice.page)
    # the queue shows how long and whether the person is connected
    item = alice.queue_item(person.conv)
    expect(item.locator('[data-pnav="queue-person"]')).to_have_attribute("data-person", "connected")
    expect(item.locator('[data-pnav="waiting"]')).to_contain_text("s")

    # still waiting after the delay: every console alerts again; the floor shows it
    expect(announcer).to_have_text(
        re.compile(rf"waiting for more than {REALERT} seconds"), timeout=(REALERT + 10) * 1000
    )
    alice.page.wait_for_function("window.__tones.length >= 8")
    floor = alice.page.locator('[data-pnav="floor-danger-item"]')
    expect(floor).to_have_count(1)
    expect(floor).to_have_attribute("data-conv", person.conv)

    # bob muted his console: told (title, live region), never a sound
    expect(bob.page).to_have_title(re.compile(r"^\(1\) "))
    expect(bob.page.locator('[data-pnav="announcer"]')).to_have_text(
        re.compile(rf"waiting for more than {REALERT} seconds"), timeout=(REALERT + 10) * 1000
    )
    assert _tones(bob.page) == []

    # taken: off the floor's DANGER list, the count goes
    alice.accept(person.conv)
    expect(floor).to_have_count(0)
    expect(alice.page).to_have_title(base)
    # the mute lives in memory only: nothing in the console's storage
    storage = alice.page.evaluate("() => [localStorage.length, sessionStorage.length]")
    assert storage == [0, 0]
    person.close()


def test_a_message_in_a_background_conversation_alerts_and_is_counted_on_its_tab(
    operator: OperatorConsole, clients: Clients
) -> None:
    operator.context.add_init_script(AUDIO_PROBE)
    operator.login()
    first = clients.person()
    operator.accept(first.conv)
    second = clients.person()
    operator.accept(second.conv)  # now in front; the first is behind
    expect(operator.panel).to_have_attribute("data-conv", second.conv)
    before = len(_tones(operator.page))
    first.send("are you still there?")
    tab = operator.page.locator(f'[data-pnav="conversation-tab"][data-conv="{first.conv}"]')
    expect(tab).to_have_attribute("data-unread", "1")
    expect(operator.page.locator('[data-pnav="announcer"]')).to_have_text(
        "New message in another conversation."
    )
    expect(operator.page).to_have_title(re.compile(r"^\(1\) "))
    operator.page.wait_for_function(f"window.__tones.length > {before}")
    # a message in the conversation in front makes no alert
    tones = len(_tones(operator.page))
    second.send("hello")
    expect(operator.messages("person").filter(has_text="hello")).to_have_count(1)
    assert len(_tones(operator.page)) == tones
    tab.click()
    expect(tab).to_have_attribute("data-unread", "0")
    expect(operator.page).not_to_have_title(re.compile(r"^\("))
    for p in (first, second):
        p.close()


def test_desktop_notifications_are_asked_only_from_the_settings_control(
    operator: OperatorConsole, clients: Clients, browser_log: Any
) -> None:
    operator.context.grant_permissions(["notifications"])
    operator.context.add_init_script(
        """
        window.__notes = [];
        window.Notification = class extends Notification {
          constructor(title, options) {
            super(title, options);
            window.__notes.push([title, options.body]);
          }
        };
        """
    )
    operator.login()
    person = clients.person(who="relative", what="sexual")
    expect(operator.queue_item(person.conv)).to_have_count(1)
    assert operator.page.evaluate("window.__notes") == []  # never on its own
    operator.page.locator('[data-pnav="settings-menu"] summary').click()
    toggle = operator.page.locator('[data-pnav="notifications"]')
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    operator.page.evaluate("() => { Object.defineProperty(document, 'hidden', {value: true}); }")
    other = clients.person(who="witness", what="domestic")
    operator.page.wait_for_function("window.__notes.length > 0")
    notes = operator.page.evaluate("window.__notes")
    text = " ".join(" ".join(n) for n in notes).lower()
    # a kind of event only: no person, no category, no content
    assert "pnav console" in text and "new conversation" in text
    for word in ("witness", "domestic", "relative", "sexual", other.conv, person.conv):
        assert word not in text
    for p in (person, other):
        p.close()
