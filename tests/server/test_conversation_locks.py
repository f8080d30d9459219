"""Conversations' locks (chat/context.ConversationLocks): one per conversation, so a
writer that waits under its lock (for the group commit) holds up no other conversation,
re-entrant, and gone once nobody holds or awaits it."""

from __future__ import annotations

import threading

from pnav.server.chat.context import ConversationLocks


def test_another_conversation_is_not_held_up() -> None:
    locks = ConversationLocks()
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with locks("a"):
            holding.set()
            release.wait(60)  # far longer than any other may wait below

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(5)
    try:
        # With 64 locks shared by hash, some of these would wait for "a".
        for conv_id in [f"c{i}" for i in range(1000)]:
            done = threading.Event()

            def take(conv_id: str = conv_id, done: threading.Event = done) -> None:
                with locks(conv_id):
                    done.set()

            threading.Thread(target=take).start()
            assert done.wait(2), conv_id
    finally:
        release.set()
    holder.join(5)
    assert len(locks) == 0


def test_the_same_conversation_waits_its_turn() -> None:
    locks = ConversationLocks()
    order: list[str] = []
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with locks("a"):
            holding.set()
            release.wait(5)
            order.append("first")

    def second() -> None:
        with locks("a"):
            order.append("second")

    first = threading.Thread(target=hold)
    first.start()
    assert holding.wait(5)
    waiter = threading.Thread(target=second)
    waiter.start()
    waiter.join(0.1)
    assert waiter.is_alive() and order == []
    assert len(locks) == 1  # one lock, held and awaited
    release.set()
    first.join(5)
    waiter.join(5)
    assert order == ["first", "second"]
    assert len(locks) == 0


def test_re_entrant_and_released_on_error() -> None:
    locks = ConversationLocks()
    try:
        with locks("a"), locks("a"):
            assert len(locks) == 1
            raise ValueError("boom")
    except ValueError:
        pass
    assert len(locks) == 0
    with locks("a"):  # free again
        pass
