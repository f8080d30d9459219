"""The contract every router keeps, as a test suite an integrator runs on theirs.

Subclass :class:`RouterContract` in a test module (``class TestMyRouter(RouterContract):
__test__ = True``) and give it a ``router`` fixture returning your router.
"""

from __future__ import annotations

import random
import time
from dataclasses import replace

from pnav.sdk.memory_store import MemoryStore
from pnav.sdk.router import Candidate, Router
from pnav.sdk.store import Conversation, NewConversation

__all__ = ["RouterContract", "conversation"]


def conversation(
    conv_id: str = "c1", *, danger: bool = False, lang: str = "fr", what: str = "domestic"
) -> Conversation:
    """A waiting conversation as the server would offer it."""
    new = NewConversation("demo", "victim", what, danger, lang, b"\x01" + bytes(104), "k1")
    return replace(MemoryStore().create_conversation(new), id=conv_id)


class RouterContract:
    __test__ = False

    def test_it_never_chooses_someone_absent_or_unknown(self, router: Router) -> None:
        rnd = random.Random(7)  # noqa: S311 - test inputs, not secrets
        for round_ in range(200):
            candidates = [
                Candidate(
                    i,
                    f"op{i}",
                    "operator",
                    rnd.randint(0, 5),
                    rnd.random() < 0.5,
                    capacity=rnd.choice([None, None, 1, 2, 4]),  # set by a supervisor
                )
                for i in range(rnd.randint(0, 6))
            ]
            conv = conversation(
                f"c{round_}",
                danger=rnd.random() < 0.2,
                lang=rnd.choice(["fr", "en", "ar", "fr-BE"]),
                what=rnd.choice(["domestic", "sexual", "cyber_harassment"]),
            )
            choice = router.choose(conv, candidates)
            if choice is not None:
                assert choice in {c.id for c in candidates if c.connected}

    def test_nobody_to_choose_means_none(self, router: Router) -> None:
        assert router.choose(conversation(), []) is None
        offline = [Candidate(1, "a", "operator", 0, False)]
        assert router.choose(conversation(), offline) is None

    def test_it_answers_quickly(self, router: Router) -> None:
        candidates = [Candidate(i, f"op{i}", "operator", i % 3, True) for i in range(50)]
        started = time.monotonic()
        for i in range(20):
            router.choose(conversation(f"c{i}"), candidates)
        assert time.monotonic() - started < 10
