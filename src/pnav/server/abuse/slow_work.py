"""Slow, memory-hungry checks (Argon2id) run off the event loop, a bounded number at once.

Each password check costs 64 MiB and tens of milliseconds of CPU. Under gevent a call
into libsodium would hold the whole event loop, so it runs on gevent's pool of real
threads; under the threaded server the request's own thread runs it. Either way at most
``limit`` run at once; the others wait up to ``wait`` seconds, then get :class:`Busy`.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["Busy", "SlowWork"]

T = TypeVar("T")


class Busy(RuntimeError):
    """Too many slow checks are running; try again in a moment."""


def _gevent() -> Any:
    """gevent, when it has patched threading (the module is only ever imported by the
    server that runs under it), else None."""
    monkey: Any = sys.modules.get("gevent.monkey")
    if monkey is None or not monkey.is_module_patched("threading"):
        return None
    return sys.modules["gevent"]


class SlowWork:
    def __init__(self, limit: int, wait: float = 10.0) -> None:
        # Under gevent's monkey-patching this is a cooperative semaphore.
        self._slots = threading.BoundedSemaphore(limit)
        self._wait = wait

    def run(self, fn: Callable[..., T], *args: object) -> T:
        if not self._slots.acquire(timeout=self._wait):
            raise Busy("too many checks at once")
        try:
            gevent = _gevent()
            if gevent is not None:
                result: T = gevent.get_hub().threadpool.apply(fn, args)
                return result
            return fn(*args)
        finally:
            self._slots.release()
