"""Readiness, checked in the background: each check runs on a thread of its own every
few seconds, so a probe of ``/readyz`` reads the last results and never waits on a
database, a broker or a casework service (docs/operations.md, "Probes").

A check is a function that returns when its backend answered and raises when it did
not. One that has not returned after ``timeout`` seconds counts as failed
(``timeout``) until it returns; it is not started again meanwhile, so a hung backend
costs one thread, not one per round.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pnav.server.ops import metrics
from pnav.server.ops.logs import event

__all__ = ["Check", "Health", "Readiness"]

log = logging.getLogger(__name__)

Check = Callable[[], None]


@dataclass(frozen=True)
class Readiness:
    """What ``/readyz`` answers: ready or not, each check's state, and the failures as
    short machine-readable reasons (``<check>_<state>``)."""

    ready: bool
    checks: Mapping[str, str]  # name -> "ok" | "starting" | "unreachable" | "timeout"

    @property
    def reasons(self) -> list[str]:
        return [f"{name}_{state}" for name, state in self.checks.items() if state != "ok"]

    def to_json(self) -> dict[str, object]:
        body: dict[str, object] = {"status": "ready" if self.ready else "not_ready"}
        body["checks"] = dict(self.checks)
        if not self.ready:
            body["reasons"] = self.reasons
        return body


class _Runner:
    """One check's thread and its last result."""

    def __init__(self, name: str, check: Check, health: Health) -> None:
        self.name, self.check, self.health = name, check, health
        self.state = "starting"
        self.running_since: float | None = None
        self.thread = threading.Thread(target=self._run, name=f"pnav-check-{name}", daemon=True)

    def _run(self) -> None:
        h = self.health
        while not h.stopped.is_set():
            self.running_since = h.clock()
            try:
                self.check()
            except Exception as exc:  # any failure of the backend makes it unreachable
                state, cause = "unreachable", type(exc).__name__
            else:
                state, cause = "ok", ""
            self.running_since = None
            h.record(self.name, state, cause)
            h.stopped.wait(h.every)


class Health:
    """Runs the checks; ``readiness()`` tells what they last said."""

    def __init__(
        self,
        checks: Mapping[str, Check],
        every: float = 5.0,
        timeout: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[str, str], None] | None = None,
    ) -> None:
        self.every, self.timeout, self.clock = every, timeout, clock
        self._on_change = on_change
        self.stopped = threading.Event()
        self._lock = threading.Lock()
        self._runners = {name: _Runner(name, check, self) for name, check in checks.items()}
        self._last_ready: bool | None = None
        self._started = False

    def start(self) -> None:
        """Start the checks (once; later calls do nothing)."""
        with self._lock:
            if self._started or self.stopped.is_set():
                return
            self._started = True
        for runner in self._runners.values():
            runner.thread.start()

    def stop(self) -> None:
        self.stopped.set()

    def record(self, name: str, state: str, cause: str) -> None:
        with self._lock:
            runner = self._runners[name]
            changed, runner.state = runner.state != state, state
        if changed:
            level = logging.INFO if state == "ok" else logging.WARNING
            # The exception's class only: messages can carry DSNs, hosts or addresses.
            cause_field = {"cause": cause} if cause else {}
            event(log, level, "check.changed", check=name, state=state, **cause_field)
            if self._on_change is not None:
                self._on_change(name, state)
        self.readiness()

    def state(self, name: str) -> str:
        """One check's state now (``timeout`` while it hangs past the deadline)."""
        with self._lock:
            runner = self._runners.get(name)
            if runner is None:
                return "ok"
            since = runner.running_since
            if since is not None and self.clock() - since > self.timeout:
                return "timeout"
            return runner.state

    def readiness(self) -> Readiness:
        self.start()  # an app built without background work starts them at first use
        checks = {name: self.state(name) for name in self._runners}
        ready = all(state == "ok" for state in checks.values())
        metrics.readiness({n: s == "ok" for n, s in checks.items()}, ready)
        with self._lock:
            changed, self._last_ready = self._last_ready != ready, ready
        if changed:
            starting = all(s in ("ok", "starting") for s in checks.values())
            level = logging.INFO if ready or starting else logging.WARNING
            reasons = ",".join(f"{n}_{s}" for n, s in checks.items() if s != "ok")
            event(log, level, "readiness.changed", ready=ready, reasons=reasons or "none")
        return Readiness(ready, checks)
