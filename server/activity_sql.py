"""The SQL of the statistics' histograms, shared by the SQLite and PostgreSQL stores.

Counts per bucket come out of the database (``CASE`` … ``GROUP BY``), never rows. The
bucket bounds are bound parameters; the statements differ between the two databases
only by their placeholder (``?`` or ``%s``).
"""

from __future__ import annotations

from collections.abc import Sequence

from pnav.sdk.store import DURATION_BUCKETS, WAIT_BUCKETS

__all__ = ["duration_histogram", "wait_histogram"]

# Taken and never transferred, started in [since, until): the conversations whose first
# wait is known (a transfer moves ``assigned_at`` to the handover).
_MEASURED = (
    "FROM conversations c WHERE created_at >= {p} AND created_at < {p} "
    "AND assigned_at IS NOT NULL "
    "AND NOT EXISTS (SELECT 1 FROM handovers h WHERE h.conv = c.id)"
)


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
    return f"SELECT {case} AS bucket, count(*) {_MEASURED.format(p=p)} GROUP BY 1", bounds


def duration_histogram(p: str) -> tuple[str, list[float]]:
    """The same for the time from being taken to being closed (:data:`DURATION_BUCKETS`)."""
    case, bounds = _case("closed_at - assigned_at", DURATION_BUCKETS, p)
    sql = (
        f"SELECT {case} AS bucket, count(*) {_MEASURED.format(p=p)} AND state = 'closed' GROUP BY 1"
    )
    return sql, bounds
