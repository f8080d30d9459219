"""Whether anyone is on duty: the service hours (a setting) and the connected operators.

The chat asks before its pre-chat (``GET /api/service``, web/person.py): when the service
is closed, or open with no operator connected, the person is told so, with the emergency
numbers and when to come back, and no conversation is created.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from pnav.sdk.opening_hours import OpeningHours

__all__ = ["Duty", "duty", "next_opening"]


@dataclass(frozen=True)
class Duty:
    """``open``: someone can answer now; else ``reason`` is ``closed`` (outside the
    service hours) or ``nobody`` (no operator connected); ``opens`` the next opening
    (aware datetime) when the hours say when."""

    open: bool
    reason: str | None
    opens: dt.datetime | None
    hours: str

    def frame(self) -> dict[str, object]:
        return {
            "open": self.open,
            "reason": self.reason,
            "opens": None if self.opens is None else self.opens.isoformat(timespec="minutes"),
            "hours": self.hours,
        }


def next_opening(hours: OpeningHours, now: dt.datetime) -> dt.datetime | None:
    """The first start of a span after ``now`` within a week; None for 24/7 or unknown."""
    if hours.always or not hours.spans:
        return None
    local = now.astimezone(ZoneInfo(hours.tz))
    today = local.date()
    starts = []
    for ahead in range(8):
        day = today + dt.timedelta(days=ahead)
        for span_day, start, _ in hours.spans:
            if span_day == day.weekday():
                at = dt.datetime.combine(day, dt.time(start // 60, start % 60), local.tzinfo)
                if at > local:
                    starts.append(at)
    return min(starts, default=None)


def duty(hours: OpeningHours, operators_connected: bool, now: dt.datetime) -> Duty:
    """Who can answer at ``now`` (aware)."""
    if hours.is_open(now) is False:
        return Duty(False, "closed", next_opening(hours, now), hours.text)
    if not operators_connected:
        return Duty(False, "nobody", next_opening(hours, now), hours.text)
    return Duty(True, None, None, hours.text)
