"""What one app's metrics endpoint shows: the process's metrics (metrics.py) and the
floor's gauges, read from the last readiness round, never from the store at scrape
time; written in the Prometheus text format by prometheus_client.

With several gunicorn workers on one host, set ``PROMETHEUS_MULTIPROC_DIR`` (an empty
folder, emptied at each start): every worker then writes its counters there and any
worker's ``/metrics`` answers the sum (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from pnav.server.ops.metrics import PROCESS

__all__ = ["CONTENT_TYPE", "ROLES", "FloorCounts", "app_registry", "exposition"]

CONTENT_TYPE = CONTENT_TYPE_LATEST
ROLES = ("operator", "supervisor", "psychologist")  # psychologist: issue 12


@dataclass(frozen=True)
class FloorCounts:
    """The floor in numbers, as the last readiness round read it."""

    waiting: int = 0
    waiting_danger: int = 0
    active: int = 0
    operators: Mapping[str, int] = field(default_factory=dict)  # role -> connected


class _FloorCollector(Collector):
    def __init__(self, counts: Callable[[], FloorCounts | None]) -> None:
        self._counts = counts

    def collect(self) -> Iterator[Metric]:
        counts = self._counts()
        if counts is None:  # no round yet: say nothing rather than a false zero
            return
        yield GaugeMetricFamily(
            "pnav_conversations_waiting", "Conversations waiting in the queue.", counts.waiting
        )
        yield GaugeMetricFamily(
            "pnav_conversations_waiting_danger",
            "Conversations in the queue whose person said they are in danger.",
            counts.waiting_danger,
        )
        yield GaugeMetricFamily(
            "pnav_conversations_active", "Conversations held by an operator.", counts.active
        )
        operators = GaugeMetricFamily(
            "pnav_operators_connected",
            "Staff with a console connected anywhere, by role.",
            labels=["role"],
        )
        for role in ROLES:
            operators.add_metric([role], counts.operators.get(role, 0))
        yield operators


class _ProcessMetrics(Collector):
    """This process's counters, or every worker's when in multiprocess mode."""

    def __init__(self) -> None:
        self._multi: CollectorRegistry | None = None
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            self._multi = CollectorRegistry()
            multiprocess.MultiProcessCollector(self._multi)  # type: ignore[no-untyped-call]

    def collect(self) -> Iterator[Metric]:
        yield from (self._multi or PROCESS).collect()


def app_registry(counts: Callable[[], FloorCounts | None]) -> CollectorRegistry:
    """What one app's metrics endpoint shows: the process's metrics and the floor's."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ProcessMetrics())
    registry.register(_FloorCollector(counts))
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    """The Prometheus text format (prometheus_client writes it, not us)."""
    return generate_latest(registry)
