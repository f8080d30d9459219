"""The floor's alarms in real Chromium (issue 18): every connected supervisor sees an
alarm when it is raised, with what to do, in their language; it goes when cleared;
the view passes axe, fits 320 px and mirrors right to left."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

AXE = Path(__file__).resolve().parents[2] / "widget" / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page: Page, selector: str) -> list[dict[str, Any]]:
    """axe-core's violations inside ``selector`` (injected through the debugger, which
    the console's CSP rightly does not allow a page script to do)."""
    assert AXE.is_file(), "axe-core is missing: npm --prefix widget ci"
    page.evaluate(AXE.read_text() + "\n;0")
    found: list[dict[str, Any]] = page.evaluate(
        "async (sel) => (await axe.run(document.querySelector(sel))).violations"
        ".map(v => ({id: v.id, nodes: v.nodes.map(n => n.html)}))",
        selector,
    )
    return found


def test_every_supervisor_sees_the_alarms_and_what_to_do(
    live_server: Any, clients: Any, console: Any
) -> None:
    english = console("supervisor-en")
    french = console("supervisor-fr", locale="fr-FR")
    english.login()
    french.login()
    ops = live_server.app.extensions["pnav"].ops
    section = english.page.locator('[data-pnav="alarms-section"]')
    expect(section).to_be_hidden()

    # Someone waits and no operator is connected (alice is a supervisor).
    person = clients.person(danger=True)
    ops.floor_round()
    nobody = section.locator('[data-pnav="alarm"][data-alarm="no_operator"]')
    expect(nobody).to_contain_text("No operator is connected and 1 person(s) wait")
    expect(nobody).to_contain_text("Call in the operator on duty")
    live = english.page.locator('[data-pnav="alarms-live"]')
    expect(live).to_contain_text("No operator is connected")
    fr_item = french.page.locator('[data-pnav="alarm"][data-alarm="no_operator"]')
    expect(fr_item).to_contain_text("Aucun·e opérateur·rice n\u2019est connecté·e")

    # The DANGER conversation goes unanswered past its limit: shown first.
    ops.floor_round(time.time() + live_server.settings.danger_answer_limit + 1)
    items = section.locator('[data-pnav="alarm"]')
    expect(items).to_have_count(2)
    expect(items.first).to_have_attribute("data-alarm", "danger_unanswered")
    expect(items.first).to_contain_text("1 conversation(s) in DANGER")

    assert axe_violations(english.page, '[data-pnav="alarms-section"]') == []
    assert axe_violations(french.page, '[data-pnav="alarms-section"]') == []

    # 320 px wide: nothing sticks out; right to left: the bar is on the right.
    page = english.page
    page.set_viewport_size({"width": 320, "height": 800})
    fits = "el => el.scrollWidth <= el.clientWidth + 1"
    expect(section).to_be_visible()
    assert section.evaluate(fits)
    for item in items.all():
        assert item.evaluate(fits)
    page.evaluate("document.documentElement.dir = 'rtl'")
    bar = nobody.evaluate(
        "el => [getComputedStyle(el).borderRightWidth, getComputedStyle(el).borderLeftWidth]"
    )
    assert bar == ["6px", "0px"]

    # An operator connects and answers: both alarms clear, the section goes.
    bob = clients.login("bob", live_server.add_operator("bob"))
    bob.wait_queue(person.conv)
    bob.accept(person.conv)
    bob.send(person.conv, "Je suis là")
    ops.floor_round()
    expect(section).to_be_hidden()
    expect(french.page.locator('[data-pnav="alarms-section"]')).to_be_hidden()
    bob.close()
    person.close()
