"""The SQL of the statistics, shared by the SQLite and PostgreSQL stores.

Counts come out of the database (``GROUP BY``, ``CASE`` … ``GROUP BY``), never rows. The
bucket bounds are bound parameters; the statements differ between the two databases
only by their placeholder (``?`` or ``%s``). Each store measures the median wait its own
way and hands every count to :func:`activity_counts`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pnav.sdk.store import (
    DURATION_BUCKETS,
    LEFT_STATES,
    WAIT_BUCKETS,
    ActivityCounts,
    ActivityGroup,
    tally_activity,
)

__all__ = [
    "activity_counts",
    "duration_histogram",
    "groups",
    "left_histogram",
    "measured",
    "wait_histogram",
]

_GROUPS = (
    "SELECT who, what, lang, CASE WHEN state = 'closed' THEN outcome END, "
    "danger, person = 'quick_exit', assigned_at IS NOT NULL, state = 'closed', "
    "count(*) FROM conversations WHERE created_at >= {p} AND created_at < {p} "
    "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"
)

# Taken and never transferred, started in [since, until): the conversations whose first
# wait is known (a transfer moves ``assigned_at`` to the handover).
_MEASURED = (
    "FROM conversations c WHERE created_at >= {p} AND created_at < {p} "
    "AND assigned_at IS NOT NULL "
    "AND NOT EXISTS (SELECT 1 FROM handovers h WHERE h.conv = c.id)"
)


# Never taken and the person left: the conversations "left before an answer".
_LEFT = (
    "SELECT {case} AS bucket, count(*) FROM conversations "
    "WHERE created_at >= {p} AND created_at < {p} AND assigned_at IS NULL "
    "AND person IN ({left}) GROUP BY 1"
)


def groups(p: str) -> str:
    """The statement counting the conversations started in [since, until) per
    :class:`ActivityGroup` (bind ``since`` and ``until``)."""
    return _GROUPS.format(p=p)


def measured(p: str) -> str:
    """``FROM … WHERE`` the conversations whose wait is measured (bind ``since`` and
    ``until``)."""
    return _MEASURED.format(p=p)


def _case(
    expr: str, buckets: Sequence[tuple[str, float | None]], p: str
) -> tuple[str, list[float]]:
    """``CASE WHEN expr < bound THEN index … ELSE last END`` and its bounds."""
    whens = [f"WHEN {expr} < {p} THEN {i}" for i, (_, below) in enumerate(buckets) if below]
    bounds = [float(below) for _, below in buckets if below]
    return f"CASE {' '.join(whens)} ELSE {len(buckets) - 1} END", bounds


def wait_histogram(p: str) -> tuple[str, list[float]]:
    """The statement counting waits per :data:`WAIT_BUCKETS` index, and the bucket bounds
    to bind before ``since`` and ``until``."""
    case, bounds = _case("assigned_at - created_at", WAIT_BUCKETS, p)
    return f"SELECT {case} AS bucket, count(*) {measured(p)} GROUP BY 1", bounds


def duration_histogram(p: str) -> tuple[str, list[float]]:
    """The same for the time from being taken to being closed (:data:`DURATION_BUCKETS`)."""
    case, bounds = _case("closed_at - assigned_at", DURATION_BUCKETS, p)
    sql = f"SELECT {case} AS bucket, count(*) {measured(p)} AND state = 'closed' GROUP BY 1"
    return sql, bounds


def left_histogram(p: str) -> tuple[str, list[float]]:
    """The statement counting the conversations left before an answer (never taken, the
    person gone or left by quick exit) per :data:`WAIT_BUCKETS` index of how long they had
    waited when they left; and the bounds to bind before ``since`` and ``until``."""
    case, bounds = _case("person_since - created_at", WAIT_BUCKETS, p)
    left = ", ".join(f"'{s}'" for s in LEFT_STATES)
    sql = _LEFT.format(case=case, p=p, left=left)
    return sql, bounds


def activity_counts(
    group_rows: Iterable[Sequence[Any]],
    waits_measured: int,
    median_wait: float | None,
    wait_rows: Iterable[Sequence[Any]],
    duration_rows: Iterable[Sequence[Any]],
    left_rows: Iterable[Sequence[Any]] = (),
) -> ActivityCounts:
    """The rows of :func:`groups` and of the histograms, summed into counts (the
    databases' booleans may come back as 0 and 1)."""
    return tally_activity(
        (
            ActivityGroup(
                r[0], r[1], r[2], r[3], bool(r[4]), bool(r[5]), bool(r[6]), bool(r[7]), int(r[8])
            )
            for r in group_rows
        ),
        waits_measured,
        median_wait,
        wait_buckets=[(int(r[0]), int(r[1])) for r in wait_rows],
        duration_buckets=[(int(r[0]), int(r[1])) for r in duration_rows],
        left_wait_buckets=[(int(r[0]), int(r[1])) for r in left_rows],
    )
