"""Slow, memory-hungry checks (Argon2id) off the event loop, a bounded number at once,
at a lower CPU priority than the conversations.

Each password check costs 64 MiB and tens of milliseconds of CPU. Under gevent a call
into libsodium would hold the whole event loop, so it runs on real threads (a gevent
thread pool of this object's own); under the threaded server, on a thread pool too. At
most ``limit`` run at once; the others wait up to ``wait`` seconds, then get
:class:`Busy`. On Linux those threads run at nice ``NICE``: a login burst takes the CPU
the conversations leave, not theirs (tests/abuse/test_floods.py).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["NICE", "Busy", "SlowWork"]

T = TypeVar("T")

# The niceness of the threads that run slow checks (Linux sets it per thread).
NICE = 10


class Busy(RuntimeError):
    """Too many slow checks are running; try again in a moment."""


def _gevent() -> Any:
    """gevent, when it has patched threading (the module is only ever imported by the
    server that runs under it), else None."""
    monkey: Any = sys.modules.get("gevent.monkey")
    if monkey is None or not monkey.is_module_patched("threading"):
        return None
    return sys.modules["gevent"]


def _lower_priority() -> None:
    """Lower the calling thread's CPU priority (Linux only: elsewhere the call would
    lower the whole process's). Raising one's niceness needs no privilege."""
    if sys.platform == "linux" and os.getpriority(os.PRIO_PROCESS, 0) < NICE:
        os.setpriority(os.PRIO_PROCESS, 0, NICE)


def _low(fn: Callable[..., T], args: tuple[object, ...]) -> T:
    _lower_priority()
    return fn(*args)


class SlowWork:
    def __init__(self, limit: int, wait: float = 10.0) -> None:
        # Under gevent's monkey-patching this is a cooperative semaphore.
        self._slots = threading.BoundedSemaphore(limit)
        self._limit = limit
        self._wait = wait
        self._pool: Any = None  # made on first use, in the process that serves
        self._making = threading.Lock()

    def _threads(self) -> Any:
        with self._making:
            if self._pool is None:
                if _gevent() is not None:
                    from gevent.threadpool import ThreadPool

                    self._pool = ThreadPool(self._limit)
                else:
                    self._pool = ThreadPoolExecutor(self._limit, thread_name_prefix="pnav-slow")
            return self._pool

    def run(self, fn: Callable[..., T], *args: object) -> T:
        if not self._slots.acquire(timeout=self._wait):
            raise Busy("too many checks at once")
        try:
            pool = self._threads()
            if isinstance(pool, ThreadPoolExecutor):
                result: T = pool.submit(_low, fn, args).result()
            else:
                result = pool.apply(_low, (fn, args))
            return result
        finally:
            self._slots.release()
