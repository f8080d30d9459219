"""Password checks: a bounded number at once, on threads at a lower CPU priority."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from pnav.server.abuse import Busy, SlowWork
from pnav.server.abuse.slow_work import NICE


def _niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, 0)


@pytest.mark.skipif(sys.platform != "linux", reason="niceness is per thread on Linux only")
def test_checks_run_at_a_lower_priority_and_the_caller_keeps_its_own() -> None:
    before = _niceness()
    assert before < NICE, "run the tests at the usual priority"
    assert SlowWork(2).run(_niceness) == NICE
    assert _niceness() == before


def test_more_checks_than_slots_wait_then_are_refused() -> None:
    work = SlowWork(1, wait=0.2)
    started, release = threading.Event(), threading.Event()

    def hold() -> None:
        started.set()
        release.wait(10)

    holder = threading.Thread(target=work.run, args=(hold,))
    holder.start()
    assert started.wait(10)
    with pytest.raises(Busy):
        work.run(lambda: None)
    release.set()
    holder.join(10)
    assert work.run(lambda: 7) == 7
