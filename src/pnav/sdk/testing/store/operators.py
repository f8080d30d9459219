"""The store contract: operators and the desk keys wrapped for them."""

from __future__ import annotations

import pytest

from pnav.sdk.store import DeskKey, NewOperator, Store
from pnav.sdk.testing.store.base import StoreContractBase

__all__ = ["OperatorContract"]


class OperatorContract(StoreContractBase):
    """Adding, finding and removing operators; desk keys and their wraps."""

    # -- operators -----------------------------------------------------
    def test_add_and_find_operators(self, store: Store) -> None:
        alice = store.add_operator(
            NewOperator("alice", "supervisor", b"\x00salt", 3, 1 << 28, b"\xffauth", b"\x01" * 32)
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
        with pytest.raises(ValueError, match="exists already"):
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
        with pytest.raises(KeyError):
            store.add_desk_key(DeskKey("k2", b"pub2", 200.0), {bob.id: b"b2", missing: b"x"})
        assert store.current_desk_key() == first
        assert store.desk_key_wraps(bob.id) == {}
        # the same key id twice: the second call stores nothing
        with pytest.raises(ValueError, match="exists already"):
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
