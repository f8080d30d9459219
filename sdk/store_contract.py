"""The contract every :class:`~pnav.sdk.store.Store` keeps, as a pytest suite.

An integrator tests a store with one class: subclass :class:`StoreContract` under a
name pytest collects (``Test…``) and give it a ``store`` fixture that returns a fresh,
empty store (and closes it afterwards)::

    import pytest
    from pnav.sdk.store_contract import StoreContract

    from mypackage import MyStore

    class TestMyStore(StoreContract):
        @pytest.fixture
        def store(self):
            store = MyStore(...)          # empty: no conversations, operators or keys
            yield store
            store.close()

``StoreContract`` itself is not collected (its name does not start with ``Test``).
Every built-in store runs this suite: ``MemoryStore``, ``SQLiteStore`` and
``PostgresStore`` (``tests/server/test_store_contract.py``).

The tests only use the public ``Store`` methods. Where a backend reports an integrity
error with its own exception type (a duplicate username, a desk key added twice), the
suite accepts any ``Exception`` and checks that nothing was stored.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, TypeVar

import pytest

from pnav.sdk.store import (
    DURATION_BUCKETS,
    WAIT_BUCKETS,
    ActivityCounts,
    CannedReply,
    Conversation,
    DeskKey,
    Handover,
    NewConversation,
    Note,
    Operator,
    Store,
    StoredMessage,
)

__all__ = ["StoreContract", "new_conversation"]

T = TypeVar("T")

THREADS = 8


def new_conversation(**changes: Any) -> NewConversation:
    """A valid :class:`NewConversation`; keyword arguments replace its fields."""
    values: dict[str, Any] = {
        "partner": "demo",
        "who": "victim",
        "what": "domestic",
        "danger": False,
        "lang": "fr",
        # ciphertext is arbitrary bytes: NUL and high bytes must survive
        "sealed_key": b"\x00sealed\xff" + os.urandom(24),
        "desk_key": "desk-1",
    }
    values.update(changes)
    return NewConversation(**values)


def _in_threads(count: int, work: Callable[[int], T]) -> list[T]:
    """Run ``work(0..count-1)`` in threads released together; re-raise the first error."""
    barrier = threading.Barrier(count, timeout=30)

    def run(index: int) -> T:
        barrier.wait()
        return work(index)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def _ids(convs: list[Conversation]) -> list[str]:
    return [c.id for c in convs]


class StoreContract:
    """Base class of a store's contract tests; see the module docstring."""

    @pytest.fixture
    def store(self) -> Iterator[Store]:
        raise NotImplementedError(
            f"{type(self).__name__} must define a `store` fixture returning an empty Store"
        )
        yield  # pragma: no cover - makes this a generator fixture like the overrides

    # -- helpers -------------------------------------------------------
    def operator(self, store: Store, name: str = "alice", role: str = "operator") -> Operator:
        return store.add_operator(
            name, role, b"salt-" + name.encode(), 2, 65536, b"auth\x00" + name.encode(), b"pk"
        )

    def conversation(self, store: Store, **changes: Any) -> Conversation:
        return store.create_conversation(new_conversation(**changes))

    def current(self, store: Store, conv_id: str) -> Conversation:
        conv = store.get_conversation(conv_id)
        assert conv is not None, f"conversation {conv_id} vanished"
        return conv

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

    def test_waiting_conversations_danger_first_then_oldest(self, store: Store) -> None:
        calm_old = self.conversation(store)
        danger_old = self.conversation(store, danger=True)
        calm_new = self.conversation(store)
        danger_new = self.conversation(store, danger=True)
        taken = self.conversation(store, danger=True)
        op = self.operator(store)
        assert store.assign(taken.id, op.id)
        assert _ids(store.waiting_conversations()) == [
            danger_old.id,
            danger_new.id,
            calm_old.id,
            calm_new.id,
        ]

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
        won = _in_threads(THREADS, lambda i: store.assign(conv.id, ops[i].id))
        assert won.count(True) == 1
        assert self.current(store, conv.id).operator_id == ops[won.index(True)].id

    def test_operator_conversations_are_their_active_ones_oldest_first(self, store: Store) -> None:
        alice, bob = self.operator(store, "alice"), self.operator(store, "bob")
        first, second, closed, bobs, waiting = (self.conversation(store) for _ in range(5))
        for conv, op in ((first, alice), (second, alice), (closed, alice), (bobs, bob)):
            assert store.assign(conv.id, op.id)
        assert store.close_conversation(closed.id, "information")
        assert _ids(store.operator_conversations(alice.id)) == [first.id, second.id]
        assert _ids(store.operator_conversations(bob.id)) == [bobs.id]
        assert store.operator_conversations(alice.id + bob.id + 1000) == []
        assert waiting.id in _ids(store.waiting_conversations())

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
        assert _ids(store.operator_conversations(bob.id)) == [conv.id]
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
        assert _ids(store.active_conversations()) == [created_second.id, created_first.id]
        assert waiting.id not in _ids(store.active_conversations())

    def test_people_in_state(self, store: Store) -> None:
        op = self.operator(store)
        early, late, other, closed = (self.conversation(store) for _ in range(4))
        assert store.assign(late.id, op.id)
        store.set_person_state(early.id, "reconnecting", now=100.0)
        store.set_person_state(late.id, "reconnecting", now=200.0)
        store.set_person_state(other.id, "gone", now=100.0)
        store.set_person_state(closed.id, "reconnecting", now=100.0)
        assert store.close_conversation(closed.id, "person_left")
        assert set(_ids(store.people_in_state("reconnecting", 150.0))) == {early.id}
        assert set(_ids(store.people_in_state("reconnecting", 250.0))) == {early.id, late.id}
        # strictly before: a person who changed state at that very time is not included
        assert set(_ids(store.people_in_state("reconnecting", 200.0))) == {early.id}
        assert set(_ids(store.people_in_state("gone", 150.0))) == {other.id}
        assert store.people_in_state("quick_exit", 1e12) == []

    def test_idle_conversations(self, store: Store) -> None:
        gone, connected, talking, closed = (self.conversation(store) for _ in range(4))
        for conv in (gone, talking, closed):
            store.set_person_state(conv.id, "gone")
        assert store.close_conversation(closed.id, "person_left")
        msg, _ = store.append_message(talking.id, "person", "c1", b"x")
        last = self.current(store, talking.id).last_activity
        assert last >= msg.created_at
        assert set(_ids(store.idle_conversations(time.time() + 10))) == {gone.id, talking.id}
        # strictly before: activity at ``before`` is not idle
        assert set(_ids(store.idle_conversations(last))) == {gone.id}
        assert store.idle_conversations(gone.created_at) == []
        assert connected.id not in _ids(store.idle_conversations(1e12))

    def test_purge_closed_removes_every_trace(self, store: Store) -> None:
        op, other = self.operator(store, "alice"), self.operator(store, "bob")
        doomed, kept = self.conversation(store), self.conversation(store)
        for conv in (doomed, kept):
            assert store.assign(conv.id, op.id)
            store.append_message(conv.id, "person", "p1", b"secret " + conv.id.encode())
            store.append_message(conv.id, "operator", "o1", b"reply")
            store.put_resume_code(conv.id, b"hash-" + conv.id.encode(), b"wrapped")
            store.add_note(conv.id, op.id, "note", b"note on " + conv.id.encode())
            store.add_note(conv.id, other.id, "whisper", b"whisper")
            store.join_conversation(conv.id, other.id)
        assert store.transfer(doomed.id, op.id, Handover(doomed.id, op.id, other.id, b"n", 1.0))
        assert store.close_conversation(doomed.id, "report")
        closed_at = self.current(store, doomed.id).closed_at
        assert closed_at is not None
        # strictly before: a conversation closed at that instant is kept
        assert store.purge_closed(closed_at) == 0
        assert store.get_conversation(doomed.id) is not None
        assert store.purge_closed(time.time() + 10) == 1

        assert store.get_conversation(doomed.id) is None
        assert store.messages_after(doomed.id, 0) == []
        assert store.handovers(doomed.id) == []
        assert store.find_resume_code(b"hash-" + doomed.id.encode()) is None
        assert store.notes(doomed.id) == []
        assert store.observers(doomed.id) == []
        assert store.operator_conversations(other.id) == []
        assert self.current(store, kept.id).last_seq == 2
        assert [m.body for m in store.messages_after(kept.id, 0)] == [
            b"secret " + kept.id.encode(),
            b"reply",
        ]
        assert store.find_resume_code(b"hash-" + kept.id.encode()) == (kept.id, b"wrapped")
        assert _ids(store.operator_conversations(op.id)) == [kept.id]
        assert [(n.kind, n.body) for n in store.notes(kept.id)] == [
            ("note", b"note on " + kept.id.encode()),
            ("whisper", b"whisper"),
        ]
        assert store.observers(kept.id) == [other.id]
        # the kept conversation still knows its client ids
        assert store.append_message(kept.id, "person", "p1", b"again")[1] is False

    def test_purge_closed_counts_and_never_touches_open_conversations(self, store: Store) -> None:
        closed = [self.conversation(store) for _ in range(3)]
        waiting = self.conversation(store)
        store.set_person_state(waiting.id, "gone", now=0.0)
        for conv in closed:
            assert store.close_conversation(conv.id, "person_left")
        assert store.purge_closed(time.time() + 10) == 3
        assert store.purge_closed(time.time() + 10) == 0
        assert _ids(store.waiting_conversations()) == [waiting.id]

    # -- activity (statistics) -------------------------------------------
    def test_activity_of_an_empty_range_is_all_zero(self, store: Store) -> None:
        assert store.activity(0.0, time.time() + 10) == ActivityCounts()
        self.conversation(store)
        assert store.activity(0.0, 1.0) == ActivityCounts()

    def test_activity_counts_by_category_who_outcome_and_state(self, store: Store) -> None:
        alice, bob = self.operator(store, "alice"), self.operator(store, "bob")
        before = time.time()
        a = self.conversation(store, what="domestic", who="victim", lang="fr", danger=True)
        b = self.conversation(store, what="domestic", who="relative", lang="es")
        c = self.conversation(store, what="sexual", who="victim", lang="fr")
        d = self.conversation(store, what="other", who="witness", lang="uk", danger=True)
        e = self.conversation(store, what="sexual", who="professional", lang="fr")
        self.conversation(store, what="cyber_harassment", who="victim", lang="fr")  # waiting
        for conv in (a, b, c, d):
            assert store.assign(conv.id, alice.id)
        assert store.close_conversation(a.id, "report")
        assert store.close_conversation(b.id, "referral")
        assert store.close_conversation(c.id, "report")
        assert store.close_conversation(e.id, "person_left")  # closed without being taken
        store.set_person_state(e.id, "quick_exit")
        store.set_person_state(d.id, "quick_exit")  # still active
        handover = Handover(d.id, alice.id, bob.id, b"\x00note", time.time())
        assert store.transfer(d.id, alice.id, handover)
        got = store.activity(before, time.time() + 10)
        assert (got.started, got.taken, got.closed, got.danger, got.quick_exits) == (6, 4, 4, 2, 2)
        assert got.by_what == {"domestic": 2, "sexual": 2, "other": 1, "cyber_harassment": 1}
        assert got.by_who == {"victim": 3, "relative": 1, "witness": 1, "professional": 1}
        assert got.by_lang == {"fr": 4, "es": 1, "uk": 1}
        assert got.by_outcome == {"report": 2, "referral": 1, "person_left": 1}
        # the transferred conversation's first wait is unknown: a, b and c are measured
        waits = sorted(
            self.current(store, x.id).assigned_at - x.created_at  # type: ignore[operator]
            for x in (a, b, c)
        )
        assert got.waits_measured == 3
        assert got.median_wait == pytest.approx(waits[1])

    def test_activity_counts_only_conversations_started_in_the_range(self, store: Store) -> None:
        convs = []
        for what in ("sexual", "domestic", "domestic", "other"):
            convs.append(self.conversation(store, what=what))
            time.sleep(0.002)  # distinct start times
        first, second, third, fourth = convs
        for conv in convs:
            assert store.assign(conv.id, self.operator(store, conv.id[:8]).id)
        # since is inclusive, until exclusive
        got = store.activity(second.created_at, fourth.created_at)
        assert (got.started, got.taken, got.by_what) == (2, 2, {"domestic": 2})
        assert got.waits_measured == 2
        waits = [self.current(store, c.id).assigned_at - c.created_at for c in (second, third)]  # type: ignore[operator]
        assert got.median_wait == pytest.approx(sum(waits) / 2)  # an even count: the mean
        assert store.activity(first.created_at, second.created_at).by_what == {"sexual": 1}
        # a purged conversation is no longer counted
        assert store.close_conversation(first.id, "information")
        store.purge_closed(time.time() + 10)
        assert store.activity(0.0, time.time() + 10).started == 3

    # -- notes and observers ---------------------------------------------
    def test_notes_keep_their_fields_oldest_first(self, store: Store) -> None:
        alice, sue = self.operator(store, "alice"), self.operator(store, "sue", "supervisor")
        conv, other = self.conversation(store), self.conversation(store)
        assert store.notes(conv.id) == []
        body = b"\x00note\xff" + bytes(range(256))
        before = time.time()
        first = store.add_note(conv.id, alice.id, "note", body)
        after = time.time()
        assert isinstance(first, Note)
        assert (first.conv, first.author, first.kind, first.body) == (
            conv.id,
            alice.id,
            "note",
            body,
        )
        assert isinstance(first.body, bytes) and isinstance(first.id, int)
        assert before <= first.created_at <= after
        elsewhere = store.add_note(other.id, alice.id, "note", b"elsewhere")
        whisper = store.add_note(conv.id, sue.id, "whisper", b"ask about the children")
        assert first.id < elsewhere.id < whisper.id  # increasing across conversations
        assert store.notes(conv.id) == [first, whisper]
        assert store.notes(other.id) == [elsewhere]
        assert store.notes("no-such-conversation") == []

    def test_add_note_refuses_bad_input_and_stores_nothing(self, store: Store) -> None:
        alice = self.operator(store)
        conv = self.conversation(store)
        with pytest.raises(KeyError):
            store.add_note("no-such-conversation", alice.id, "note", b"x")
        with pytest.raises(KeyError):
            store.add_note(conv.id, alice.id + 1000, "note", b"x")
        for kind in ("", "Note", "shout"):
            with pytest.raises(ValueError, match="note, whisper"):
                store.add_note(conv.id, alice.id, kind, b"x")
        assert store.notes(conv.id) == []
        assert store.notes("no-such-conversation") == []

    def test_concurrent_notes_get_distinct_increasing_ids(self, store: Store) -> None:
        ops = [self.operator(store, f"op{i}") for i in range(THREADS)]
        conv = self.conversation(store)
        per_thread = 10

        def write(t: int) -> list[Note]:
            return [
                store.add_note(conv.id, ops[t].id, "note", f"{t}-{i}".encode())
                for i in range(per_thread)
            ]

        results = _in_threads(THREADS, write)
        for written in results:  # one thread's notes keep its order
            assert [n.id for n in written] == sorted(n.id for n in written)
        stored = store.notes(conv.id)
        assert len(stored) == len({n.id for n in stored}) == THREADS * per_thread
        assert [n.id for n in stored] == sorted(n.id for n in stored)
        assert sorted(stored, key=lambda n: n.id) == sorted(
            (n for written in results for n in written), key=lambda n: n.id
        )

    def test_observers_join_in_order_and_leave(self, store: Store) -> None:
        sue, tom = self.operator(store, "sue", "supervisor"), self.operator(store, "tom")
        conv, other = self.conversation(store), self.conversation(store)
        assert store.observers(conv.id) == []
        store.join_conversation(conv.id, tom.id)
        store.join_conversation(conv.id, sue.id)
        store.join_conversation(conv.id, tom.id)  # again: no change, not moved to the end
        assert store.observers(conv.id) == [tom.id, sue.id]
        assert store.observers(other.id) == []
        store.leave_conversation(conv.id, tom.id)
        store.leave_conversation(conv.id, tom.id)  # again: no change
        store.leave_conversation(other.id, sue.id)  # never joined: no change
        store.leave_conversation("no-such-conversation", sue.id)
        assert store.observers(conv.id) == [sue.id]
        store.join_conversation(conv.id, tom.id)  # back, after sue now
        assert store.observers(conv.id) == [sue.id, tom.id]
        assert store.observers("no-such-conversation") == []

    def test_join_refuses_unknown_conversation_and_operator(self, store: Store) -> None:
        sue = self.operator(store, "sue", "supervisor")
        conv = self.conversation(store)
        with pytest.raises(KeyError):
            store.join_conversation("no-such-conversation", sue.id)
        with pytest.raises(KeyError):
            store.join_conversation(conv.id, sue.id + 1000)
        assert store.observers(conv.id) == []
        assert store.observers("no-such-conversation") == []

    def test_concurrent_joins_record_each_observer_once(self, store: Store) -> None:
        ops = [self.operator(store, f"op{i}", "supervisor") for i in range(THREADS)]
        same, many = self.conversation(store), self.conversation(store)
        _in_threads(THREADS, lambda i: store.join_conversation(same.id, ops[0].id))
        assert store.observers(same.id) == [ops[0].id]
        _in_threads(THREADS, lambda i: store.join_conversation(many.id, ops[i].id))
        watching = store.observers(many.id)
        assert sorted(watching) == sorted(op.id for op in ops)
        assert store.observers(many.id) == watching  # one order, and it stays

    def test_activity_buckets_count_waits_and_durations(self, store: Store) -> None:
        alice, bob = self.operator(store, "alice"), self.operator(store, "bob")
        before = time.time()
        # a fifth stays waiting: no wait yet
        closed, active, untaken, moved, _ = (self.conversation(store) for _ in range(5))
        for conv in (closed, active, moved):
            assert store.assign(conv.id, alice.id)
        assert store.close_conversation(closed.id, "referral")
        assert store.close_conversation(untaken.id, "person_left")  # never taken: no wait
        handover = Handover(moved.id, alice.id, bob.id, b"n", time.time())
        assert store.transfer(moved.id, alice.id, handover)  # first wait unknown
        assert store.close_conversation(moved.id, "report")
        got = store.activity(before, time.time() + 10)
        # every label, in order; these took well under a minute
        assert list(got.wait_buckets) == [label for label, _ in WAIT_BUCKETS]
        assert list(got.duration_buckets) == [label for label, _ in DURATION_BUCKETS]
        assert got.wait_buckets == {**dict.fromkeys(got.wait_buckets, 0), "<1 min": 2}
        assert got.duration_buckets == {**dict.fromkeys(got.duration_buckets, 0), "<5 min": 1}
        assert sum(got.wait_buckets.values()) == got.waits_measured

    def test_started_series_counts_per_interval(self, store: Store) -> None:
        convs = []
        for _ in range(4):
            convs.append(self.conversation(store))
            time.sleep(0.002)  # distinct start times
        t = [c.created_at for c in convs]
        # lower bounds included, upper bounds excluded
        assert store.started_series([t[0], t[1], t[3], t[3] + 1]) == [1, 2, 1]
        assert store.started_series([t[0] - 10, t[0], t[3] + 1, t[3] + 2]) == [0, 4, 0]
        assert store.started_series([t[1], t[3]]) == [2]
        assert store.started_series([]) == [] and store.started_series([t[0]]) == []
        # many intervals at once (two years of days is 732)
        many = [t[0] - 1000 + i for i in range(1000)] + [t[3] + 1]
        series = store.started_series(many)
        assert len(series) == 1000 and series[-1] == 4 and sum(series) == 4
        for bad in ([t[1], t[0]], [t[0], t[0]], [t[0], t[2], t[1]]):
            with pytest.raises(ValueError, match="strictly increasing"):
                store.started_series(bad)
        assert store.close_conversation(convs[0].id, "information")
        store.purge_closed(time.time() + 10)
        assert store.started_series([t[0], t[3] + 1]) == [3]

    # -- messages ------------------------------------------------------
    def test_append_numbers_messages_per_conversation(self, store: Store) -> None:
        one, two = self.conversation(store), self.conversation(store)
        seqs = [store.append_message(one.id, "person", f"p{i}", b"m")[0].seq for i in range(3)]
        assert seqs == [1, 2, 3]
        msg, new = store.append_message(two.id, "person", "p0", b"m")
        assert (msg.seq, new) == (1, True)
        assert self.current(store, one.id).last_seq == 3
        assert self.current(store, two.id).last_seq == 1

    def test_append_keeps_fields_and_updates_activity(self, store: Store) -> None:
        conv = self.conversation(store)
        body = bytes(range(256)) * 64  # 16 KiB of every byte value
        before = time.time()
        msg, new = store.append_message(conv.id, "operator", "client-1", body)
        assert new is True
        assert (msg.conv, msg.seq, msg.sender, msg.client_id, msg.body) == (
            conv.id,
            1,
            "operator",
            "client-1",
            body,
        )
        assert before <= msg.created_at <= time.time()
        got = self.current(store, conv.id)
        assert got.last_seq == 1
        assert got.last_activity >= msg.created_at >= conv.last_activity
        assert store.messages_after(conv.id, 0) == [msg]

    def test_duplicate_client_id_returns_the_first_copy(self, store: Store) -> None:
        conv = self.conversation(store)
        first, new = store.append_message(conv.id, "person", "same", b"first")
        assert new is True
        again, new = store.append_message(conv.id, "person", "same", b"second")
        assert new is False
        assert again == first and again.body == b"first"
        # the same client id from the other side, or in another conversation, is another message
        theirs, new = store.append_message(conv.id, "operator", "same", b"op")
        assert (theirs.seq, new) == (2, True)
        elsewhere = self.conversation(store)
        assert store.append_message(elsewhere.id, "person", "same", b"x")[1] is True
        assert self.current(store, conv.id).last_seq == 2
        assert [m.body for m in store.messages_after(conv.id, 0)] == [b"first", b"op"]

    def test_append_to_unknown_conversation_raises_key_error(self, store: Store) -> None:
        with pytest.raises(KeyError):
            store.append_message("no-such-conversation", "person", "c", b"x")

    def test_messages_after_in_sequence_order(self, store: Store) -> None:
        conv, other = self.conversation(store), self.conversation(store)
        for i in range(6):
            sender = "person" if i % 2 else "operator"
            store.append_message(conv.id, sender, f"c{i}", f"m{i}".encode())
            store.append_message(other.id, "person", f"c{i}", b"other")
        assert [m.seq for m in store.messages_after(conv.id, 0)] == [1, 2, 3, 4, 5, 6]
        after = store.messages_after(conv.id, 3)
        assert [(m.seq, m.body) for m in after] == [(4, b"m3"), (5, b"m4"), (6, b"m5")]
        assert all(m.conv == conv.id for m in after)
        assert store.messages_after(conv.id, 6) == []
        assert store.messages_after("no-such-conversation", 0) == []

    def test_concurrent_appends_get_distinct_gap_free_numbers(self, store: Store) -> None:
        conv = self.conversation(store)
        per_thread = 25

        def append(t: int) -> list[int]:
            sender = "person" if t % 2 else "operator"
            return [
                store.append_message(conv.id, sender, f"t{t}-{i}", b"m")[0].seq
                for i in range(per_thread)
            ]

        results = _in_threads(THREADS, append)
        total = THREADS * per_thread
        assert sorted(s for seqs in results for s in seqs) == list(range(1, total + 1))
        for seqs in results:  # one thread's messages keep its order
            assert seqs == sorted(seqs)
        stored = store.messages_after(conv.id, 0)
        assert [m.seq for m in stored] == list(range(1, total + 1))
        assert len({(m.sender, m.client_id) for m in stored}) == total
        assert self.current(store, conv.id).last_seq == total

    def test_concurrent_duplicates_are_stored_once(self, store: Store) -> None:
        conv = self.conversation(store)

        def append_copy(client_id: str, t: int) -> tuple[StoredMessage, bool]:
            return store.append_message(conv.id, "person", client_id, f"copy {t}".encode())

        for round_ in range(5):
            results = _in_threads(THREADS, functools.partial(append_copy, f"dup-{round_}"))
            assert [new for _, new in results].count(True) == 1
            assert len({msg for msg, _ in results}) == 1
            assert results[0][0].seq == round_ + 1
        assert [m.seq for m in store.messages_after(conv.id, 0)] == [1, 2, 3, 4, 5]
        assert self.current(store, conv.id).last_seq == 5

    # -- operators -----------------------------------------------------
    def test_add_and_find_operators(self, store: Store) -> None:
        alice = store.add_operator(
            "alice", "supervisor", b"\x00salt", 3, 1 << 28, b"\xffauth", b"\x01" * 32
        )
        assert isinstance(alice.id, int)
        assert (alice.username, alice.role, alice.salt, alice.kdf_ops, alice.kdf_mem) == (
            "alice",
            "supervisor",
            b"\x00salt",
            3,
            1 << 28,
        )
        assert (alice.auth_hash, alice.public_key, alice.removed) == (
            b"\xffauth",
            b"\x01" * 32,
            False,
        )
        bob = self.operator(store, "bob")
        assert bob.id != alice.id
        assert store.get_operator(alice.id) == alice
        assert store.find_operator("bob") == bob
        assert store.find_operator("nobody") is None
        assert store.get_operator(alice.id + bob.id + 1000) is None
        assert store.list_operators() == sorted([alice, bob], key=lambda op: op.id)

    def test_usernames_are_unique(self, store: Store) -> None:
        first = self.operator(store, "alice")
        with pytest.raises(Exception):  # noqa: B017 - each backend has its own error type
            self.operator(store, "alice", role="supervisor")
        assert store.list_operators() == [first]

    def test_remove_operator_marks_removed_and_deletes_their_wraps(self, store: Store) -> None:
        alice, bob = self.operator(store, "alice"), self.operator(store, "bob")
        store.add_desk_key(DeskKey("k1", b"pub1", 1.0), {alice.id: b"a1", bob.id: b"b1"})
        store.remove_operator(alice.id)
        removed = store.get_operator(alice.id)
        assert removed is not None and removed.removed is True
        assert store.find_operator("alice") == removed
        assert store.desk_key_wraps(alice.id) == {}
        assert store.desk_key_wraps(bob.id) == {"k1": b"b1"}
        assert [op.removed for op in store.list_operators()] == [True, False]

    def test_capacity_defaults_to_none_and_can_be_set(self, store: Store) -> None:
        alice, bob = self.operator(store, "alice"), self.operator(store, "bob")
        assert alice.capacity is None
        store.set_capacity(alice.id, 3)
        got = store.get_operator(alice.id)
        assert got is not None and got.capacity == 3
        assert got == store.find_operator("alice")
        assert [op.capacity for op in store.list_operators()] == [3, None]
        store.set_capacity(alice.id, 1)
        assert store.get_operator(alice.id) == replace(alice, capacity=1)
        store.set_capacity(alice.id, None)
        assert store.get_operator(alice.id) == alice
        assert store.get_operator(bob.id) == bob

    def test_set_capacity_refuses_bad_input(self, store: Store) -> None:
        alice = self.operator(store)
        store.set_capacity(alice.id, 2)
        for bad in (0, -1):
            with pytest.raises(ValueError, match="at least 1"):
                store.set_capacity(alice.id, bad)
        with pytest.raises(KeyError):
            store.set_capacity(alice.id + 1000, 2)
        got = store.get_operator(alice.id)
        assert got is not None and got.capacity == 2
        assert store.get_operator(alice.id + 1000) is None

    # -- desk keys -----------------------------------------------------
    def test_desk_keys_the_last_added_is_current(self, store: Store) -> None:
        alice, bob = self.operator(store, "alice"), self.operator(store, "bob")
        assert store.current_desk_key() is None
        first = DeskKey("k1", b"\x00pub1", 100.0)
        store.add_desk_key(first, {alice.id: b"a1", bob.id: b"b1"})
        assert store.current_desk_key() == first
        second = DeskKey("k2", b"\x00pub2", 200.0)
        store.add_desk_key(second, {alice.id: b"a2"})
        assert store.current_desk_key() == second
        same_time = DeskKey("k3", b"\x00pub3", 200.0)
        store.add_desk_key(same_time, {})
        assert store.current_desk_key() == same_time
        assert store.desk_key_wraps(alice.id) == {"k1": b"a1", "k2": b"a2"}
        assert store.desk_key_wraps(bob.id) == {"k1": b"b1"}
        assert store.desk_key_wraps(alice.id + bob.id + 1000) == {}

    def test_add_desk_key_is_all_or_nothing(self, store: Store) -> None:
        alice, bob = self.operator(store, "alice"), self.operator(store, "bob")
        first = DeskKey("k1", b"pub1", 100.0)
        store.add_desk_key(first, {alice.id: b"a1"})
        # a wrap for an operator who does not exist: no key, no wrap
        missing = alice.id + bob.id + 1000
        with pytest.raises(Exception):  # noqa: B017 - each backend has its own error type
            store.add_desk_key(DeskKey("k2", b"pub2", 200.0), {bob.id: b"b2", missing: b"x"})
        assert store.current_desk_key() == first
        assert store.desk_key_wraps(bob.id) == {}
        # the same key id twice: the second call stores nothing
        with pytest.raises(Exception):  # noqa: B017 - each backend has its own error type
            store.add_desk_key(DeskKey("k1", b"other", 300.0), {bob.id: b"b1"})
        assert store.current_desk_key() == first
        assert store.desk_key_wraps(bob.id) == {}

    def test_put_desk_key_wrap_adds_or_replaces(self, store: Store) -> None:
        alice, bob = self.operator(store, "alice"), self.operator(store, "bob")
        store.add_desk_key(DeskKey("k1", b"pub1", 1.0), {alice.id: b"a1"})
        store.put_desk_key_wrap(bob.id, "k1", b"b1")
        store.put_desk_key_wrap(alice.id, "k1", b"a1-again")
        assert store.desk_key_wraps(alice.id) == {"k1": b"a1-again"}
        assert store.desk_key_wraps(bob.id) == {"k1": b"b1"}

    # -- resume codes ----------------------------------------------------
    def test_resume_codes(self, store: Store) -> None:
        conv, other = self.conversation(store), self.conversation(store)
        assert store.find_resume_code(b"\x00hash1") is None
        store.put_resume_code(conv.id, b"\x00hash1", b"\xffwrapped1")
        store.put_resume_code(other.id, b"\x00hash-other", b"wrapped-other")
        assert store.find_resume_code(b"\x00hash1") == (conv.id, b"\xffwrapped1")
        # a new code replaces the conversation's earlier one
        store.put_resume_code(conv.id, b"\x00hash2", b"wrapped2")
        assert store.find_resume_code(b"\x00hash1") is None
        assert store.find_resume_code(b"\x00hash2") == (conv.id, b"wrapped2")
        assert store.find_resume_code(b"\x00hash-other") == (other.id, b"wrapped-other")

    # -- canned replies --------------------------------------------------
    def test_canned_replies_by_language_then_title(self, store: Store) -> None:
        assert store.canned_replies() == []
        before = time.time()
        hello_fr = store.put_canned_reply("fr", "Bonjour", "Bonjour, je vous écoute.")
        after = time.time()
        assert isinstance(hello_fr, CannedReply) and isinstance(hello_fr.id, int)
        assert (hello_fr.lang, hello_fr.title, hello_fr.text) == (
            "fr",
            "Bonjour",
            "Bonjour, je vous écoute.",
        )
        assert before <= hello_fr.updated_at <= after
        safety = store.put_canned_reply("es", "Seguridad", "¿Está usted en un lugar seguro?\n✓")
        away = store.put_canned_reply("fr", "Absence", "Je reviens dans un instant.")
        hello_en = store.put_canned_reply("en", "Hello", "Hello, I am listening.")
        assert len({hello_fr.id, safety.id, away.id, hello_en.id}) == 4
        assert store.canned_replies() == [hello_en, safety, away, hello_fr]
        assert store.canned_replies("fr") == [away, hello_fr]
        assert store.canned_replies("es") == [safety]
        assert store.canned_replies("uk") == []

    def test_put_canned_reply_with_an_id_replaces_it(self, store: Store) -> None:
        first = store.put_canned_reply("fr", "Bonjour", "Bonjour.")
        other = store.put_canned_reply("fr", "Merci", "Merci.")
        changed = store.put_canned_reply("en", "Hello", "Hello there.", reply_id=first.id)
        assert (changed.id, changed.lang, changed.title, changed.text) == (
            first.id,
            "en",
            "Hello",
            "Hello there.",
        )
        assert changed.updated_at >= first.updated_at
        assert store.canned_replies() == [changed, other]
        with pytest.raises(KeyError):
            store.put_canned_reply("fr", "Nope", "x", reply_id=first.id + other.id + 1000)
        assert store.canned_replies() == [changed, other]

    def test_delete_canned_reply_and_ids_are_not_reused(self, store: Store) -> None:
        first = store.put_canned_reply("fr", "A", "a")
        last = store.put_canned_reply("fr", "B", "b")
        assert store.delete_canned_reply(last.id) is True
        assert store.delete_canned_reply(last.id) is False
        assert store.delete_canned_reply(first.id + last.id + 1000) is False
        assert store.canned_replies() == [first]
        # a page still showing the deleted reply must not edit a newer one by its id
        newer = store.put_canned_reply("fr", "C", "c")
        assert newer.id not in (first.id, last.id)
        with pytest.raises(KeyError):
            store.put_canned_reply("fr", "B", "edited", reply_id=last.id)
        assert store.canned_replies() == [first, newer]

    def test_concurrent_canned_replies_get_distinct_ids(self, store: Store) -> None:
        added = _in_threads(
            THREADS, lambda i: store.put_canned_reply("fr", f"Réponse {i}", f"texte {i}")
        )
        assert len({r.id for r in added}) == THREADS
        assert store.canned_replies("fr") == sorted(added, key=lambda r: r.title)
