"""The store contract: messages, numbered without gaps and de-duplicated, and resume codes."""

from __future__ import annotations

import functools
import time

import pytest

from pnav.sdk.store import Store, StoredMessage
from pnav.sdk.testing.store.base import THREADS, StoreContractBase, in_threads

__all__ = ["MessageContract"]


class MessageContract(StoreContractBase):
    """Appending and reading messages, alone and concurrently; resume codes."""

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

        results = in_threads(THREADS, append)
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
            results = in_threads(THREADS, functools.partial(append_copy, f"dup-{round_}"))
            assert [new for _, new in results].count(True) == 1
            assert len({msg for msg, _ in results}) == 1
            assert results[0][0].seq == round_ + 1
        assert [m.seq for m in store.messages_after(conv.id, 0)] == [1, 2, 3, 4, 5]
        assert self.current(store, conv.id).last_seq == 5

    def test_concurrent_appends_across_conversations(self, store: Store) -> None:
        """Appends to many conversations at once (which a store may write together, in
        one transaction): each conversation numbered 1..n in each writer's order, a
        resent client id stored once, and an unknown conversation refused on its own."""
        convs = [self.conversation(store).id for _ in range(4)]
        per_thread = 12

        def append(t: int) -> list[tuple[str, int, bool]]:
            sender = "person" if t % 2 else "operator"
            out = []
            for i in range(per_thread):
                conv = convs[(t + i) % len(convs)]
                msg, new = store.append_message(conv, sender, f"t{t}-{i}", f"{t}.{i}".encode())
                out.append((conv, msg.seq, new))
                if i % 4 == 0:  # a resend of the same message: the first copy again
                    again, new_again = store.append_message(conv, sender, f"t{t}-{i}", b"x")
                    assert (again.seq, new_again) == (msg.seq, False)
                if t == 0 and i == per_thread // 2:
                    with pytest.raises(KeyError):
                        store.append_message("no-such-conversation", sender, f"t{t}-x", b"x")
            return out

        results = in_threads(THREADS, append)
        assert all(new for seqs in results for _, _, new in seqs)
        for conv in convs:
            stored = store.messages_after(conv, 0)
            assert [m.seq for m in stored] == list(range(1, len(stored) + 1))
            assert self.current(store, conv).last_seq == len(stored)
            for seqs in results:  # a writer's messages to a conversation keep its order
                mine = [seq for c, seq, _ in seqs if c == conv]
                assert mine == sorted(mine)
            by_seq = {m.seq: m for m in stored}
            for t, seqs in enumerate(results):
                for i, (c, seq, _) in enumerate(seqs):
                    if c == conv:
                        assert by_seq[seq].client_id == f"t{t}-{i}"
                        assert by_seq[seq].body == f"{t}.{i}".encode()
        assert sum(len(store.messages_after(c, 0)) for c in convs) == THREADS * per_thread

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
