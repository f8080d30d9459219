"""Supervision in real Chromium (issue 6): a supervisor sees the floor, sets an
operator's capacity, joins the operator's conversation (the operator sees "alice
joined"), whispers to the operator, and takes the conversation over with a handover
note. The person's chat shows none of it but the replies."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from playwright.sync_api import expect


@pytest.fixture
def supervisor(console: Any) -> Any:
    """alice's console, in its own browser context."""
    return console("supervisor")


def test_a_supervisor_joins_whispers_and_takes_over(live_server, person, operator, supervisor):
    whisper = f"Ask whether she is safe tonight {secrets.token_hex(4)}"
    person.goto_partner()
    person.open_chat(who="victim", what="domestic")
    operator.login("bob", live_server.add_operator("bob"))
    operator.accept()
    expect(person.status).to_have_attribute("data-state", "active")
    person.send("I need help")
    expect(operator.messages("person")).to_have_text(["I need help"])

    # The floor: bob, connected, one conversation; his capacity set to 1.
    supervisor.login()
    floor = supervisor.page.locator('[data-pnav="floor-section"]')
    expect(floor).to_be_visible()
    bob = floor.locator('[data-pnav="floor-operator"][data-username="bob"]')
    expect(bob).to_have_attribute("data-connected", "true")
    expect(bob.locator('[data-pnav="floor-load"]')).to_contain_text("1 conversation(s)")
    bob.locator('[data-pnav="capacity-input"]').fill("1")
    bob.locator('[data-pnav="capacity-set"]').click()
    expect(bob).to_have_attribute("data-at-capacity", "true")
    expect(bob.locator('[data-pnav="at-capacity"]')).to_be_visible()

    # Join: the supervisor reads along; the operator is told at once.
    bob.locator('[data-pnav="floor-conversation"] [data-pnav="join"]').click()
    panel = supervisor.panel
    expect(panel).to_have_attribute("data-observing", "true")
    expect(panel.locator('[data-pnav="observing"]')).to_contain_text("held by bob")
    expect(supervisor.messages("person")).to_have_text(["I need help"])
    expect(panel.locator('[data-pnav="reply-input"]')).to_be_hidden()
    joined = operator.panel.locator('[data-pnav="staff-event"][data-username="alice"]')
    expect(joined).to_contain_text("alice (supervisor) joined this conversation")

    # A whisper: highlighted in the operator's panel.
    panel.locator('[data-pnav="note-kind"]').select_option("whisper")
    panel.locator('[data-pnav="note-input"]').fill(whisper)
    panel.locator('[data-pnav="note-send"]').click()
    mine = panel.locator('[data-pnav="note"][data-kind="whisper"][data-author="alice"]')
    expect(mine).to_contain_text(whisper)
    theirs = operator.panel.locator('[data-pnav="note"][data-kind="whisper"][data-author="alice"]')
    expect(theirs).to_contain_text("Whisper from alice")
    expect(theirs).to_contain_text(whisper)

    # The operator answers the person; the supervisor sees it live; the person's
    # chat shows the reply and nothing of the supervision.
    operator.reply("Are you safe where you are?")
    expect(person.messages("operator")).to_have_text(["Are you safe where you are?"])
    expect(supervisor.messages("operator")).to_have_text(["Are you safe where you are?"])
    shown = person.chat.locator("body").inner_text()
    for hidden in (whisper, "alice", "joined", "Whisper"):
        assert hidden not in shown

    # Take over, with a handover note: the operator is told, the supervisor replies.
    panel.locator('[data-pnav="take-over"] summary').click()
    panel.locator('[data-pnav="take-over-note"]').fill("Taking over: bob has to leave.")
    panel.locator('[data-pnav="take-over-send"]').click()
    expect(panel).to_have_attribute("data-observing", "false")
    expect(panel.locator('[data-pnav="handover-note"]')).to_contain_text("Taking over")
    expect(panel.locator('[data-pnav="supervise"]')).to_be_hidden()
    expect(operator.page.locator('[data-pnav="notice"]')).to_contain_text("transferred to alice")
    expect(operator.page.locator('[data-pnav="conversation"]')).to_have_count(0)
    supervisor.reply("Hello, I am taking over from my colleague.")
    expect(person.messages("operator")).to_have_text(
        ["Are you safe where you are?", "Hello, I am taking over from my colleague."]
    )
    assert whisper not in person.chat.locator("body").inner_text()
