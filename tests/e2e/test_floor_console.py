"""The operators' floor in a real console (issue 12): a clean queue, a layout that fits,
a whole conversation from the keyboard, words carried into the emergency form, help
on call with a psychologist.

Time is simulated for presence: the tests call ``chat.tick(now)``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from pnav.sdk.client import ClientError, OperatorClient
from tests.conftest import FAST, Clients, LiveServer
from tests.e2e.conftest import OperatorConsole


def _queue(page: Page) -> list[str]:
    items: list[str] = page.locator('[data-pnav="queue-item"]').evaluate_all(
        "els => els.map((e) => e.dataset.conv)"
    )
    return items


def test_a_person_who_closes_the_chat_leaves_the_queue_and_comes_back_in_place(
    operator: OperatorConsole, live_server: LiveServer, clients: Clients
) -> None:
    operator.login()
    first = clients.person()
    code = first.create_resume_code()
    second = clients.person()
    third = clients.person()
    expect(operator.queue_item()).to_have_count(3)
    first.close()  # the chat closed while waiting
    third.close()
    person = operator.queue_item(first.conv).locator('[data-pnav="queue-person"]')
    expect(person).to_have_attribute("data-person", "reconnecting")
    live_server.chat.tick(time.time() + live_server.settings.person_gone_after + 1)
    expect(operator.queue_item()).to_have_count(1)
    assert _queue(operator.page) == [second.conv]
    back = clients.come_back(code)
    expect(operator.queue_item()).to_have_count(2)
    assert _queue(operator.page) == [first.conv, second.conv]  # its original place
    expect(person).to_have_attribute("data-person", "connected")
    # the one who never came back is counted, with their wait
    operator.page.goto(live_server.url + "/console/stats")
    left = operator.page.locator('[data-total="left_unanswered"]')
    expect(left).to_have_attribute("data-count", "1")
    cells = operator.page.locator('[data-table="left_wait"] td.n')
    assert sum(int(n) for n in cells.all_inner_texts()) == 1
    for p in (back, second):
        p.close()


# -- layout ------------------------------------------------------------------
_BOXES = """() => {
  const pick = (sel) => [...document.querySelectorAll(sel)].filter((e) => e.offsetParent !== null
    && e.getClientRects().length > 0);
  const box = (e) => { const r = e.getBoundingClientRect();
    return {x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height}; };
  const one = (sel) => { const e = pick(sel)[0]; return e ? box(e) : null; };
  return {
    vw: innerWidth, vh: innerHeight,
    scrollWidth: document.documentElement.scrollWidth,
    header: one('.c-header'), queue: one('.c-queue'), floor: one('.c-floor'),
    conversations: one('.c-conversations'), tabs: one('.c-tabs'), bar: one('.c-panel__bar'),
    messages: one('[data-pnav="messages"]'), reply: one('.c-reply'),
    tools: one('[data-pnav="tools-panel"]'),
    headerParts: pick('.c-header > *').map(box),
  };
}"""


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["w"] - 1
        and b["x"] < a["x"] + a["w"] - 1
        and a["y"] < b["y"] + b["h"] - 1
        and b["y"] < a["y"] + a["h"] - 1
    )


def _check_no_overlap(m: dict[str, Any]) -> None:
    assert m["scrollWidth"] <= m["vw"], "the page scrolls sideways"
    for part in m["headerParts"]:  # nothing of the header is clipped
        assert part["x"] >= 0 and part["x"] + part["w"] <= m["vw"] + 0.5, part
    regions = ["header", "queue", "conversations"]
    for i, a in enumerate(regions):
        for b in regions[i + 1 :]:
            assert not _overlap(m[a], m[b]), (a, b)
    inside = ["tabs", "bar", "messages", "reply", "tools"]
    for i, a in enumerate(inside):
        for b in inside[i + 1 :]:
            if m[a] and m[b]:
                assert not _overlap(m[a], m[b]), (a, b)


def test_the_console_fits_1280x800_1024x768_and_200_percent_zoom(
    operator: OperatorConsole, clients: Clients
) -> None:
    page = operator.page
    page.set_viewport_size({"width": 1280, "height": 800})
    operator.login()
    person = clients.person(danger=True)
    operator.accept(person.conv)
    for i in range(12):
        person.send(f"message {i}")
    expect(operator.messages("person")).to_have_count(12)
    m = page.evaluate(_BOXES)
    assert m["tools"] is not None  # the side panel is open (a DANGER conversation)
    assert m["messages"]["h"] >= 0.5 * 800, m["messages"]
    _check_no_overlap(m)
    # the tools fold away, the conversation gets the width
    page.locator('[data-pnav="tools-toggle"]').click()
    expect(page.locator('[data-pnav="tools-panel"]')).to_be_hidden()
    folded = page.evaluate(_BOXES)
    assert folded["messages"]["w"] > m["messages"]["w"]
    page.locator('[data-pnav="tools-toggle"]').click()
    expect(page.locator('[data-pnav="tools-panel"]')).to_be_visible()

    page.set_viewport_size({"width": 1024, "height": 768})
    _check_no_overlap(page.evaluate(_BOXES))
    # 200 % zoom of a 1280x800 window: the page gets 640x400 CSS pixels
    page.set_viewport_size({"width": 640, "height": 400})
    zoomed = page.evaluate(_BOXES)
    _check_no_overlap(zoomed)
    assert zoomed["messages"]["h"] >= 160
    person.close()


# -- keyboard ----------------------------------------------------------------
def test_a_whole_conversation_from_the_keyboard(
    operator: OperatorConsole, live_server: LiveServer, clients: Clients
) -> None:
    page = operator.page
    page.goto(live_server.url + "/console")
    page.keyboard.press("Tab")  # the first stop is the username
    expect(page.locator('[data-pnav="login-user"]')).to_be_focused()
    page.keyboard.type(live_server.operator)
    page.keyboard.press("Tab")
    page.keyboard.type(live_server.password)
    page.keyboard.press("Enter")
    expect(page.locator('[data-pnav="connection"]')).to_have_attribute("data-state", "open")
    # after login, focus is on the queue
    expect(page.locator('[data-pnav="queue"]')).to_be_focused()
    # the help dialog lists the shortcuts
    page.keyboard.press("?")
    dialog = page.locator('[data-pnav="shortcuts"]')
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Alt+N")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    person = clients.person(danger=True)
    expect(operator.queue_item(person.conv)).to_have_count(1)
    page.keyboard.press("Alt+N")  # take the next conversation
    reply = operator.panel.locator('[data-pnav="reply-input"]')
    expect(reply).to_be_focused()  # after Accept, focus is in the reply box
    page.keyboard.type("I am here. Where are you?")
    page.keyboard.press("Enter")
    assert person.receive().text == "I am here. Where are you?"
    # the emergency form is open by itself in a DANGER conversation
    emergency = operator.panel.locator('[data-pnav="emergency"]')
    expect(emergency).to_have_attribute("open", "")
    page.keyboard.press("Alt+E")
    expect(operator.panel.locator('[data-pnav="emergency-address"]')).to_be_focused()
    page.keyboard.type("12 rue des Lilas")
    page.keyboard.press("Alt+R")
    expect(reply).to_be_focused()
    page.keyboard.press("Alt+C")  # the closing controls: outcome first
    outcome = operator.panel.locator('[data-pnav="outcome"]')
    expect(outcome).to_be_focused()
    page.keyboard.press("End")  # the last outcome: "closed as abuse"
    expect(outcome).to_have_value("abuse")
    page.keyboard.press("ArrowUp")  # the one before: "person left"
    expect(outcome).to_have_value("person_left")
    page.keyboard.press("Tab")
    expect(operator.panel.locator('[data-pnav="close"]')).to_be_focused()
    page.keyboard.press("Enter")
    expect(operator.panel).to_have_attribute("data-state", "closed")
    person.wait("status", state="closed")
    person.close()


def test_words_selected_in_the_persons_messages_go_into_the_emergency_form(
    operator: OperatorConsole, clients: Clients
) -> None:
    operator.login()
    person = operator_accepts(operator, clients, danger=True)
    person.send("I live at 4 rue Haute in 35000 Rennes, call me at 0600000000")
    text = operator.messages("person").filter(has_text="rue Haute")
    expect(text).to_have_count(1)

    def select(words: str) -> None:
        text.evaluate(
            """(el, words) => {
              const node = el.firstChild; const start = node.data.indexOf(words);
              const range = document.createRange();
              range.setStart(node, start); range.setEnd(node, start + words.length);
              const sel = getSelection(); sel.removeAllRanges(); sel.addRange(range);
            }""",
            words,
        )

    form = operator.panel.locator('[data-pnav="emergency"]')
    for words, button, field in (
        ("4 rue Haute", "carry-address", "emergency-address"),
        ("35000", "carry-postal_code", "emergency-postal-code"),
        ("Rennes", "carry-city", "emergency-city"),
        ("0600000000", "carry-phone", "emergency-callback"),
    ):
        select(words)
        expect(operator.panel.locator('[data-pnav="carry-status"]')).to_contain_text(words)
        operator.panel.locator(f'[data-pnav="{button}"]').click()
        expect(form.locator(f'[data-pnav="{field}"]')).to_have_value(words)
    person.close()


def operator_accepts(operator: OperatorConsole, clients: Clients, **start: Any) -> Any:
    person = clients.person(**start)
    operator.accept(person.conv)
    person.wait("status", state="active")
    return person


# -- help on call --------------------------------------------------------------
def test_a_psychologist_joins_from_the_alert_whispers_and_cannot_write(
    console: Callable[..., OperatorConsole], live_server: LiveServer, clients: Clients
) -> None:
    bob = console("bob")
    bob.login("bob", live_server.add_operator("bob"))
    psy_password = live_server.add_operator("psy", role="psychologist")
    psy = console("psy")
    psy.login("psy", psy_password)
    person = operator_accepts(bob, clients)

    bob.panel.locator('[data-pnav="ask-help"]').click()
    expect(bob.panel.locator('[data-pnav="ask-help-status"]')).to_contain_text("alerted")
    call = psy.page.locator(f'[data-pnav="help-request"][data-conv="{person.conv}"]')
    expect(call).to_contain_text("bob asks for help")
    expect(psy.page.locator('[data-pnav="announcer"]')).to_have_text("An operator asks for help.")
    call.locator('[data-pnav="help-join"]').click()
    expect(psy.panel).to_have_attribute("data-observing", "true")
    expect(call).to_have_count(0)
    expect(bob.panel.locator('[data-pnav="ask-help-status"]')).to_have_text("psy joined to help.")
    # no reply box for the psychologist; a whisper to the operator
    expect(psy.panel.locator('[data-pnav="reply-input"]')).to_be_hidden()
    psy.panel.locator('[data-pnav="note-kind"]').select_option("whisper")
    psy.panel.locator('[data-pnav="note-input"]').fill("Ask whether the children are safe.")
    psy.panel.locator('[data-pnav="note-send"]').click()
    whisper = bob.panel.locator('[data-pnav="note"][data-kind="whisper"]')
    expect(whisper).to_contain_text("Ask whether the children are safe.")
    # and the server refuses their writing to the person, whatever a client sends
    client = OperatorClient.login(live_server.url, "psy", psy_password, timing=FAST)
    client.join(person.conv)
    with pytest.raises(ClientError) as refused:
        client.send(person.conv, "from the psychologist")
    assert refused.value.code == "forbidden"
    assert [m.sender for m in live_server.store.messages_after(person.conv, 0)] == []
    client.close()
    person.close()


def test_the_console_and_its_language_kept_with_the_account(
    operator: OperatorConsole, live_server: LiveServer
) -> None:
    operator.login()
    page = operator.page
    page.locator('[data-pnav="settings-menu"] summary').click()
    page.locator('[data-pnav="console-lang"]').select_option("fr")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator('[data-pnav="queue-empty"]')).to_have_text("Personne n\u2019attend.")
    expect(page.locator('[data-pnav="mute"]')).to_have_text("Couper les sons")
    expect(page.locator('[data-pnav="connection"]')).to_have_attribute("data-state", "open")
    # kept with the account: a new login, from an English browser, is in French
    page.locator('[data-pnav="logout"]').click()
    operator.login()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator('[data-pnav="logout"]')).to_have_text("Se déconnecter")
    page.goto(live_server.url + "/console/stats")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("h1")).to_contain_text("Activité")
