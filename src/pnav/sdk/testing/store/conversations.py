"""The store contract: conversations, from waiting to closed, and their handovers."""

from __future__ import annotations

import itertools
import time

import pytest

from pnav.sdk.store import Handover, Store, queue_order
from pnav.sdk.testing.store.base import (
    THREADS,
    StoreContractBase,
    ids,
    in_threads,
    new_conversation,
)

__all__ = ["ConversationContract"]


class ConversationContract(StoreContractBase):
    """Creating, assigning, closing and transferring conversations."""

    # -- conversations -------------------------------------------------
    def test_create_conversation_keeps_fields_and_starts_waiting(self, store: Store) -> None:
        new = new_conversation(danger=True, who="witness", what="sexual", lang="uk")
        before = time.time()
        conv = store.create_conversation(new)
        after = time.time()
        assert isinstance(conv.id, str) and len(conv.id) >= 16
        assert (conv.partner, conv.who, conv.what, conv.danger, conv.lang) == (
            "demo",
            "witness",
            "sexual",
            True,
            "uk",
        )
        assert conv.sealed_key == new.sealed_key and isinstance(conv.sealed_key, bytes)
        assert conv.desk_key == "desk-1"
        assert (conv.state, conv.person, conv.operator_id, conv.outcome) == (
            "waiting",
            "connected",
            None,
            None,
        )
        assert (conv.assigned_at, conv.closed_at, conv.last_seq) == (None, None, 0)
        assert before <= conv.created_at <= after
        assert before <= conv.person_since <= after
        assert before <= conv.last_activity <= after
        assert store.get_conversation(conv.id) == conv

    def test_conversation_ids_are_unique(self, store: Store) -> None:
        ids = {self.conversation(store).id for _ in range(20)}
        assert len(ids) == 20

    def test_unknown_conversation_is_none(self, store: Store) -> None:
        assert store.get_conversation("no-such-conversation") is None

    def test_waiting_conversations_follow_the_queue_order(
        self, store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """pnav.sdk.store.queue_order: danger first, then the oldest, then by id. The
        clock stands still for some of them, so that equal times must fall back on ids
        (a store that takes its time from the database may have no ties: it is checked
        against the same rule)."""
        clock = [1000.0]
        monkeypatch.setattr(time, "time", lambda: clock[0])
        made = []
        for at, danger in ((1000.0, False), (1000.0, True), (1000.0, False), (1000.0, True),
                           (999.0, False), (1001.0, True), (1000.0, False)):  # fmt: skip
            clock[0] = at
            made.append(self.conversation(store, danger=danger))
        taken = self.conversation(store, danger=True)
        clock[0] = 1002.0
        assert store.assign(taken.id, self.operator(store).id)
        expected = sorted((self.current(store, c.id) for c in made), key=queue_order)
        assert ids(store.waiting_conversations()) == ids(expected)
        # The rule itself, on the fields the store kept.
        dangers = [c.danger for c in expected]
        assert dangers == sorted(dangers, reverse=True)
        for a, b in itertools.pairwise(expected):
            if a.danger == b.danger:
                assert (a.created_at, a.id) < (b.created_at, b.id)

    def test_queue_position_is_the_place_in_the_waiting_list(
        self, store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Ties in time fall back on ids, as in the queue; a conversation that is not
        waiting (taken, closed, its person gone, or unknown) has no place."""
        clock = [1000.0]
        monkeypatch.setattr(time, "time", lambda: clock[0])
        made = []
        for at, danger in ((1000.0, False), (1000.0, True), (999.0, False), (1000.0, False),
                           (1000.0, True), (1001.0, False)):  # fmt: skip
            clock[0] = at
            made.append(self.conversation(store, danger=danger))
        taken, closed, gone = made[1], made[3], made[5]
        assert store.assign(taken.id, self.operator(store).id)
        assert store.close_conversation(closed.id, "other")
        store.set_person_state(gone.id, "gone")
        waiting = ids(store.waiting_conversations())
        assert len(waiting) == 3
        for place, conv_id in enumerate(waiting, start=1):
            assert store.queue_position(conv_id) == place
        for conv in (taken, closed, gone):
            assert store.queue_position(conv.id) is None
        assert store.queue_position("no-such-conversation") is None
        store.set_person_state(gone.id, "connected")  # back in place
        assert (
            store.queue_position(gone.id) == ids(store.waiting_conversations()).index(gone.id) + 1
        )

    def test_assign_only_a_waiting_conversation(self, store: Store) -> None:
        alice, bob = self.operator(store, "alice"), self.operator(store, "bob")
        conv = self.conversation(store)
        before = time.time()
        assert store.assign(conv.id, alice.id) is True
        assert store.assign(conv.id, bob.id) is False
        got = self.current(store, conv.id)
        assert (got.state, got.operator_id) == ("active", alice.id)
        assert got.assigned_at is not None and got.assigned_at >= before
        assert store.waiting_conversations() == []
        assert store.assign("no-such-conversation", alice.id) is False

    def test_assign_is_won_by_exactly_one_of_many_threads(self, store: Store) -> None:
        ops = [self.operator(store, f"op{i}") for i in range(THREADS)]
        conv = self.conversation(store)
        won = in_threads(THREADS, lambda i: store.assign(conv.id, ops[i].id))
        assert won.count(True) == 1
        assert self.current(store, conv.id).operator_id == ops[won.index(True)].id

    def test_close_waiting_conversation_closes_only_a_waiting_one(self, store: Store) -> None:
        op = self.operator(store)
        waiting, active = self.conversation(store), self.conversation(store)
        assert store.assign(active.id, op.id)
        before = time.time()
        assert store.close_waiting_conversation(active.id, "abuse") is False
        assert self.current(store, active.id).state == "active"
        assert store.close_waiting_conversation(waiting.id, "abuse") is True
        got = self.current(store, waiting.id)
        assert (got.state, got.outcome) == ("closed", "abuse")
        assert got.closed_at is not None and got.closed_at >= before
        assert store.close_waiting_conversation(waiting.id, "abuse") is False
        assert store.assign(waiting.id, op.id) is False
        assert store.close_waiting_conversation("no-such-conversation", "abuse") is False

    def test_closing_a_waiting_one_and_assigning_it_have_one_winner(self, store: Store) -> None:
        """Half the threads assign, half close while waiting: exactly one succeeds, and
        the conversation is what that one made it."""
        ops = [self.operator(store, f"op{i}") for i in range(THREADS)]
        for _ in range(5):
            conv = self.conversation(store)

            def race(i: int, conv_id: str = conv.id) -> bool:
                if i % 2:
                    return store.assign(conv_id, ops[i].id)
                return store.close_waiting_conversation(conv_id, "abuse")

            won = in_threads(THREADS, race)
            assert won.count(True) == 1
            winner = won.index(True)
            got = self.current(store, conv.id)
            if winner % 2:
                assert (got.state, got.operator_id) == ("active", ops[winner].id)
            else:
                assert (got.state, got.outcome, got.operator_id) == ("closed", "abuse", None)

    def test_operator_conversations_are_their_active_ones_oldest_first(self, store: Store) -> None:
        alice, bob = self.operator(store, "alice"), self.operator(store, "bob")
        first, second, closed, bobs, waiting = (self.conversation(store) for _ in range(5))
        for conv, op in ((first, alice), (second, alice), (closed, alice), (bobs, bob)):
            assert store.assign(conv.id, op.id)
        assert store.close_conversation(closed.id, "information")
        assert ids(store.operator_conversations(alice.id)) == [first.id, second.id]
        assert ids(store.operator_conversations(bob.id)) == [bobs.id]
        assert store.operator_conversations(alice.id + bob.id + 1000) == []
        assert waiting.id in ids(store.waiting_conversations())

    def test_close_conversation_once(self, store: Store) -> None:
        op = self.operator(store)
        waiting, active = self.conversation(store), self.conversation(store)
        assert store.assign(active.id, op.id)
        before = time.time()
        assert store.close_conversation(waiting.id, "person_left") is True
        assert store.close_conversation(active.id, "report") is True
        assert store.close_conversation(active.id, "emergency") is False
        for conv_id, outcome in ((waiting.id, "person_left"), (active.id, "report")):
            got = self.current(store, conv_id)
            assert (got.state, got.outcome) == ("closed", outcome)
            assert got.closed_at is not None and got.closed_at >= before
        assert store.waiting_conversations() == []
        assert store.active_conversations() == []
        assert store.assign(waiting.id, op.id) is False
        assert store.close_conversation("no-such-conversation", "information") is False

    def test_set_person_state_records_when(self, store: Store) -> None:
        conv = self.conversation(store)
        store.set_person_state(conv.id, "reconnecting", now=1234.5)
        got = self.current(store, conv.id)
        assert (got.person, got.person_since) == ("reconnecting", 1234.5)
        before = time.time()
        store.set_person_state(conv.id, "gone")
        got = self.current(store, conv.id)
        assert got.person == "gone"
        assert before <= got.person_since <= time.time()

    def test_transfer_moves_an_active_conversation_and_records_the_handover(
        self, store: Store
    ) -> None:
        alice, bob, carol = (self.operator(store, n) for n in ("alice", "bob", "carol"))
        conv = self.conversation(store)
        assert store.assign(conv.id, alice.id)
        first = Handover(conv.id, alice.id, bob.id, b"\x00note one\xff", 1000.0)
        assert store.transfer(conv.id, alice.id, first) is True
        assert self.current(store, conv.id).operator_id == bob.id
        assert ids(store.operator_conversations(bob.id)) == [conv.id]
        assert store.operator_conversations(alice.id) == []
        # only the holder can hand it over
        stray = Handover(conv.id, alice.id, carol.id, b"stray", 1001.0)
        assert store.transfer(conv.id, alice.id, stray) is False
        assert self.current(store, conv.id).operator_id == bob.id
        # a supervisor's takeover may have no "from" operator on record
        second = Handover(conv.id, None, carol.id, b"note two", 1002.0)
        assert store.transfer(conv.id, bob.id, second) is True
        assert store.handovers(conv.id) == [first, second]

    def test_transfer_refuses_waiting_closed_and_unknown(self, store: Store) -> None:
        alice, bob = self.operator(store, "alice"), self.operator(store, "bob")
        waiting, closed = self.conversation(store), self.conversation(store)
        assert store.assign(closed.id, alice.id)
        assert store.close_conversation(closed.id, "information")
        for conv_id in (waiting.id, closed.id, "no-such-conversation"):
            handover = Handover(conv_id, alice.id, bob.id, b"n", 1.0)
            assert store.transfer(conv_id, alice.id, handover) is False
            assert store.handovers(conv_id) == []
        assert self.current(store, waiting.id).state == "waiting"

    def test_active_conversations_oldest_assignment_first(self, store: Store) -> None:
        alice, bob = self.operator(store, "alice"), self.operator(store, "bob")
        created_first, created_second, waiting = (self.conversation(store) for _ in range(3))
        assert store.assign(created_second.id, bob.id)
        assert store.assign(created_first.id, alice.id)
        assert ids(store.active_conversations()) == [created_second.id, created_first.id]
        assert waiting.id not in ids(store.active_conversations())

    def test_people_in_state(self, store: Store) -> None:
        op = self.operator(store)
        early, late, other, closed = (self.conversation(store) for _ in range(4))
        assert store.assign(late.id, op.id)
        store.set_person_state(early.id, "reconnecting", now=100.0)
        store.set_person_state(late.id, "reconnecting", now=200.0)
        store.set_person_state(other.id, "gone", now=100.0)
        store.set_person_state(closed.id, "reconnecting", now=100.0)
        assert store.close_conversation(closed.id, "person_left")
        assert set(ids(store.people_in_state("reconnecting", 150.0))) == {early.id}
        assert set(ids(store.people_in_state("reconnecting", 250.0))) == {early.id, late.id}
        # strictly before: a person who changed state at that very time is not included
        assert set(ids(store.people_in_state("reconnecting", 200.0))) == {early.id}
        assert set(ids(store.people_in_state("gone", 150.0))) == {other.id}
        assert store.people_in_state("quick_exit", 1e12) == []

    def test_idle_conversations(self, store: Store) -> None:
        gone, connected, talking, closed = (self.conversation(store) for _ in range(4))
        for conv in (gone, talking, closed):
            store.set_person_state(conv.id, "gone")
        assert store.close_conversation(closed.id, "person_left")
        msg, _ = store.append_message(talking.id, "person", "c1", b"x")
        last = self.current(store, talking.id).last_activity
        assert last >= msg.created_at
        assert set(ids(store.idle_conversations(time.time() + 10))) == {gone.id, talking.id}
        # strictly before: activity at ``before`` is not idle
        assert set(ids(store.idle_conversations(last))) == {gone.id}
        assert store.idle_conversations(gone.created_at) == []
        assert connected.id not in ids(store.idle_conversations(1e12))
