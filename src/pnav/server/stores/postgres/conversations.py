"""The PostgreSQL store's conversations: their life from waiting to closed, handovers,
messages (numbered as :mod:`~pnav.server.stores.postgres.store` explains) and resume codes.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from typing import Any

from psycopg.rows import class_row, tuple_row

from pnav.sdk.store import Conversation, FloorTally, Handover, NewConversation, StoredMessage
from pnav.server.stores.floor_sql import floor_tally_sql
from pnav.server.stores.group_commit import Append, GroupCommit, Outcome
from pnav.server.stores.postgres.queries import PostgresQueries
from pnav.server.stores.postgres.schema import Connection

__all__ = ["PostgresConversations"]

_FLOOR_TALLY = floor_tally_sql("%s")
_CONV_COLUMNS = (
    "id, partner, who, what, danger, lang, sealed_key, desk_key, state, person, "
    "operator_id, outcome, created_at, assigned_at, closed_at, last_seq, person_since, "
    "last_activity"
)
_MSG_COLUMNS = "conv, seq, sender, client_id, body, created_at"


class PostgresConversations(PostgresQueries):
    """The conversations' part of :class:`~pnav.server.stores.postgres.store.PostgresStore`."""

    _appends: GroupCommit[Append, tuple[StoredMessage, bool]]

    def _conversations(self, where: str, *args: Any) -> list[Conversation]:
        sql = f"SELECT {_CONV_COLUMNS} FROM conversations WHERE {where}"  # noqa: S608 - constants
        return self._rows(class_row(Conversation), sql, *args)

    # -- conversations -------------------------------------------------
    def create_conversation(self, new: NewConversation) -> Conversation:
        now = time.time()
        conv = self._row(
            class_row(Conversation),
            "INSERT INTO conversations (id, partner, who, what, danger, lang, sealed_key, "  # noqa: S608
            "desk_key, created_at, person_since, last_activity) "
            f"VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING {_CONV_COLUMNS}",
            secrets.token_urlsafe(16),
            new.partner,
            new.who,
            new.what,
            new.danger,
            new.lang,
            new.sealed_key,
            new.desk_key,
            now,
            now,
            now,
        )
        assert conv is not None
        return conv

    def get_conversation(self, conv_id: str) -> Conversation | None:
        found = self._conversations("id = %s", conv_id)
        return found[0] if found else None

    def waiting_conversations(self) -> list[Conversation]:
        # pnav.sdk.store.queue_order; "C": code-point order whatever the database's locale.
        return self._conversations(
            "state = 'waiting' AND person NOT IN ('gone', 'quick_exit') "
            'ORDER BY danger DESC, created_at, id COLLATE "C"'
        )

    def queue_position(self, conv_id: str) -> int | None:
        # The waiting conversations before this one in queue_order, counted in the database.
        row = self._row(
            tuple_row,
            "SELECT CASE WHEN c.state = 'waiting' AND c.person NOT IN ('gone', 'quick_exit') "
            "THEN 1 + (SELECT COUNT(*) FROM conversations w WHERE w.state = 'waiting' "
            "AND w.person NOT IN ('gone', 'quick_exit') AND (NOT w.danger, w.created_at, "
            'w.id COLLATE "C") < (NOT c.danger, c.created_at, c.id COLLATE "C")) END '
            "FROM conversations c WHERE c.id = %s",
            conv_id,
        )
        return None if row is None or row[0] is None else int(row[0])

    def operator_conversations(self, operator_id: int) -> list[Conversation]:
        return self._conversations(
            "state = 'active' AND operator_id = %s ORDER BY assigned_at", operator_id
        )

    def assign(self, conv_id: str, operator_id: int) -> bool:
        return (
            self._count(
                "UPDATE conversations SET state = 'active', operator_id = %s, assigned_at = %s "
                "WHERE id = %s AND state = 'waiting'",
                operator_id,
                time.time(),
                conv_id,
            )
            == 1
        )

    def close_conversation(self, conv_id: str, outcome: str) -> bool:
        return self._close(conv_id, outcome, "state != 'closed'")

    def close_waiting_conversation(self, conv_id: str, outcome: str) -> bool:
        return self._close(conv_id, outcome, "state = 'waiting'")

    def _close(self, conv_id: str, outcome: str, condition: str) -> bool:
        closed = self._count(
            "UPDATE conversations SET state = 'closed', outcome = %s, closed_at = %s "  # noqa: S608 - fixed conditions
            f"WHERE id = %s AND {condition}",
            outcome,
            time.time(),
            conv_id,
        )
        return closed == 1

    def set_person_state(self, conv_id: str, state: str, now: float | None = None) -> None:
        self._count(
            "UPDATE conversations SET person = %s, person_since = %s WHERE id = %s",
            state,
            time.time() if now is None else now,
            conv_id,
        )

    def transfer(self, conv_id: str, from_operator: int, handover: Handover) -> bool:
        with self._tx() as conn:
            moved = conn.execute(
                "UPDATE conversations SET operator_id = %s, assigned_at = %s "
                "WHERE id = %s AND state = 'active' AND operator_id = %s",
                (handover.to_operator, handover.created_at, conv_id, from_operator),
            ).rowcount
            if moved != 1:
                return False
            conn.execute(
                "INSERT INTO handovers (conv, from_operator, to_operator, note, created_at) "
                "VALUES (%s, %s, %s, %s, %s)",
                (conv_id, handover.from_operator, handover.to_operator, handover.note,
                 handover.created_at),
            )  # fmt: skip
            return True

    def handovers(self, conv_id: str) -> list[Handover]:
        return self._rows(
            class_row(Handover),
            "SELECT conv, from_operator, to_operator, note, created_at FROM handovers "
            "WHERE conv = %s ORDER BY id",
            conv_id,
        )

    def active_conversations(self) -> list[Conversation]:
        return self._conversations("state = 'active' ORDER BY assigned_at")

    def floor_tally(self, overdue_before: float) -> FloorTally:
        row = self._row(tuple_row, _FLOOR_TALLY, overdue_before, overdue_before)
        assert row is not None  # an aggregate always has its row
        return FloorTally(*(int(v) for v in row))

    def people_in_state(self, state: str, since_before: float) -> list[Conversation]:
        return self._conversations(
            "state != 'closed' AND person = %s AND person_since < %s", state, since_before
        )

    def idle_conversations(self, before: float) -> list[Conversation]:
        return self._conversations(
            "state != 'closed' AND person != 'connected' AND last_activity < %s", before
        )

    # -- messages ------------------------------------------------------
    def append_message(
        self, conv_id: str, sender: str, client_id: str, body: bytes
    ) -> tuple[StoredMessage, bool]:
        # Appends arriving together share one transaction and one WAL flush (group_commit.py).
        return self._appends.submit(Append(conv_id, sender, client_id, bytes(body)))

    def _write_appends(self, batch: Sequence[Append]) -> list[Outcome[tuple[StoredMessage, bool]]]:
        """Store a batch of appends in one transaction of four statements (two round
        trips) whatever its size, each item as if it were alone (an unknown conversation
        refuses its own item only).

        1. lock the batch's conversation rows, in id order so two workers' batches cannot
           deadlock, and read their last sequence numbers;
        2. look for the client ids already stored. A new statement sees what other
           transactions committed before the locks were granted, so a resend through
           another worker is found, not numbered twice;
        3. insert the new messages, numbered on from the locked last sequence, and
        4. move each conversation's last sequence on.
        """
        outcomes: list[Outcome[tuple[StoredMessage, bool]] | None] = [None] * len(batch)
        convs = sorted({item.conv for item in batch})
        # Pipeline mode: BEGIN and the two reads leave together, then the writes and
        # COMMIT: two round trips for the batch. The server still runs the statements one
        # after the other, so the second read starts once the locks are held.
        with self._pool.connection() as conn, conn.pipeline(), conn.transaction():
            locked = conn.execute(
                "SELECT id, last_seq FROM conversations WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                (convs,),
            )
            found = conn.execute(
                "SELECT m.conv, m.sender, m.client_id, m.seq, m.body, m.created_at "
                "FROM messages m JOIN unnest(%s::text[], %s::text[], %s::text[]) "
                "AS k(conv, sender, client_id) USING (conv, sender, client_id)",
                (
                    [i.conv for i in batch],
                    [i.sender for i in batch],
                    [i.client_id for i in batch],
                ),
            )
            last: dict[str, int] = dict(locked.fetchall())
            stored = {
                (conv, sender, client_id): (int(seq), bytes(body), created_at)
                for conv, sender, client_id, seq, body, created_at in found.fetchall()
            }
            now = time.time()
            rows: list[tuple[str, int, str, str, bytes]] = []
            for n, item in enumerate(batch):
                if item.conv not in last:
                    outcomes[n] = (None, KeyError(item.conv))
                    continue
                key = (item.conv, item.sender, item.client_id)
                if key in stored:  # stored before, or earlier in this batch
                    seq, body, created = stored[key]
                    message = StoredMessage(item.conv, seq, item.sender, item.client_id, body,
                                            created)  # fmt: skip
                    outcomes[n] = ((message, False), None)
                    continue
                last[item.conv] += 1
                seq = last[item.conv]
                stored[key] = (seq, item.body, now)
                rows.append((item.conv, seq, item.sender, item.client_id, item.body))
                message = StoredMessage(item.conv, seq, item.sender, item.client_id, item.body, now)
                outcomes[n] = ((message, True), None)
            if rows:
                conn.execute(
                    "INSERT INTO messages (conv, seq, sender, client_id, body, created_at) "
                    "SELECT conv, seq, sender, client_id, body, %s FROM unnest("
                    "%s::text[], %s::int8[], %s::text[], %s::text[], %s::bytea[]) "
                    "AS r(conv, seq, sender, client_id, body)",
                    (now, *(list(column) for column in zip(*rows, strict=True))),
                )
                moved = {r[0]: last[r[0]] for r in rows}
                conn.execute(
                    "UPDATE conversations c SET last_seq = v.seq, last_activity = %s "
                    "FROM unnest(%s::text[], %s::int8[]) AS v(id, seq) WHERE c.id = v.id",
                    (now, list(moved), list(moved.values())),
                )
        assert all(outcome is not None for outcome in outcomes)
        return outcomes  # type: ignore[return-value]  # every item was answered above

    def messages_after(self, conv_id: str, after: int) -> list[StoredMessage]:
        return self._rows(
            class_row(StoredMessage),
            f"SELECT {_MSG_COLUMNS} FROM messages WHERE conv = %s AND seq > %s ORDER BY seq",  # noqa: S608
            conv_id,
            after,
        )

    # -- resume codes ----------------------------------------------------
    def put_resume_code(self, conv_id: str, lookup_hash: bytes, wrapped_key: bytes) -> None:
        # one statement, so two workers storing a code for one conversation cannot collide
        self._count(
            "INSERT INTO resume_codes (lookup_hash, conv, wrapped_key, created_at) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (conv) DO UPDATE SET "
            "lookup_hash = EXCLUDED.lookup_hash, wrapped_key = EXCLUDED.wrapped_key, "
            "created_at = EXCLUDED.created_at",
            lookup_hash,
            conv_id,
            wrapped_key,
            time.time(),
        )

    def find_resume_code(self, lookup_hash: bytes) -> tuple[str, bytes] | None:
        row = self._row(
            tuple_row, "SELECT conv, wrapped_key FROM resume_codes WHERE lookup_hash = %s",
            lookup_hash,
        )  # fmt: skip
        return (str(row[0]), bytes(row[1])) if row else None


def _message(conn: Connection, conv: str, sender: str, client_id: str) -> StoredMessage | None:
    with conn.cursor(row_factory=class_row(StoredMessage)) as cur:
        return cur.execute(
            f"SELECT {_MSG_COLUMNS} FROM messages "  # noqa: S608 - constant column list
            "WHERE conv = %s AND sender = %s AND client_id = %s",
            (conv, sender, client_id),
        ).fetchone()
