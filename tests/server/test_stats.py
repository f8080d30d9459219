"""The statistics page and its CSV after a scripted day of 30 conversations.

The day is played on the store with a controlled clock (every store reads ``time.time``),
then a supervisor logs in through the real login route and reads the page: the counts
are checked in the SVG (``data-*`` attributes on each bar group, parsed as XML) and the
CSV must match them exactly.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import statistics
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pnav.sdk import crypto
from pnav.sdk.store import OUTCOMES, WHAT, WHO, Handover
from pnav.sdk.testing.store import new_conversation
from pnav.server import Settings, create_app
from pnav.server.operators.desk import enrol_operator
from pnav.server.stats.page import STYLE_HASH
from pnav.server.stats.periods import bounds as period_bounds
from pnav.server.stats.periods import periods
from pnav.server.stats.report import day_bounds
from pnav.server.stores.sqlite.store import SQLiteStore

PASSWORD = "a long password"
KDF = {"kdf_ops": 1, "kdf_mem": 8 << 20}
ORIGIN = "http://localhost"
SVG_NS = "{http://www.w3.org/2000/svg}"

# One conversation every 10 minutes from 09:00 local time:
# (what, who, lang, danger, minutes waited before being taken or None, outcome or None
#  for still open, quick exit)
SCRIPT: list[tuple[str, str, str, bool, int | None, str | None, bool]] = [
    ("domestic", "victim", "fr", True, 2, "report", False),
    ("domestic", "victim", "fr", False, 1, "report", False),
    ("sexual", "victim", "fr", False, 4, "report", False),
    ("domestic", "relative", "es", True, 3, "emergency", False),
    ("sexual", "victim", "fr", False, 0, "referral", False),
    ("cyber_harassment", "victim", "en", False, 6, "information", False),
    ("domestic", "witness", "fr", False, 2, "report", False),
    ("sexist", "victim", "fr", False, None, "person_left", True),
    ("intra_family", "professional", "fr", False, 5, "referral", False),
    ("domestic", "victim", "ar", True, 1, "report", False),
    ("sexual", "victim", "fr", True, 2, "report", False),
    ("other", "victim", "fr", False, 8, "information", False),
    ("domestic", "victim", "fr", False, 3, "referral", False),
    ("cyber_harassment", "relative", "fr", False, 2, "information", False),
    ("sexual", "victim", "es", False, 1, "report", False),
    ("discrimination", "victim", "fr", False, 7, "referral", False),
    ("domestic", "victim", "fr", True, 0, "emergency", True),
    ("sexist", "witness", "fr", False, 4, "information", False),
    ("sexual", "victim", "fr", False, 2, "report", False),
    ("intra_family", "victim", "fr", False, 6, "report", False),
    ("other", "professional", "en", False, 3, "referral", False),
    ("domestic", "victim", "fr", False, None, "person_left", False),
    ("sexual", "relative", "fr", False, 5, "report", False),
    ("cyber_harassment", "victim", "uk", False, 2, "referral", False),
    ("domestic", "victim", "fr", False, 1, "report", False),
    ("sexist", "victim", "fr", False, 9, "person_left", False),
    ("intra_family", "relative", "fr", False, 4, "information", False),
    ("other", "victim", "fr", False, 2, None, False),  # still active
    ("sexual", "victim", "fr", True, 3, None, False),  # still active, transferred
    ("cyber_harassment", "victim", "fr", False, None, None, False),  # still waiting
]
# Minutes from being taken to being closed, for the conversations that are closed.
DURATIONS = [3, 12, 25, 45, 90, 150]
DAY = dt.date.today() - dt.timedelta(days=10)


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@contextmanager
def clock_at(start: float) -> Iterator[Clock]:
    """Every ``time.time()`` (the store's too) reads this clock."""
    clock = Clock(start)
    with mock.patch("time.time", clock):
        yield clock


def play_day(store: SQLiteStore, operator_id: int, other_id: int) -> None:
    start = dt.datetime.combine(DAY, dt.time(9, 0)).timestamp()
    first, end = day_bounds(DAY, DAY)
    with clock_at(start) as clock:
        # just outside the day, on both sides: never counted
        clock.now = first - 0.5
        store.create_conversation(new_conversation(what="other"))
        clock.now = end
        store.create_conversation(new_conversation(what="other"))
        for i, (what, who, lang, danger, wait, outcome, quick) in enumerate(SCRIPT):
            clock.now = started = start + i * 600
            conv = store.create_conversation(
                new_conversation(what=what, who=who, lang=lang, danger=danger)
            )
            if wait is not None:
                clock.now = started + wait * 60
                assert store.assign(conv.id, operator_id)
            if quick:
                clock.now += 30
                store.set_person_state(conv.id, "quick_exit")
            if i == len(SCRIPT) - 2:
                clock.now += 120
                note = Handover(conv.id, operator_id, other_id, b"note", clock.now)
                assert store.transfer(conv.id, operator_id, note)
            if outcome is not None:
                clock.now += DURATIONS[i % len(DURATIONS)] * 60
                assert store.close_conversation(conv.id, outcome)


def _bucket(seconds: float, bounds: list[tuple[str, float]], last: str) -> str:
    return next((label for label, below in bounds if seconds < below), last)


def wait_bucket(seconds: float) -> str:
    bounds = [("<1 min", 60), ("1-5 min", 300), ("5-15 min", 900), ("15-30 min", 1800)]
    return _bucket(seconds, [*bounds, ("30-60 min", 3600)], "1 h+")


def duration_bucket(seconds: float) -> str:
    bounds = [("<5 min", 300), ("5-15 min", 900), ("15-30 min", 1800), ("30-60 min", 3600)]
    return _bucket(seconds, [*bounds, ("1-2 h", 7200)], "2 h+")


def expected() -> dict[str, Any]:
    closed = [s for s in SCRIPT if s[5] is not None]
    waits = [s[4] * 60 for s in SCRIPT[:-2] if s[4] is not None]  # the transferred one: no
    durations = [  # taken, closed, never transferred; a quick exit came 30 s after taking
        DURATIONS[i % len(DURATIONS)] * 60 + (30 if s[6] else 0)
        for i, s in enumerate(SCRIPT[:-2])
        if s[4] is not None and s[5] is not None
    ]
    outcomes = Counter(s[5] for s in closed)
    return {
        "totals": {
            "started": len(SCRIPT),
            "taken": sum(s[4] is not None for s in SCRIPT),
            "closed": len(closed),
            "reports": outcomes["report"],
            "emergencies": outcomes["emergency"],
            "danger": sum(s[3] for s in SCRIPT),
            "quick_exits": sum(s[6] for s in SCRIPT),
            # never taken and left (here by quick exit)
            "left_unanswered": sum(s[4] is None and s[6] for s in SCRIPT),
        },
        "category": {k: Counter(s[0] for s in SCRIPT)[k] for k in WHAT},
        "who": {k: Counter(s[1] for s in SCRIPT)[k] for k in WHO},
        "outcome": {k: outcomes[k] for k in OUTCOMES},
        "language": dict(Counter(s[2] for s in SCRIPT)),
        "waits": waits,
        "wait_time": {
            **dict.fromkeys(["<1 min", "1-5 min", "5-15 min", "15-30 min", "30-60 min", "1 h+"], 0),
            **Counter(wait_bucket(w) for w in waits),
        },
        "duration": {
            **dict.fromkeys(["<5 min", "5-15 min", "15-30 min", "30-60 min", "1-2 h", "2 h+"], 0),
            **Counter(duration_bucket(d) for d in durations),
        },
        "report_share": 100 * outcomes["report"] / len(closed),
        # the quick exit left 30 s after starting, never taken
        "left_wait": {
            **dict.fromkeys(["<1 min", "1-5 min", "5-15 min", "15-30 min", "30-60 min", "1 h+"], 0),
            "<1 min": 1,
        },
    }


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    settings = Settings.load(None, environ={}, data_dir=tmp_path, partners={"demo": [ORIGIN]})
    store = SQLiteStore(settings.database_path)
    sue = enrol_operator(store, "sue", PASSWORD, role="supervisor", **KDF)  # type: ignore[arg-type]
    alice = enrol_operator(store, "alice", PASSWORD, unlock_with=("sue", PASSWORD), **KDF)  # type: ignore[arg-type]
    play_day(store, alice.id, sue.id)
    yield create_app(settings, store=store, maintenance=False)
    store.close()


def login(client: FlaskClient, username: str) -> None:
    pre = client.get(f"/console/api/prelogin?username={username}").get_json()
    keys = crypto.derive_operator_keys(
        PASSWORD, crypto.b64decode(pre["salt"]), pre["kdf"]["ops"], pre["kdf"]["mem"]
    )
    ok = client.post(
        "/console/api/login",
        json={"username": username, "auth": crypto.b64encode(keys.auth)},
        headers={"Origin": ORIGIN},
    )
    assert ok.status_code == 200, ok.get_data(as_text=True)


@pytest.fixture
def supervisor(app: Flask) -> FlaskClient:
    client = app.test_client()
    login(client, "sue")
    return client


def day_query() -> str:
    return f"from={DAY.isoformat()}&to={DAY.isoformat()}"


def charts(html: str) -> dict[str, ET.Element]:
    found = {}
    for svg in re.findall(r"<svg\b.*?</svg>", html, re.S):
        root = ET.fromstring(svg)  # well-formed XML, or this fails
        found[root.attrib["data-chart"]] = root
    return found


def bars(chart: ET.Element, kind: str) -> dict[str, int]:
    out = {}
    for group in chart.iter(f"{SVG_NS}g"):
        texts = [t.text for t in group.iter(f"{SVG_NS}text")]
        count = int(group.attrib["data-count"])
        assert str(count) in texts, "every bar shows its number as text"
        out[group.attrib[f"data-{kind}"]] = count
    return out


def check_headers(response: Any) -> None:
    h = response.headers
    assert h["Cache-Control"] == "no-store"
    assert h["Referrer-Policy"] == "no-referrer"
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Cross-Origin-Resource-Policy"] == "same-origin"
    csp = h["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "script-src" not in csp


def test_the_page_shows_the_days_counts_in_svg(supervisor: FlaskClient) -> None:
    response = supervisor.get(f"/console/stats?{day_query()}")
    assert response.status_code == 200
    check_headers(response)
    assert f"style-src '{STYLE_HASH}'" in response.headers["Content-Security-Policy"]
    html = response.get_data(as_text=True)
    assert "<script" not in html
    want = expected()
    found = charts(html)
    kinds = ("category", "outcome", "who", "language", "wait_time", "duration", "left_wait")
    assert set(found) == {*kinds, "started"}
    for kind in kinds:
        chart = found[kind]
        assert chart.attrib["role"] == "img"
        title, desc = chart.find(f"{SVG_NS}title"), chart.find(f"{SVG_NS}desc")
        assert title is not None and title.text and desc is not None and desc.text
        assert bars(chart, kind) == want[kind], kind
    assert want["category"]["domestic"] == 9 and want["outcome"]["report"] == 11
    # the script's waits and durations spread over several buckets
    assert sum(n > 0 for n in want["wait_time"].values()) == 3
    assert sum(n > 0 for n in want["duration"].values()) == 6
    assert bars(found["started"], "period") == {DAY.isoformat(): 30}
    assert f"{want['report_share']:.0f} %" in html
    totals = dict(re.findall(r'data-total="(\w+)" data-count="(\d+)"', html))
    assert {k: int(v) for k, v in totals.items()} == want["totals"]
    median = statistics.median(want["waits"])
    assert f"Median wait before being taken ({len(want['waits'])} measured)" in html
    assert f"{int(median // 60)} min {int(median % 60):02d} s" in html
    # counts only: no conversation id anywhere
    assert not re.search(r"[A-Za-z0-9_-]{22}", html.replace(STYLE_HASH, ""))


def test_the_csv_matches_the_page(supervisor: FlaskClient) -> None:
    page = supervisor.get(f"/console/stats?{day_query()}").get_data(as_text=True)
    response = supervisor.get(f"/console/stats.csv?{day_query()}")
    assert response.status_code == 200
    check_headers(response)
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["section", "key", "value"]
    want = expected()
    median = statistics.median(want["waits"])
    langs = sorted(want["language"].items(), key=lambda kv: (-kv[1], kv[0]))
    assert rows[1:] == (
        [["range", "from", DAY.isoformat()], ["range", "to", DAY.isoformat()]]
        + [["range", "by", "day"]]
        + [["conversations", k, str(n)] for k, n in want["totals"].items()]
        + [["conversations", "report_share_percent", f"{want['report_share']:.1f}"]]
        + [["wait", "measured", str(len(want["waits"]))]]
        + [["wait", "median_seconds", f"{median:.1f}"]]
        + [["category", k, str(n)] for k, n in want["category"].items()]
        + [["outcome", k, str(n)] for k, n in want["outcome"].items()]
        + [["who", k, str(n)] for k, n in want["who"].items()]
        + [["language", k, str(n)] for k, n in langs]
        + [["wait_time", k, str(n)] for k, n in want["wait_time"].items()]
        + [["duration", k, str(n)] for k, n in want["duration"].items()]
        + [["left_wait", k, str(n)] for k, n in want["left_wait"].items()]
        + [["started_per_day", DAY.isoformat(), "30"]]
    )
    # and every count in the CSV is the one the page's charts show
    found = charts(page)
    compared = 0
    for section, key, value in rows[1:]:
        kind, attribute = ("started", "period") if section == "started_per_day" else (section,) * 2
        if kind in found:
            assert bars(found[kind], attribute)[key] == int(value), (section, key)
            compared += 1
    assert compared == len(rows) - 1 - 3 - 9 - 2  # all but range, totals and wait rows


def test_a_range_of_days_and_the_default_today(supervisor: FlaskClient) -> None:
    before = (DAY - dt.timedelta(days=1)).isoformat()
    after = (DAY + dt.timedelta(days=1)).isoformat()
    wide = supervisor.get(f"/console/stats.csv?from={before}&to={after}").get_data(as_text=True)
    assert "conversations,started,32\r\n" in wide  # with the two just outside the day
    today = supervisor.get("/console/stats.csv").get_data(as_text=True)
    assert f"range,from,{dt.date.today().isoformat()}\r\n" in today
    assert "conversations,started,0\r\n" in today
    assert supervisor.get("/console/stats").status_code == 200


def test_an_operator_is_refused_and_a_stranger_must_log_in(app: Flask) -> None:
    client = app.test_client()
    for path in ("/console/stats", "/console/stats.csv"):
        response = client.get(path)
        assert response.status_code == 401
        check_headers(response)
    login(client, "alice")
    for path in ("/console/stats", "/console/stats.csv"):
        response = client.get(f"{path}?{day_query()}")
        assert response.status_code == 403
        assert "supervisors" in response.get_data(as_text=True)
        check_headers(response)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-13-01", "'from' must be a date as YYYY-MM-DD"),
        ("from=yesterday", "'from' must be a date as YYYY-MM-DD"),
        ("to=2026-3-1", "'to' must be a date as YYYY-MM-DD"),
        ("from=2026-03-02&to=2026-03-01", "'to' (2026-03-01) is before 'from' (2026-03-02)"),
        ("from=2020-01-01&to=2026-01-01", "the range is longer than"),
    ],
)
def test_bad_dates_are_a_clear_400(supervisor: FlaskClient, query: str, message: str) -> None:
    for path in ("/console/stats", "/console/stats.csv"):
        response = supervisor.get(f"{path}?{query}")
        assert response.status_code == 400, query
        assert message in response.get_data(as_text=True)
        check_headers(response)


def _csv(client: FlaskClient, query: str) -> list[list[str]]:
    response = client.get(f"/console/stats.csv?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))[1:]


def test_the_started_series_per_day_week_and_month(supervisor: FlaskClient) -> None:
    days = [DAY - dt.timedelta(days=1), DAY, DAY + dt.timedelta(days=1)]
    per_day = [1, 30, 1]  # the two conversations just outside the day, then the day's 30
    keys = {
        "day": lambda d: d.isoformat(),
        "week": lambda d: f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}",
        "month": lambda d: f"{d.year}-{d.month:02d}",
    }
    query = f"from={days[0].isoformat()}&to={days[-1].isoformat()}"
    for by, key in keys.items():
        want: dict[str, int] = {}
        for day, n in zip(days, per_day, strict=True):
            want[key(day)] = want.get(key(day), 0) + n
        rows = _csv(supervisor, f"{query}&by={by}")
        assert ["range", "by", by] in rows
        assert [(k, int(v)) for s, k, v in rows if s == f"started_per_{by}"] == list(want.items())
        page = supervisor.get(f"/console/stats?{query}&by={by}").get_data(as_text=True)
        assert bars(charts(page)["started"], "period") == want
        assert f'<option value="{by}" selected>' in page
        assert f"by={by}" in page  # the CSV link keeps the grain


def test_the_default_grain_follows_the_length_of_the_range(supervisor: FlaskClient) -> None:
    year, week, _ = DAY.isocalendar()
    last_key = {"day": DAY.isoformat(), "week": f"{year}-W{week:02d}", "month": DAY.isoformat()[:7]}
    for days, grain, lengths in ((31, "day", {31}), (40, "week", {6, 7}), (200, "month", {7, 8})):
        first = DAY - dt.timedelta(days=days - 1)
        rows = _csv(supervisor, f"from={first.isoformat()}&to={DAY.isoformat()}")
        assert ["range", "by", grain] in rows
        series = [(k, int(v)) for s, k, v in rows if s == f"started_per_{grain}"]
        assert len(series) in lengths
        assert series[-1][0] == last_key[grain]
        assert sum(n for _, n in series) == 31  # the day and the conversation before it


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("by=year", "'by' must be one of day, week, month, not 'year'"),
        ("from=2026-01-01&to=2026-04-30&by=day", "by=day shows at most 92 days"),
    ],
)
def test_a_bad_grain_is_a_clear_400(supervisor: FlaskClient, query: str, message: str) -> None:
    for path in ("/console/stats", "/console/stats.csv"):
        response = supervisor.get(f"{path}?{query}")
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)


def test_periods_follow_iso_weeks_and_months_clipped_to_the_range() -> None:
    weeks = periods(dt.date(2020, 12, 30), dt.date(2021, 1, 5), "week")
    assert [(p.key, p.first.isoformat(), p.last.isoformat()) for p in weeks] == [
        ("2020-W53", "2020-12-30", "2021-01-03"),
        ("2021-W01", "2021-01-04", "2021-01-05"),
    ]
    months = periods(dt.date(2025, 12, 15), dt.date(2026, 3, 1), "month")
    assert [(p.key, p.label, p.first.day, p.last.day) for p in months] == [
        ("2025-12", "Dec 2025", 15, 31),
        ("2026-01", "Jan 2026", 1, 31),
        ("2026-02", "Feb 2026", 1, 28),
        ("2026-03", "Mar 2026", 1, 1),
    ]
    days = periods(dt.date(2024, 2, 28), dt.date(2024, 3, 1), "day")
    assert [(p.key, p.label) for p in days] == [
        ("2024-02-28", "28 Feb"),
        ("2024-02-29", "29 Feb"),
        ("2024-03-01", "1 Mar"),
    ]
    edges = period_bounds(months)
    assert len(edges) == len(months) + 1
    assert edges == sorted(set(edges))
    assert (edges[0], edges[-1]) == day_bounds(dt.date(2025, 12, 15), dt.date(2026, 3, 1))
    assert edges[1] == day_bounds(dt.date(2026, 1, 1), dt.date(2026, 1, 1))[0]
    with pytest.raises(ValueError, match="grain must be one of day, week, month"):
        periods(dt.date(2026, 1, 1), dt.date(2026, 1, 2), "year")


def test_the_page_speaks_the_operators_language_with_a_table_beside_each_chart(
    app: Flask, supervisor: FlaskClient
) -> None:
    store = app.extensions["pnav"].store
    english = supervisor.get(f"/console/stats?{day_query()}")
    assert english.headers["Content-Language"] == "en"
    store.set_operator_lang(store.find_operator("sue").id, "fr")
    response = supervisor.get(f"/console/stats?{day_query()}")
    assert response.headers["Content-Language"] == "fr"
    html = response.get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in html
    for words in (
        "Activité",
        "Discussions par catégorie",
        "Parties avant une réponse",
        "Violences conjugales",
        "Télécharger en CSV",
        "Retour à la console",
    ):
        assert words in html, words
    assert "Conversations by category" not in html and "Download as CSV" not in html
    want = expected()
    found = charts(html)
    for kind, chart in found.items():
        table = re.search(rf'<table data-table="{kind}"[^>]*>(.*?)</table>', html)
        assert table is not None, kind
        cells = [int(n) for n in re.findall(r'<td class="n">(\d+)</td>', table.group(1))]
        attribute = "period" if kind == "started" else kind
        assert cells == list(bars(chart, attribute).values()), kind
    assert cells and want["totals"]["left_unanswered"] == 1
    assert "@media print" in html  # the form and links are left out on paper
