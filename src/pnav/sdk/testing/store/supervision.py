"""The store contract: what supervision keeps (schema version 3): notes and whispers,
observers, operators' capacity, canned replies."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from pnav.sdk.store import CannedReply, Note, Store
from pnav.sdk.testing.store.base import THREADS, StoreContractBase, in_threads

__all__ = ["SupervisionContract"]


class SupervisionContract(StoreContractBase):
    """Notes, observers, capacity and canned replies."""

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

        results = in_threads(THREADS, write)
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
        in_threads(THREADS, lambda i: store.join_conversation(same.id, ops[0].id))
        assert store.observers(same.id) == [ops[0].id]
        in_threads(THREADS, lambda i: store.join_conversation(many.id, ops[i].id))
        watching = store.observers(many.id)
        assert sorted(watching) == sorted(op.id for op in ops)
        assert store.observers(many.id) == watching  # one order, and it stays

    # -- capacity ------------------------------------------------------
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
        added = in_threads(
            THREADS, lambda i: store.put_canned_reply("fr", f"Réponse {i}", f"texte {i}")
        )
        assert len({r.id for r in added}) == THREADS
        assert store.canned_replies("fr") == sorted(added, key=lambda r: r.title)
