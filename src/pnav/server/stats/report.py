"""Activity statistics for supervisors: a date range, the store's counts, SVG and CSV.

:func:`build_report` reads the ``from``/``to``/``by`` query parameters and asks the
store for its counts (:meth:`~pnav.sdk.store.Store.activity` and
:meth:`~pnav.sdk.store.Store.started_series`); :func:`render_page` and
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

import base64
import csv
import datetime as dt
import hashlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

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
from pnav.server.stats.svg import Series, bar_chart, column_chart

__all__ = [
    "CSV_HEADER",
    "MAX_DAYS",
    "PAGE_CSP",
    "STYLE",
    "STYLE_HASH",
    "RangeError",
    "Report",
    "bar_chart",
    "build_report",
    "csv_rows",
    "day_bounds",
    "parse_range",
    "render_csv",
    "render_page",
]

MAX_DAYS = 366 * 2
CSV_HEADER = ("section", "key", "value")

WHAT_LABELS = {
    "sexual": "Sexual violence",
    "sexist": "Sexist violence",
    "domestic": "Domestic violence",
    "intra_family": "Intra-family violence",
    "cyber_harassment": "Cyber-harassment",
    "discrimination": "Discrimination",
    "other": "Other",
}
WHO_LABELS = {
    "victim": "Victim",
    "relative": "Relative",
    "witness": "Witness",
    "professional": "Professional",
}
OUTCOME_LABELS = {
    "information": "Information",
    "referral": "Referral",
    "report": "Report",
    "emergency": "Emergency",
    "person_left": "Person left",
    "abuse": "Closed as abuse",
}

# The page's only style, allowed by its hash in the page's CSP (no 'unsafe-inline').
STYLE = (
    "body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1a1a1a;max-width:60rem}"
    "table{border-collapse:collapse}td,th{padding:.2rem .6rem;text-align:left}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "figure{margin:1.5rem 0}figcaption{font-weight:700;margin-bottom:.5rem}"
    "svg{max-width:100%;height:auto}"
)
STYLE_HASH = "sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
# The page runs no script; it may only use its own style and submit its range form.
PAGE_CSP = (
    f"default-src 'none'; style-src '{STYLE_HASH}'; base-uri 'none'; form-action 'self'; "
    "object-src 'none'; frame-ancestors 'none'"
)


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
    counts: dict[str, int], order: Sequence[str], labels: dict[str, str]
) -> list[tuple[str, str, int]]:
    """Every known key (zeros too, in their usual order), then any other key seen."""
    keys = list(order) + sorted(k for k in counts if k not in order)
    return [(k, labels.get(k, k), counts.get(k, 0)) for k in keys]


def _series(counts: ActivityCounts) -> list[Series]:
    langs = sorted(counts.by_lang.items(), key=lambda kv: (-kv[1], kv[0]))
    return [
        Series("category", "Conversations by category", _keyed(counts.by_what, WHAT, WHAT_LABELS)),
        Series(
            "outcome",
            "Closed conversations by outcome",
            _keyed(counts.by_outcome, OUTCOMES, OUTCOME_LABELS),
        ),
        Series("who", "Conversations by who is writing", _keyed(counts.by_who, WHO, WHO_LABELS)),
        Series("language", "Conversations by language", [(k, k, n) for k, n in langs]),
    ]


def _histograms(counts: ActivityCounts) -> list[Series]:
    return [
        Series(
            "wait_time",
            "Wait before being taken (conversations never transferred)",
            [(k, k, n) for k, n in counts.wait_buckets.items()],
        ),
        Series(
            "duration",
            "From taken to closed (conversations never transferred)",
            [(k, k, n) for k, n in counts.duration_buckets.items()],
        ),
    ]


def _started(report: Report) -> Series:
    return Series(
        "started",
        f"Conversations started per {report.grain}",
        [(p.key, p.label, n) for p, n in report.started],
    )


def _totals(counts: ActivityCounts) -> list[tuple[str, str, int]]:
    return [
        ("started", "Conversations started", counts.started),
        ("taken", "Taken by an operator", counts.taken),
        ("closed", "Closed", counts.closed),
        ("reports", "Reports (outcome: report)", counts.by_outcome.get("report", 0)),
        ("emergencies", "Emergencies (outcome: emergency)", counts.by_outcome.get("emergency", 0)),
        ("danger", "Flagged as danger", counts.danger),
        ("quick_exits", "Quick exits", counts.quick_exits),
    ]


def _report_share(counts: ActivityCounts) -> float | None:
    """Per cent of closed conversations whose outcome is a report."""
    return 100 * counts.by_outcome.get("report", 0) / counts.closed if counts.closed else None


def csv_rows(report: Report) -> list[tuple[str, str, str]]:
    """The rows of the CSV export (after :data:`CSV_HEADER`): exactly what the page shows."""
    counts = report.counts
    rows = [
        ("range", "from", report.first.isoformat()),
        ("range", "to", report.last.isoformat()),
        ("range", "by", report.grain),
    ]
    rows += [("conversations", key, str(n)) for key, _, n in _totals(counts)]
    share = _report_share(counts)
    rows.append(("conversations", "report_share_percent", "" if share is None else f"{share:.1f}"))
    rows.append(("wait", "measured", str(counts.waits_measured)))
    median = "" if counts.median_wait is None else f"{counts.median_wait:.1f}"
    rows.append(("wait", "median_seconds", median))
    for series in [*_series(counts), *_histograms(counts)]:
        rows += [(series.kind, key, str(n)) for key, _, n in series.items]
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


# -- the page ----------------------------------------------------------------
def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "none taken"
    total = round(seconds)
    minutes, secs = divmod(total, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def _form(report: Report) -> str:
    options = "".join(
        f'<option value="{g}"{" selected" if g == report.grain else ""}>per {g}</option>'
        for g in GRAINS
    )
    return (
        '<form method="get" action="/console/stats">'
        f'<label>From <input type="date" name="from" value="{report.first.isoformat()}" '
        f'required></label> <label>to <input type="date" name="to" '
        f'value="{report.last.isoformat()}" required></label> '
        f'<label>Started <select name="by">{options}</select></label> '
        '<button type="submit">Show</button></form>'
    )


def _figure(svg: str, series: Series) -> str:
    return f"<figure><figcaption>{escape(series.title)}</figcaption>{svg}</figure>"


def render_page(report: Report) -> str:
    """The statistics page: a range form, the totals as a table, the charts as SVG."""
    counts, first, last = report.counts, report.first, report.last
    span = first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"
    query = f"from={first.isoformat()}&to={last.isoformat()}&by={report.grain}"
    share = _report_share(counts)
    rows = [
        f'<tr data-total="{key}" data-count="{n}"><th scope="row">{escape(label)}</th>'
        f'<td class="n">{n}</td></tr>'
        for key, label, n in _totals(counts)
    ]
    rows.append(
        f'<tr data-total="median_wait"><th scope="row">Median wait before being taken '
        f'({counts.waits_measured} measured)</th><td class="n">'
        f"{escape(_duration(counts.median_wait))}</td></tr>"
    )
    rows.append(
        f'<tr data-total="report_share"><th scope="row">Closed conversations that led to a '
        f'report</th><td class="n">'
        f"{'no conversation closed' if share is None else f'{share:.0f} %'}</td></tr>"
    )
    started = _figure(column_chart("chart-started", _started(report)), _started(report))
    charts = "".join(
        _figure(bar_chart(f"chart-{s.kind}", s), s)
        for s in [*_series(counts), *_histograms(counts)]
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>pnav statistics, {escape(span)}</title><style>{STYLE}</style></head><body>"
        f'<p><a href="/console">Back to the console</a></p>'
        f"<h1>Activity, {escape(span)}</h1>"
        "<p>Conversations started in the range (server local time), counts only. "
        "Outcomes count closed conversations; waits and durations, conversations taken "
        "and never transferred.</p>"
        f"{_form(report)}"
        f'<p><a href="/console/stats.csv?{escape(query)}" download>Download as CSV</a></p>'
        f"<table><caption>Totals</caption><tbody>{''.join(rows)}</tbody></table>"
        f"{started}{charts}</body></html>"
    )
