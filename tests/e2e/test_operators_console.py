"""Operators and the desk key in real Chromium: a supervisor removes an operator from
the console (after a confirmation step) and the removed operator's open console is
refused; the supervisor rotates the desk key, and a console reads conversations
sealed to the new key once it has logged in again, as the console says.

People are pnav's Python client (tests/conftest.py ``clients``).
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect


@pytest.fixture
def bob_console(console: Any) -> Any:
    return console("bob")


def test_a_supervisor_removes_an_operator_and_rotates_the_desk_key(
    live_server, clients, operator, bob_console, browser_log
) -> None:
    supervisor, bob = operator, bob_console
    store = live_server.store
    bob_password = live_server.add_operator("bob")
    bob.login("bob", bob_password)
    expect(bob.page.locator('[data-pnav="operators-admin"]')).to_be_hidden()
    held = clients.person()
    fresh = None
    try:
        bob.accept(held.conv)
        held.wait("status", state="active")

        supervisor.login()  # alice, a supervisor
        admin = supervisor.page.locator('[data-pnav="operators-admin"]')
        admin.locator("summary").click()
        first_key = store.current_desk_key()
        expect(admin.locator('[data-pnav="desk-key"]')).to_contain_text(first_key.id)
        alice_item = admin.locator('[data-pnav="operators-item"][data-username="alice"]')
        bob_item = admin.locator('[data-pnav="operators-item"][data-username="bob"]')
        expect(alice_item).to_contain_text("supervisor · you")
        expect(alice_item.locator('[data-pnav="operator-remove"]')).to_have_count(0)
        expect(bob_item).to_contain_text("conversations in progress: 1")

        # Remove, then think again: nothing happens.
        bob_item.locator('[data-pnav="operator-remove"]').click()
        ask = bob_item.locator('[data-pnav="operator-remove-ask"]')
        expect(ask).to_contain_text("Remove bob? They can no longer log in")
        ask.locator('[data-pnav="operator-remove-cancel"]').click()
        expect(ask).to_have_count(0)
        assert not store.find_operator("bob").removed

        # Remove, confirmed.
        bob_item.locator('[data-pnav="operator-remove"]').click()
        bob_item.locator('[data-pnav="operator-remove-confirm"]').click()
        status = admin.locator('[data-pnav="operators-status"]')
        expect(status).to_contain_text("bob was removed; new conversations use desk key")
        removal_key = store.current_desk_key()
        assert removal_key.id != first_key.id
        expect(status).to_contain_text(f"desk key {removal_key.id}, which they cannot open")
        expect(status).to_contain_text("bob held 1 conversation(s) in progress")
        expect(status).to_contain_text("must log out and log in again")
        expect(status).to_have_attribute("data-error", "false")
        expect(bob_item).to_have_attribute("data-removed", "true")
        expect(bob_item).to_contain_text("account removed")
        expect(bob_item.locator('[data-pnav="operator-remove"]')).to_have_count(0)
        expect(admin.locator('[data-pnav="desk-key"]')).to_contain_text(removal_key.id)
        bob_op = store.find_operator("bob")
        assert bob_op.removed and store.desk_key_wraps(bob_op.id) == {}
        # The floor shows the account removed, still holding its conversation.
        on_floor = supervisor.page.locator(
            '[data-pnav="floor-operator"][data-username="bob"] [data-pnav="floor-presence"]'
        )
        expect(on_floor).to_have_text("account removed")

        # The conversation he held needs a supervisor now.
        needing = supervisor.page.locator(f'[data-pnav="attention-item"][data-conv="{held.conv}"]')
        expect(needing).to_have_attribute("data-reason", "operator_removed")
        # Bob's open console was closed at once: back to the login form, saying why,
        # his conversation and keys gone from the page; he cannot log in again.
        expect(bob.page.locator('[data-pnav="desk"]')).to_be_hidden()
        expect(bob.page.locator('[data-pnav="login-error"]')).to_contain_text(
            "this account was removed"
        )
        expect(bob.page.locator('[data-pnav="conversation"]')).to_have_count(0)
        again = bob.context.new_page()
        again.goto(live_server.url + "/console")
        again.locator('[data-pnav="login-user"]').fill("bob")
        again.locator('[data-pnav="login-password"]').fill(bob_password)
        again.locator('[data-pnav="login-submit"]').click()
        expect(again.locator('[data-pnav="login-error"]')).to_have_text(
            "Wrong username or password.", timeout=20_000
        )
        expect(again.locator('[data-pnav="desk"]')).to_be_hidden()
        # Chromium reports the refused login (401) as a console error: expected here.
        refused = [e for e in browser_log.errors if "401" in e and "/console/api/login" in e]
        assert len(refused) == 1, browser_log.errors
        browser_log.errors.remove(refused[0])

        # Rotate, after a confirmation step.
        admin.locator('[data-pnav="desk-rotate"]').click()
        rotate_ask = admin.locator('[data-pnav="desk-rotate-ask"]')
        expect(rotate_ask).to_contain_text("Make a new desk key?")
        rotate_ask.locator('[data-pnav="desk-rotate-cancel"]').click()
        expect(rotate_ask).to_be_hidden()
        assert store.current_desk_key().id == removal_key.id
        admin.locator('[data-pnav="desk-rotate"]').click()
        rotate_ask.locator('[data-pnav="desk-rotate-confirm"]').click()
        expect(status).to_contain_text("sealed to 1 operator(s)")
        new_key = store.current_desk_key()
        assert new_key.id not in (first_key.id, removal_key.id)
        expect(status).to_contain_text(f"New desk key {new_key.id}")
        expect(status).to_contain_text("must log out and log in again")
        expect(admin.locator('[data-pnav="desk-key"]')).to_contain_text(new_key.id)
        alice_op = store.find_operator(live_server.operator)
        assert new_key.id in store.desk_key_wraps(alice_op.id)

        # As the console said: this console cannot open a conversation sealed to the new
        # key, until it logs in again.
        fresh = clients.person()
        assert store.get_conversation(fresh.conv).desk_key == new_key.id
        supervisor.accept(fresh.conv)
        state = supervisor.panel.locator('[data-pnav="conversation-state"]')
        expect(state).to_have_text(
            "The conversation key could not be opened: messages cannot be read."
        )
        supervisor.page.locator('[data-pnav="logout"]').click()
        supervisor.login()
        fresh.wait("status", state="active")
        fresh.send("readable again")
        panel = supervisor.page.locator(f'[data-pnav="conversation"][data-conv="{fresh.conv}"]')
        supervisor.page.locator(f'[data-pnav="conversation-tab"][data-conv="{fresh.conv}"]').click()
        expect(panel.locator('[data-pnav="conversation-state"]')).to_have_text("")
        expect(
            panel.locator('[data-pnav="message"][data-from="person"] .c-message__text')
        ).to_have_text(["readable again"])
    finally:
        held.close()
        if fresh is not None:
            fresh.close()
