"""The example router passes pnav's router contract, and goes round."""

from __future__ import annotations

import pytest
from pnav_example_router import RoundRobinRouter

from pnav.sdk.router import Candidate
from pnav.sdk.testing import RouterContract
from pnav.sdk.testing.router import conversation


class TestRoundRobinRouter(RouterContract):
    __test__ = True

    @pytest.fixture
    def router(self) -> RoundRobinRouter:
        return RoundRobinRouter(capacity=2)


def test_it_goes_round_and_skips_the_full_and_the_absent() -> None:
    router = RoundRobinRouter(capacity=2)
    ops = [
        Candidate(1, "a", "operator", 0, True),
        Candidate(2, "b", "operator", 2, True),  # full
        Candidate(3, "c", "operator", 1, True),
        Candidate(4, "d", "operator", 0, False),  # not connected
    ]
    picks = [router.choose(conversation(f"c{i}"), ops) for i in range(4)]
    assert picks == [1, 3, 1, 3]
