"""The store contract: purging closed conversations, and the statistics (counts only)."""

from __future__ import annotations

import time

import pytest

from pnav.sdk.store import DURATION_BUCKETS, WAIT_BUCKETS, ActivityCounts, Handover, Store
from pnav.sdk.testing.store.base import StoreContractBase, ids

__all__ = ["ActivityContract"]


class ActivityContract(StoreContractBase):
    """Purging every trace of closed conversations; activity counts and series."""

    # -- purging -------------------------------------------------------
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
        assert ids(store.operator_conversations(op.id)) == [kept.id]
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
        # still waiting, though out of the queue while the person is gone
        assert self.current(store, waiting.id).state == "waiting"

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
