"""The SQL of ``Store.floor_tally``, shared by the SQLite and PostgreSQL stores (they
differ only in how a parameter is written): four counts in one statement, the active
danger conversations' last messages read through the messages' primary key."""

from __future__ import annotations

__all__ = ["floor_tally_sql"]

_IN_QUEUE = "c.state = 'waiting' AND c.person NOT IN ('gone', 'quick_exit')"


def floor_tally_sql(param: str) -> str:
    """The statement, with ``param`` for its two parameters (both the overdue bound)."""
    return (
        f"SELECT COUNT(*) FILTER (WHERE {_IN_QUEUE}), "  # noqa: S608 - constants and a placeholder
        f"COUNT(*) FILTER (WHERE {_IN_QUEUE} AND c.danger), "
        "COUNT(*) FILTER (WHERE c.state = 'active'), "
        f"COUNT(*) FILTER (WHERE c.danger AND (({_IN_QUEUE} AND c.created_at < {param}) "
        "OR (c.state = 'active' AND EXISTS (SELECT 1 FROM messages m WHERE m.conv = c.id "
        f"AND m.seq = c.last_seq AND m.sender = 'person' AND m.created_at < {param})))) "
        "FROM conversations c WHERE c.state IN ('waiting', 'active')"
    )
