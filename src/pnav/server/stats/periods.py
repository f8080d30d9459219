"""The statistics' calendar: days, ISO weeks and months in the server's local time.

A range of days (both included) is cut into periods, each clipped to the range, and
each period's start is the epoch second of its first local midnight, so a day with a
daylight-saving change is 23 or 25 hours long. The store counts conversations between
consecutive bounds (:meth:`~pnav.sdk.store.Store.started_series`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = ["GRAINS", "MAX_PERIODS", "Period", "day_bounds", "default_grain", "periods"]

GRAINS = ("day", "week", "month")
# Beyond this a chart's columns are too thin to read: choose a coarser grain.
MAX_PERIODS = {"day": 92, "week": 106, "month": 25}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Period:
    """``key``: ``2026-03-14``, ``2026-W11`` (ISO week) or ``2026-03``; ``label``: short,
    for a chart's axis; ``first`` and ``last``: its days within the range."""

    key: str
    label: str
    first: dt.date
    last: dt.date


def day_bounds(first: dt.date, last: dt.date) -> tuple[float, float]:
    """Epoch seconds of local midnight starting ``first`` and ending ``last``."""
    return _midnight(first), _midnight(last + dt.timedelta(days=1))


def _midnight(day: dt.date) -> float:
    return dt.datetime.combine(day, dt.time.min).timestamp()


def default_grain(first: dt.date, last: dt.date) -> str:
    """Days for up to a month, weeks for up to half a year, months beyond."""
    days = (last - first).days + 1
    return "day" if days <= 31 else "week" if days <= 183 else "month"


def periods(first: dt.date, last: dt.date, grain: str) -> list[Period]:
    """The periods covering ``first``..``last``, oldest first, clipped to the range."""
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {', '.join(GRAINS)}, not {grain!r}")
    out: list[Period] = []
    start = first
    while start <= last:
        if grain == "day":
            end = start
            key, label = start.isoformat(), f"{start.day} {_MONTHS[start.month - 1]}"
        elif grain == "week":
            year, week, weekday = start.isocalendar()
            end = start + dt.timedelta(days=7 - weekday)
            key, label = f"{year}-W{week:02d}", f"W{week:02d}"
        else:
            following = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
            end = following - dt.timedelta(days=1)
            key = f"{start.year}-{start.month:02d}"
            label = f"{_MONTHS[start.month - 1]} {start.year}"
        end = min(end, last)
        out.append(Period(key, label, start, end))
        start = end + dt.timedelta(days=1)
    return out


def bounds(covering: list[Period]) -> list[float]:
    """Each period's first local midnight, then the midnight ending the last one."""
    if not covering:
        return []
    return [_midnight(p.first) for p in covering] + [
        day_bounds(covering[-1].last, covering[-1].last)[1]
    ]
