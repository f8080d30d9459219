"""What the app factory builds for operations: the readiness checks, the floor's
numbers and alarms, and the metrics registry of one app (docs/operations.md).

The store check reads the floor (queue, active conversations, who is connected):
that read is what proves the store answers, and it gives the metrics their gauges and
the floor alarms their facts, so nothing reads the store at scrape or probe time.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry

from pnav.sdk.broker import Broker
from pnav.sdk.store import Store
from pnav.sdk.translator import SafeTranslator
from pnav.server.ops import exposition, metrics
from pnav.server.ops.alarms import Alarms
from pnav.server.ops.health import Check, Health

__all__ = ["FloorReading", "Watch", "read_floor"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FloorReading:
    counts: exposition.FloorCounts
    danger_overdue: int  # danger conversations unanswered past the limit


def read_floor(
    store: Store, connected: Callable[[int], bool], now: float, danger_limit: float
) -> FloorReading:
    """The floor in numbers, counted by the store. A danger conversation is overdue when
    it has waited in the queue, or its person's last message has waited for an answer,
    over ``danger_limit`` seconds."""
    tally = store.floor_tally(now - danger_limit)
    roles = Counter(op.role for op in store.list_operators() if connected(op.id))
    counts = exposition.FloorCounts(
        waiting=tally.waiting,
        waiting_danger=tally.waiting_danger,
        active=tally.active,
        operators=dict(roles),
    )
    return FloorReading(counts, tally.danger_overdue)


def _call(backend: Any) -> Check | None:
    """A casework backend's readiness check: its ``ping()``, if it has one (the
    built-in ones that reach a service do; a plugin may add one)."""
    inner = getattr(backend, "inner", backend)  # SafeTranslator, SafeDispatcher, AuditedReportSink
    ping = getattr(inner, "ping", None)
    return ping if callable(ping) else None


class Watch:
    """Readiness, the floor's numbers and alarms for one app.

    ``floor_alarms=False`` (tests that move time themselves) leaves the floor alarms
    to :meth:`floor_round`; the checks still run.
    """

    def __init__(
        self,
        store: Store,
        broker: Broker,
        connected: Callable[[int], bool],
        publish: Callable[[dict[str, Any]], None],
        *,
        translator: SafeTranslator | None = None,
        dispatcher: Any = None,
        report_sink: Any = None,
        assets: Callable[[], list[str]] = list,
        every: float = 5.0,
        danger_limit: float = 180.0,
        floor_alarms: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store, self.connected, self.clock = store, connected, clock
        self.danger_limit = danger_limit
        self.floor_alarms = floor_alarms
        self.alarms = Alarms(publish, clock)
        self.closing: list[Callable[[], None]] = []  # e.g. the metrics listener's stop
        self._counts: exposition.FloorCounts | None = None
        self.registry: CollectorRegistry = exposition.app_registry(lambda: self._counts)
        checks: dict[str, Check] = {"store": self._store_check, "assets": self._assets(assets)}
        broker_ping = getattr(broker, "ping", None)
        if callable(broker_ping):  # the in-process broker has nothing to reach
            checks["broker"] = broker_ping
        backends = (
            ("translator", translator),
            ("dispatcher", dispatcher),
            ("report_sink", report_sink),
        )
        for name, backend in backends:
            check = _call(backend)
            if check is not None:
                checks[name] = check
        # A check that has not answered in 3 s is "timeout", however often checks run.
        self.health = Health(checks, every=every, timeout=3.0, on_change=self._changed)

    @staticmethod
    def _assets(missing: Callable[[], list[str]]) -> Check:
        def check() -> None:
            if missing():
                raise FileNotFoundError("the widget is not built")

        return check

    def _store_check(self) -> None:
        if self.floor_alarms:
            self.floor_round()
        else:
            self._counts = read_floor(self.store, self.connected, self.clock(), 0).counts

    def floor_round(self, now: float | None = None) -> FloorReading:
        """Read the floor, update the gauges and the floor alarms (the store check does
        this every few seconds; tests call it with their own clock)."""
        now = self.clock() if now is None else now
        reading = read_floor(self.store, self.connected, now, self.danger_limit)
        self._counts = reading.counts
        counts = reading.counts
        nobody = counts.waiting > 0 and counts.operators.get("operator", 0) == 0
        self.alarms.set("no_operator", counts.waiting if nobody else 0)
        self.alarms.set("danger_unanswered", reading.danger_overdue)
        return reading

    def _changed(self, name: str, state: str) -> None:
        if name == "translator":
            self.alarms.set("translator_down", 0 if state == "ok" else 1)

    # -- what the casework endpoints tell -----------------------------------
    def dispatched(self, status: str) -> None:
        """An emergency dispatch ended (after its retries) with ``status``."""
        metrics.dispatch(status)
        if status == "failed":
            self.alarms.add("dispatch_failed")
        else:
            self.alarms.set("dispatch_failed", 0)

    def reported(self, status: str) -> None:
        """A report ended (after its retries) with ``status``."""
        metrics.report(status)
        if status == "failed":
            self.alarms.add("report_failed")
        else:
            self.alarms.set("report_failed", 0)

    def start(self) -> None:
        self.health.start()

    def stop(self) -> None:
        self.health.stop()
        for close in self.closing:
            close()
