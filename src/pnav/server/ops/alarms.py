"""The floor's alarms: when help cannot reach help (docs/operations.md, "Alarms").

An alarm is raised or cleared by kind (:data:`~pnav.server.ops.metrics.ALARM_KINDS`);
each change goes to every connected supervisor as an ``alarm`` frame, to the
``pnav_alarm`` metric and to the log as the event ``alarm.raised`` or
``alarm.cleared``. Supervisors who connect later get the alarms that are up.

With several server processes each keeps its own alarms; the frames go through the
broker, so every supervisor hears every process, and the console keeps the latest
word per kind.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pnav.server.ops import metrics
from pnav.server.ops.logs import event

__all__ = ["Alarm", "Alarms"]

log = logging.getLogger(__name__)

Publish = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Alarm:
    """A raised alarm: since when, and how many things are behind it (failed
    dispatches, danger conversations unanswered, people waiting...)."""

    kind: str
    since: float
    count: int

    def frame(self) -> dict[str, Any]:
        return {
            "t": "alarm",
            "alarm": self.kind,
            "on": True,
            "since": int(self.since * 1000),
            "count": self.count,
        }


def _cleared(kind: str) -> dict[str, Any]:
    return {"t": "alarm", "alarm": kind, "on": False, "since": None, "count": 0}


class Alarms:
    """This process's alarms; ``publish`` sends a frame to every supervisor."""

    def __init__(self, publish: Publish, clock: Callable[[], float] = time.time) -> None:
        self._publish = publish
        self._clock = clock
        self._lock = threading.Lock()
        self._up: dict[str, Alarm] = {}
        for kind in metrics.ALARM_KINDS:  # a new server has none up (one app a process)
            metrics.alarm(kind, False)

    def set(self, kind: str, count: int) -> None:
        """Raise ``kind`` when ``count`` > 0 (or update its count), else clear it."""
        if kind not in metrics.ALARM_KINDS:
            raise ValueError(f"unknown alarm {kind!r}")
        with self._lock:
            before = self._up.get(kind)
            if count > 0:
                if before is not None and before.count == count:
                    return
                alarm = Alarm(kind, before.since if before else self._clock(), count)
                self._up[kind] = alarm
                frame = alarm.frame()
            else:
                if before is None:
                    return
                del self._up[kind]
                frame = _cleared(kind)
        if before is None:
            metrics.alarm(kind, True)
            event(log, logging.WARNING, "alarm.raised", kind=kind, count=count)
        elif count <= 0:
            metrics.alarm(kind, False)
            event(log, logging.INFO, "alarm.cleared", kind=kind)
        self._send(frame)

    def add(self, kind: str) -> None:
        """One more thing behind ``kind`` (a dispatch that failed after its retries)."""
        with self._lock:
            current = self._up.get(kind)
        self.set(kind, 1 if current is None else current.count + 1)

    def up(self) -> list[Alarm]:
        with self._lock:
            return list(self._up.values())

    def frames(self) -> list[dict[str, Any]]:
        """The alarms that are up, as frames for a supervisor who just connected."""
        return [alarm.frame() for alarm in self.up()]

    def _send(self, frame: dict[str, Any]) -> None:
        try:
            self._publish(frame)
        except Exception:  # the metric and the log still carry it
            log.warning("alarm frame not published")
