"""The store contract: what the operators' floor needs (issue 12).

A waiting conversation whose person left (``gone`` or quick exit) is not in the queue,
and comes back to its place when the person does; the statistics count it as "left
before an answer" with its wait. An operator's console language is kept with the
account; the psychologist is a role like the others.
"""

from __future__ import annotations

import time

import pytest

from pnav.sdk.store import WAIT_BUCKETS, FloorTally, Operator, Store
from pnav.sdk.testing.store.base import StoreContractBase, ids

__all__ = ["FloorContract"]


class FloorContract(StoreContractBase):
    def test_a_person_who_left_leaves_the_queue_and_comes_back_in_place(self, store: Store) -> None:
        first, second, third = (self.conversation(store) for _ in range(3))
        danger = self.conversation(store, danger=True)
        assert ids(store.waiting_conversations()) == [danger.id, first.id, second.id, third.id]
        store.set_person_state(second.id, "reconnecting")
        assert second.id in ids(store.waiting_conversations())  # not gone yet
        store.set_person_state(second.id, "gone")
        store.set_person_state(danger.id, "quick_exit")
        assert ids(store.waiting_conversations()) == [first.id, third.id]
        store.set_person_state(second.id, "connected")
        store.set_person_state(danger.id, "connected")
        assert ids(store.waiting_conversations()) == [danger.id, first.id, second.id, third.id]

    def test_floor_tally_counts_the_queue_the_active_and_the_overdue(self, store: Store) -> None:
        op = self.operator(store)

        def held(danger: bool, *senders: str) -> None:
            conv = self.conversation(store, danger=danger)
            assert store.assign(conv.id, op.id)
            for n, sender in enumerate(senders):
                store.append_message(conv.id, sender, f"{sender}{n}", b"\x01ciphertext")

        self.conversation(store, danger=True)  # waiting since before the bound: overdue
        gone = self.conversation(store, danger=True)
        store.set_person_state(gone.id, "gone")  # left: not in the queue
        closed = self.conversation(store, danger=True)
        assert store.close_conversation(closed.id, "abuse")
        held(True, "person")  # asked before the bound, no answer: overdue
        held(True, "person", "operator")  # answered
        held(True)  # nothing said yet
        held(False, "person")  # not in danger
        time.sleep(0.02)
        bound = time.time()
        time.sleep(0.02)
        self.conversation(store, danger=True)  # waiting, not for long
        self.conversation(store)
        held(True, "operator", "person")  # asked after the bound
        expected = FloorTally(waiting=3, waiting_danger=2, active=5, danger_overdue=2)
        assert store.floor_tally(bound) == expected
        assert Store.floor_tally(store, bound) == expected  # the reading it stands for
        assert store.floor_tally(time.time() + 60).danger_overdue == 4
        assert store.floor_tally(0).danger_overdue == 0

    def test_activity_counts_who_left_before_an_answer_by_their_wait(self, store: Store) -> None:
        alice = self.operator(store)
        before = time.time()
        left, quick, taken, waiting = (self.conversation(store) for _ in range(4))
        store.set_person_state(left.id, "gone", left.created_at + 90)  # left after 90 s
        store.set_person_state(quick.id, "quick_exit", quick.created_at + 5)
        assert store.assign(taken.id, alice.id)
        store.set_person_state(taken.id, "gone")  # answered: not "left before an answer"
        store.set_person_state(waiting.id, "reconnecting")  # may still come back
        got = store.activity(before, time.time() + 10)
        assert got.left_unanswered == 2
        assert list(got.left_wait_buckets) == [label for label, _ in WAIT_BUCKETS]
        assert got.left_wait_buckets == {
            **dict.fromkeys(got.left_wait_buckets, 0),
            "<1 min": 1,
            "1-5 min": 1,
        }
        # still counted once closed by the idle rule
        assert store.close_conversation(left.id, "person_left")
        assert store.activity(before, time.time() + 10).left_unanswered == 2

    def test_console_language_is_kept_with_the_account(self, store: Store) -> None:
        alice = self.operator(store)
        assert alice.lang is None
        store.set_operator_lang(alice.id, "fr")
        assert store.get_operator(alice.id) == self.current_op(store, alice.id)
        assert self.current_op(store, alice.id).lang == "fr"
        assert [op.lang for op in store.list_operators()] == ["fr"]
        store.set_operator_lang(alice.id, None)
        assert self.current_op(store, alice.id).lang is None
        with pytest.raises(ValueError):
            store.set_operator_lang(alice.id, "xx")
        with pytest.raises(KeyError):
            store.set_operator_lang(alice.id + 1000, "en")

    def test_psychologist_is_a_role(self, store: Store) -> None:
        psy = self.operator(store, "psy", role="psychologist")
        assert self.current_op(store, psy.id).role == "psychologist"

    def current_op(self, store: Store, operator_id: int) -> Operator:
        op = store.get_operator(operator_id)
        assert op is not None
        return op
