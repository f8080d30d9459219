"""What the store contract's parts share: the ``store`` fixture, helpers and data.

:class:`StoreContractBase` is the base class of every part of
:class:`~pnav.sdk.testing.store.StoreContract`; an integrator subclasses the whole
contract, not this.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from pnav.sdk.store import Conversation, NewConversation, NewOperator, Operator, Store

__all__ = ["THREADS", "StoreContractBase", "ids", "in_threads", "new_conversation"]

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


def new_operator(name: str = "alice", role: str = "operator", **changes: Any) -> NewOperator:
    """A valid :class:`NewOperator`; keyword arguments replace its fields."""
    values: dict[str, Any] = {
        "username": name,
        "role": role,
        "salt": b"salt-" + name.encode(),
        "kdf_ops": 2,
        "kdf_mem": 65536,
        "auth_hash": b"auth\x00" + name.encode(),
        "public_key": b"pk",
    }
    values.update(changes)
    return NewOperator(**values)


def in_threads(count: int, work: Callable[[int], T]) -> list[T]:
    """Run ``work(0..count-1)`` in threads released together; re-raise the first error."""
    barrier = threading.Barrier(count, timeout=30)

    def run(index: int) -> T:
        barrier.wait()
        return work(index)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def ids(convs: list[Conversation]) -> list[str]:
    return [c.id for c in convs]


class StoreContractBase:
    """The ``store`` fixture to override, and helpers that make records in a store."""

    @pytest.fixture
    def store(self) -> Iterator[Store]:
        raise NotImplementedError(
            f"{type(self).__name__} must define a `store` fixture returning an empty Store"
        )
        yield  # pragma: no cover - makes this a generator fixture like the overrides

    # -- helpers -------------------------------------------------------
    def operator(self, store: Store, name: str = "alice", role: str = "operator") -> Operator:
        return store.add_operator(new_operator(name, role))

    def conversation(self, store: Store, **changes: Any) -> Conversation:
        return store.create_conversation(new_conversation(**changes))

    def current(self, store: Store, conv_id: str) -> Conversation:
        conv = store.get_conversation(conv_id)
        assert conv is not None, f"conversation {conv_id} vanished"
        return conv
