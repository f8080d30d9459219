"""Activity statistics for supervisors: a date range, the store's counts, SVG and CSV.

:func:`build_report` reads the ``from``/``to``/``by`` query parameters and asks the
store for its counts (:meth:`~pnav.sdk.store.Store.activity` and
:meth:`~pnav.sdk.store.Store.started_series`); page.py's ``render_page`` and
:func:`render_csv` render a :class:`Report`. The console routes (console.py) glue them.

**Privacy.** Only aggregate counts are shown: no conversation id, no operator, no
message, no per-person row. Charts are drawn by the server as inline SVG
(stats_svg.py), so the page runs no script at all.

**Days.** ``from`` and ``to`` are calendar days (``YYYY-MM-DD``), both included, in the
server's local time zone (the ``TZ`` of the pnav process; a day is from local midnight
to the next local midnight, so a day with a daylight-saving change is 23 or 25 hours).
Both default to today. A conversation counts in the day it was started. ``by`` is
``day``, ``week`` (ISO weeks) or ``month``: the grain of the "started" series
(stats_periods.py); by default days for up to a month, weeks up to half a year, else
months.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pnav.sdk.store import OUTCOMES, WHAT, WHO, ActivityCounts, Store
from pnav.server.stats.periods import (
    GRAINS,
    MAX_PERIODS,
    Period,
    day_bounds,
    default_grain,
    periods,
)
from pnav.server.stats.periods import bounds as period_bounds
from pnav.server.stats.svg import Series, bar_chart
from pnav.server.stats.texts import period_label, texts

__all__ = [
    "CSV_HEADER",
    "MAX_DAYS",
    "RangeError",
    "Report",
    "bar_chart",
    "build_report",
    "csv_rows",
    "day_bounds",
    "histograms",
    "parse_range",
    "render_csv",
    "report_share",
    "series",
    "started_series",
    "totals",
]

MAX_DAYS = 366 * 2
CSV_HEADER = ("section", "key", "value")


class RangeError(ValueError):
    """A bad ``from``/``to``/``by``: the message says what is wrong, for a 400 answer."""


def parse_range(start: str | None, end: str | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day (both included): ``from`` defaults to today, ``to`` to
    today or, when ``from`` is later, to ``from``."""
    first = _day("from", start, today)
    last = _day("to", end, max(first, today))
    if last < first:
        raise RangeError(f"'to' ({last.isoformat()}) is before 'from' ({first.isoformat()})")
    if (last - first).days + 1 > MAX_DAYS:
        raise RangeError(f"the range is longer than {MAX_DAYS} days: ask for less")
    return first, last


def _day(name: str, value: str | None, default: dt.date) -> dt.date:
    if value is None or value == "":
        return default
    if len(value) != 10:
        raise RangeError(f"'{name}' must be a date as YYYY-MM-DD, not {value[:40]!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise RangeError(f"'{name}' must be a date as YYYY-MM-DD, not {value!r}") from None


def parse_grain(value: str | None, first: dt.date, last: dt.date) -> tuple[str, list[Period]]:
    """``by`` (default: :func:`~.stats_periods.default_grain`) and its periods."""
    grain = value or default_grain(first, last)
    if grain not in GRAINS:
        raise RangeError(f"'by' must be one of {', '.join(GRAINS)}, not {grain[:40]!r}")
    covering = periods(first, last, grain)
    if len(covering) > MAX_PERIODS[grain]:
        raise RangeError(
            f"by={grain} shows at most {MAX_PERIODS[grain]} {grain}s: choose a longer grain "
            "or a shorter range"
        )
    return grain, covering


@dataclass(frozen=True)
class Report:
    """What the page and the CSV show: counts only."""

    first: dt.date
    last: dt.date
    grain: str
    counts: ActivityCounts
    started: list[tuple[Period, int]]


def build_report(store: Store, args: Mapping[str, str], today: dt.date) -> Report:
    """Parse ``from``, ``to`` and ``by`` (RangeError if bad) and count."""
    first, last = parse_range(args.get("from"), args.get("to"), today)
    grain, covering = parse_grain(args.get("by"), first, last)
    counts = store.activity(*day_bounds(first, last))
    series = store.started_series(period_bounds(covering))
    return Report(first, last, grain, counts, list(zip(covering, series, strict=True)))


# -- what is shown --------------------------------------------------------
def _keyed(
    counts: dict[str, int], order: Sequence[str], prefix: str, tx: Mapping[str, str]
) -> list[tuple[str, str, int]]:
    """Every known key (zeros too, in their usual order), then any other key seen."""
    keys = list(order) + sorted(k for k in counts if k not in order)
    return [(k, tx.get(f"{prefix}.{k}", k), counts.get(k, 0)) for k in keys]


def series(counts: ActivityCounts, tx: Mapping[str, str]) -> list[Series]:
    langs = sorted(counts.by_lang.items(), key=lambda kv: (-kv[1], kv[0]))
    return [
        Series("category", tx["chart.category"], _keyed(counts.by_what, WHAT, "what", tx)),
        Series("outcome", tx["chart.outcome"], _keyed(counts.by_outcome, OUTCOMES, "outcome", tx)),
        Series("who", tx["chart.who"], _keyed(counts.by_who, WHO, "who", tx)),
        Series("language", tx["chart.language"], [(k, k, n) for k, n in langs]),
    ]


def histograms(counts: ActivityCounts, tx: Mapping[str, str]) -> list[Series]:
    return [
        Series(
            "wait_time", tx["chart.wait_time"], [(k, k, n) for k, n in counts.wait_buckets.items()]
        ),
        Series(
            "duration",
            tx["chart.duration"],
            [(k, k, n) for k, n in counts.duration_buckets.items()],
        ),
        Series(
            "left_wait",
            tx["chart.left_wait"],
            [(k, k, n) for k, n in counts.left_wait_buckets.items()],
        ),
    ]


def started_series(report: Report, tx: Mapping[str, str], lang: str = "en") -> Series:
    return Series(
        "started",
        tx["chart.started"].format(grain=tx[f"grain.{report.grain}"]),
        [(p.key, period_label(p.key, lang), n) for p, n in report.started],
    )


def totals(counts: ActivityCounts, tx: Mapping[str, str]) -> list[tuple[str, str, int]]:
    values = {
        "started": counts.started,
        "taken": counts.taken,
        "closed": counts.closed,
        "reports": counts.by_outcome.get("report", 0),
        "emergencies": counts.by_outcome.get("emergency", 0),
        "danger": counts.danger,
        "quick_exits": counts.quick_exits,
        "left_unanswered": counts.left_unanswered,
    }
    return [(key, tx[f"total.{key}"], n) for key, n in values.items()]


def report_share(counts: ActivityCounts) -> float | None:
    """Per cent of closed conversations whose outcome is a report."""
    return 100 * counts.by_outcome.get("report", 0) / counts.closed if counts.closed else None


def csv_rows(report: Report) -> list[tuple[str, str, str]]:
    """The rows of the CSV export (after :data:`CSV_HEADER`): exactly what the page shows."""
    counts = report.counts
    tx = texts("en")
    rows = [
        ("range", "from", report.first.isoformat()),
        ("range", "to", report.last.isoformat()),
        ("range", "by", report.grain),
    ]
    rows += [("conversations", key, str(n)) for key, _, n in totals(counts, tx)]
    share = report_share(counts)
    rows.append(("conversations", "report_share_percent", "" if share is None else f"{share:.1f}"))
    rows.append(("wait", "measured", str(counts.waits_measured)))
    median = "" if counts.median_wait is None else f"{counts.median_wait:.1f}"
    rows.append(("wait", "median_seconds", median))
    for s in [*series(counts, tx), *histograms(counts, tx)]:
        rows += [(s.kind, key, str(n)) for key, _, n in s.items]
    rows += [(f"started_per_{report.grain}", p.key, str(n)) for p, n in report.started]
    return rows


def render_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(tuple(_cell(v) for v in row) for row in csv_rows(report))
    return out.getvalue()


def _cell(value: str) -> str:
    """Keep spreadsheets from reading a stored value (a language tag) as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
