"""Opening hours in a small subset of OpenStreetMap's ``opening_hours`` syntax.

``24/7``; or rules separated by ``;``, each days then times:
``Mo-Fr 09:00-12:00,14:00-17:00; Sa 10:00-12:00``. Days are ``Mo Tu We Th Fr Sa Su``,
single, listed with ``,`` or as a range with ``-``. A time range whose end is not after
its start runs past midnight (``Fr 21:00-02:00``). The empty string means unknown.
Times are local to ``tz`` (default Europe/Paris).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["DAYS", "OpeningHours"]

DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_TIME = re.compile(r"([01]\d|2[0-4]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)")

Span = tuple[int, int, int]  # weekday, start minute, end minute (end may exceed 1440)


def _days(spec: str, text: str) -> list[int]:
    days: list[int] = []
    for part in spec.split(","):
        ends = part.split("-")
        if len(ends) > 2 or any(e not in DAYS for e in ends):
            raise ValueError(f"opening hours {text!r}: {part!r} is not a day or day range")
        first, last = DAYS.index(ends[0]), DAYS.index(ends[-1])
        days.extend(d % 7 for d in range(first, first + (last - first) % 7 + 1))
    return days


def _minutes(spec: str, text: str) -> list[tuple[int, int]]:
    out = []
    for part in spec.split(","):
        m = _TIME.fullmatch(part)
        if not m:
            raise ValueError(f"opening hours {text!r}: {part!r} is not a range like 09:00-17:00")
        start = int(m[1]) * 60 + int(m[2])
        end = int(m[3]) * 60 + int(m[4])
        if start >= 1440 or end > 1440:
            raise ValueError(f"opening hours {text!r}: {part!r} is past 24:00")
        out.append((start, end if end > start else end + 1440))
    return out


@dataclass(frozen=True)
class OpeningHours:
    """Parsed opening hours; ``text`` is what was given, for display."""

    text: str
    always: bool
    spans: tuple[Span, ...]
    tz: str = "Europe/Paris"

    @classmethod
    def parse(cls, text: str, tz: str = "Europe/Paris") -> OpeningHours:
        text = text.strip()
        if text in ("", "24/7"):
            return cls(text, text == "24/7", (), tz)
        spans: list[Span] = []
        for rule in filter(None, (r.strip() for r in text.split(";"))):
            day_spec, _, time_spec = rule.partition(" ")
            if not time_spec.strip():
                raise ValueError(f"opening hours {text!r}: {rule!r} needs days and times")
            for day in _days(day_spec, text):
                for start, end in _minutes(time_spec.replace(" ", ""), text):
                    spans.append((day, start, end))
        return cls(text, False, tuple(spans), tz)

    @property
    def known(self) -> bool:
        return self.always or bool(self.spans)

    def is_open(self, at: datetime) -> bool | None:
        """Open at ``at`` (an aware datetime)? ``None`` when the hours are unknown."""
        if self.always:
            return True
        if not self.spans:
            return None
        try:
            local = at.astimezone(ZoneInfo(self.tz))
        except ZoneInfoNotFoundError:
            return None
        minute = local.hour * 60 + local.minute
        day = local.weekday()
        for span_day, start, end in self.spans:
            if span_day == day and start <= minute < end:
                return True
            # yesterday's range running past midnight
            if (span_day + 1) % 7 == day and end > 1440 and minute < end - 1440:
                return True
        return False

    def opens_at(self, day: int) -> list[tuple[time, time]]:
        """The ranges for a weekday (0 = Monday), as times, for display."""
        return [
            (time(s // 60, s % 60), time((e // 60) % 24, e % 60))
            for d, s, e in self.spans
            if d == day
        ]
