"""Activity statistics for supervisors: a date range, the store's counts, SVG and CSV.

Pure functions: :func:`parse_range` reads the ``from``/``to`` query parameters,
:func:`day_bounds` turns the days into epoch seconds, the store's
:meth:`~pnav.sdk.store.Store.activity` counts, and :func:`render_page` /
:func:`render_csv` render those counts. The console routes (console.py) glue them.

**Privacy.** Only aggregate counts are shown: no conversation id, no operator, no
message, no per-person row. Charts are drawn by the server as inline SVG, so the page
runs no script at all.

**Days.** ``from`` and ``to`` are calendar days (``YYYY-MM-DD``), both included, in the
server's local time zone (the ``TZ`` of the pnav process; a day is from local midnight
to the next local midnight, so a day with a daylight-saving change is 23 or 25 hours).
Both default to today. A conversation counts in the day it was started.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from pnav.sdk.store import OUTCOMES, WHAT, WHO, ActivityCounts

__all__ = [
    "CSV_HEADER",
    "MAX_DAYS",
    "PAGE_CSP",
    "STYLE",
    "STYLE_HASH",
    "RangeError",
    "bar_chart",
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
}

# The page's only style, allowed by its hash in the page's CSP (no 'unsafe-inline').
STYLE = (
    "body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1a1a1a;max-width:60rem}"
    "table{border-collapse:collapse}td,th{padding:.2rem .6rem;text-align:left}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "figure{margin:1.5rem 0}svg{max-width:100%;height:auto}"
)
STYLE_HASH = "sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
# The page runs no script; it may only use its own style and submit its range form.
PAGE_CSP = (
    f"default-src 'none'; style-src '{STYLE_HASH}'; base-uri 'none'; form-action 'self'; "
    "object-src 'none'; frame-ancestors 'none'"
)


class RangeError(ValueError):
    """A bad ``from``/``to``: the message says what is wrong, for a 400 answer."""


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


def day_bounds(first: dt.date, last: dt.date) -> tuple[float, float]:
    """Epoch seconds of local midnight starting ``first`` and ending ``last``."""
    start = dt.datetime.combine(first, dt.time.min).timestamp()
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min).timestamp()
    return start, end


# -- what is shown --------------------------------------------------------
@dataclass(frozen=True)
class _Series:
    kind: str  # the data attribute and CSV section: category, who, outcome, language
    title: str
    items: list[tuple[str, str, int]]  # key, label, count


def _keyed(
    counts: dict[str, int], order: Sequence[str], labels: dict[str, str]
) -> list[tuple[str, str, int]]:
    """Every known key (zeros too, in their usual order), then any other key seen."""
    keys = list(order) + sorted(k for k in counts if k not in order)
    return [(k, labels.get(k, k), counts.get(k, 0)) for k in keys]


def _series(counts: ActivityCounts) -> list[_Series]:
    langs = sorted(counts.by_lang.items(), key=lambda kv: (-kv[1], kv[0]))
    return [
        _Series("category", "Conversations by category", _keyed(counts.by_what, WHAT, WHAT_LABELS)),
        _Series(
            "outcome",
            "Closed conversations by outcome",
            _keyed(counts.by_outcome, OUTCOMES, OUTCOME_LABELS),
        ),
        _Series("who", "Conversations by who is writing", _keyed(counts.by_who, WHO, WHO_LABELS)),
        _Series("language", "Conversations by language", [(k, k, n) for k, n in langs]),
    ]


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


def csv_rows(counts: ActivityCounts, first: dt.date, last: dt.date) -> list[tuple[str, str, str]]:
    """The rows of the CSV export (after :data:`CSV_HEADER`): exactly what the page shows."""
    rows = [("range", "from", first.isoformat()), ("range", "to", last.isoformat())]
    rows += [("conversations", key, str(n)) for key, _, n in _totals(counts)]
    rows.append(("wait", "measured", str(counts.waits_measured)))
    median = "" if counts.median_wait is None else f"{counts.median_wait:.1f}"
    rows.append(("wait", "median_seconds", median))
    for series in _series(counts):
        rows += [(series.kind, key, str(n)) for key, _, n in series.items]
    return rows


def render_csv(counts: ActivityCounts, first: dt.date, last: dt.date) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(tuple(_cell(v) for v in row) for row in csv_rows(counts, first, last))
    return out.getvalue()


def _cell(value: str) -> str:
    """Keep spreadsheets from reading a stored value (a language tag) as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


# -- SVG -------------------------------------------------------------------
_BAR_H, _GAP, _LABEL_W, _BAR_W, _NUM_W = 22, 8, 190, 320, 60


def bar_chart(chart_id: str, series: _Series) -> str:
    """A horizontal bar chart: each bar's label and number are text, not colour alone."""
    items = series.items
    total = sum(n for _, _, n in items)
    biggest = max((n for _, _, n in items), default=0)
    height = max(1, len(items)) * (_BAR_H + _GAP) + _GAP
    width = _LABEL_W + _BAR_W + _NUM_W
    listed = ", ".join(f"{label}: {n}" for _, label, n in items) or "no data"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" id="{chart_id}" '
        f'data-chart="{series.kind}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(series.title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(f"{total} in all. {listed}.")}</desc>',
    ]
    if not items:
        parts.append(f'<text x="0" y="{_BAR_H}" font-size="14">No conversations</text>')
    for i, (key, label, n) in enumerate(items):
        y = _GAP + i * (_BAR_H + _GAP)
        length = 0 if biggest == 0 else max(1, round(_BAR_W * n / biggest)) if n else 0
        text_y = y + _BAR_H - 6
        parts.append(
            f'<g data-{series.kind}="{escape(key)}" data-count="{n}">'
            f'<text x="{_LABEL_W - 8}" y="{text_y}" text-anchor="end" font-size="14">'
            f"{escape(label)}</text>"
            f'<rect x="{_LABEL_W}" y="{y}" width="{length}" height="{_BAR_H}" fill="#2f5d8a"/>'
            f'<text x="{_LABEL_W + length + 6}" y="{text_y}" font-size="14">{n}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


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


def render_page(counts: ActivityCounts, first: dt.date, last: dt.date) -> str:
    """The statistics page: a range form, the totals as a table, the charts as SVG."""
    span = first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"
    query = f"from={first.isoformat()}&to={last.isoformat()}"
    share = (
        f"{100 * counts.by_outcome.get('report', 0) / counts.closed:.0f} %"
        if counts.closed
        else "no conversation closed"
    )
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
        f'report</th><td class="n">{escape(share)}</td></tr>'
    )
    charts = "".join(f"<figure>{bar_chart(f'chart-{s.kind}', s)}</figure>" for s in _series(counts))
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>pnav statistics, {escape(span)}</title><style>{STYLE}</style></head><body>"
        f'<p><a href="/console">Back to the console</a></p>'
        f"<h1>Activity, {escape(span)}</h1>"
        "<p>Conversations started in the range (server local time), counts only. "
        "Outcomes count closed conversations.</p>"
        '<form method="get" action="/console/stats">'
        f'<label>From <input type="date" name="from" value="{first.isoformat()}" required>'
        f'</label> <label>to <input type="date" name="to" value="{last.isoformat()}" '
        'required></label> <button type="submit">Show</button></form>'
        f'<p><a href="/console/stats.csv?{escape(query)}" download>Download as CSV</a></p>'
        f"<table><caption>Totals</caption><tbody>{''.join(rows)}</tbody></table>"
        f"{charts}</body></html>"
    )
