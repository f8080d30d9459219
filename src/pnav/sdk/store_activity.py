"""The statistics a :class:`~pnav.sdk.store.Store` computes: counts only.

:class:`ActivityCounts` is what ``Store.activity`` returns; the histogram buckets,
:func:`tally_activity` (grouped rows into counts) and the in-memory helpers
(:func:`bucket_index`, :func:`count_in_intervals`) are shared by every store. Import
them from :mod:`pnav.sdk.store`.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "DURATION_BUCKETS",
    "WAIT_BUCKETS",
    "ActivityCounts",
    "ActivityGroup",
    "bucket_index",
    "check_bounds",
    "count_in_intervals",
    "tally_activity",
]

# Histogram buckets of the statistics: (label, upper bound in seconds, excluded; None for
# the last, open-ended one). A value falls in the first bucket whose bound it is below.
WAIT_BUCKETS: tuple[tuple[str, float | None], ...] = (
    ("<1 min", 60),
    ("1-5 min", 300),
    ("5-15 min", 900),
    ("15-30 min", 1800),
    ("30-60 min", 3600),
    ("1 h+", None),
)
DURATION_BUCKETS: tuple[tuple[str, float | None], ...] = (
    ("<5 min", 300),
    ("5-15 min", 900),
    ("15-30 min", 1800),
    ("30-60 min", 3600),
    ("1-2 h", 7200),
    ("2 h+", None),
)


@dataclass(frozen=True)
class ActivityCounts:
    """Aggregate counts over the conversations started in a time range.

    Counts only: no conversation id, no operator, no content, no per-person row. A
    conversation belongs to the range it was *started* in (``created_at``); ``taken``,
    ``closed``, the outcome and ``quick_exits`` say what has become of those
    conversations by now. ``by_outcome`` counts closed conversations only.

    ``median_wait`` is the median, in seconds, of the time from start to being taken
    over the ``waits_measured`` conversations taken and never transferred (a transfer
    moves ``assigned_at`` to the handover, so their first wait is unknown); None when
    there is none.

    ``wait_buckets`` counts those same conversations by their wait, and
    ``duration_buckets`` the closed ones among them by the time from being taken to
    being closed, under the labels of :data:`WAIT_BUCKETS` and :data:`DURATION_BUCKETS`
    (every label, in that order, zeros included).
    """

    started: int = 0
    taken: int = 0
    closed: int = 0
    danger: int = 0
    quick_exits: int = 0
    by_who: dict[str, int] = field(default_factory=dict)
    by_what: dict[str, int] = field(default_factory=dict)
    by_outcome: dict[str, int] = field(default_factory=dict)
    by_lang: dict[str, int] = field(default_factory=dict)
    waits_measured: int = 0
    median_wait: float | None = None
    wait_buckets: dict[str, int] = field(default_factory=lambda: _zeros(WAIT_BUCKETS))
    duration_buckets: dict[str, int] = field(default_factory=lambda: _zeros(DURATION_BUCKETS))
    # never taken, and the person left (gone or quick exit): how many, and by how long
    # they had waited when they left (person_since - created_at), under WAIT_BUCKETS
    left_unanswered: int = 0
    left_wait_buckets: dict[str, int] = field(default_factory=lambda: _zeros(WAIT_BUCKETS))


def _zeros(buckets: Sequence[tuple[str, float | None]]) -> dict[str, int]:
    return dict.fromkeys((label for label, _ in buckets), 0)


def bucket_index(seconds: float, buckets: Sequence[tuple[str, float | None]]) -> int:
    """Which bucket a duration falls in (what the stores' ``CASE`` computes)."""
    for i, (_, below) in enumerate(buckets):
        if below is None or seconds < below:
            return i
    raise ValueError("the last bucket must be open-ended (bound None)")


def _bucketed(
    rows: Iterable[tuple[int, int]], buckets: Sequence[tuple[str, float | None]]
) -> dict[str, int]:
    counts = _zeros(buckets)
    labels = list(counts)
    for index, n in rows:
        counts[labels[int(index)]] += int(n)
    return counts


def check_bounds(bounds: Sequence[float]) -> None:
    """ValueError unless the bounds of :meth:`Store.started_series` strictly increase."""
    if not all(a < b for a, b in itertools.pairwise(bounds)):
        raise ValueError("bounds must be strictly increasing epoch seconds")


def count_in_intervals(times: Iterable[float], bounds: Sequence[float]) -> list[int]:
    """How many ``times`` fall in each ``[bounds[i], bounds[i+1])`` (the in-memory way)."""
    check_bounds(bounds)
    counts = [0] * max(0, len(bounds) - 1)
    for t in times:
        i = bisect.bisect_right(bounds, t) - 1
        if 0 <= i < len(counts):
            counts[i] += 1
    return counts


@dataclass(frozen=True)
class ActivityGroup:
    """One row of a store's ``GROUP BY``: how many conversations share these values."""

    who: str
    what: str
    lang: str
    outcome: str | None
    danger: bool
    quick_exit: bool
    taken: bool
    closed: bool
    count: int


def tally_activity(
    groups: Iterable[ActivityGroup],
    waits_measured: int = 0,
    median_wait: float | None = None,
    *,
    wait_buckets: Iterable[tuple[int, int]] = (),
    duration_buckets: Iterable[tuple[int, int]] = (),
    left_wait_buckets: Iterable[tuple[int, int]] = (),
) -> ActivityCounts:
    """Sum grouped rows into :class:`ActivityCounts` (what every store's ``activity`` does).

    ``wait_buckets`` and ``duration_buckets`` are ``(bucket index, count)`` rows, indexes
    into :data:`WAIT_BUCKETS` and :data:`DURATION_BUCKETS`; ``left_wait_buckets`` the same
    for the conversations left before an answer (their count is the sum)."""
    totals = {"started": 0, "taken": 0, "closed": 0, "danger": 0, "quick_exits": 0}
    by: dict[str, dict[str, int]] = {"who": {}, "what": {}, "outcome": {}, "lang": {}}
    for g in groups:
        n = int(g.count)
        if n <= 0:
            continue
        totals["started"] += n
        totals["taken"] += n if g.taken else 0
        totals["closed"] += n if g.closed else 0
        totals["danger"] += n if g.danger else 0
        totals["quick_exits"] += n if g.quick_exit else 0
        for name, key in (("who", g.who), ("what", g.what), ("lang", g.lang)):
            by[name][key] = by[name].get(key, 0) + n
        if g.closed and g.outcome is not None:
            by["outcome"][g.outcome] = by["outcome"].get(g.outcome, 0) + n
    left = _bucketed(left_wait_buckets, WAIT_BUCKETS)
    return ActivityCounts(
        **totals,
        by_who=by["who"],
        by_what=by["what"],
        by_outcome=by["outcome"],
        by_lang=by["lang"],
        waits_measured=waits_measured if waits_measured else 0,
        median_wait=median_wait if waits_measured else None,
        wait_buckets=_bucketed(wait_buckets, WAIT_BUCKETS),
        duration_buckets=_bucketed(duration_buckets, DURATION_BUCKETS),
        left_unanswered=sum(left.values()),
        left_wait_buckets=left,
    )
