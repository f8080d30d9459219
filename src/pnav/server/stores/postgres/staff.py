"""The PostgreSQL store's operators' side: operators and their desk keys, notes and
observers, canned replies."""

from __future__ import annotations

import time

from psycopg import errors
from psycopg.rows import class_row, tuple_row

from pnav.sdk.store import (
    CannedReply,
    DeskKey,
    NewOperator,
    Note,
    Operator,
    check_capacity,
    check_console_lang,
    check_note_kind,
)
from pnav.server.stores.postgres.queries import PostgresQueries
from pnav.server.stores.postgres.schema import Connection

__all__ = ["PostgresStaff"]

_OP_COLUMNS = (
    "id, username, role, salt, kdf_ops, kdf_mem, auth_hash, public_key, removed, capacity, lang"
)
_NOTE_COLUMNS = "conv, id, author, kind, body, created_at"
_CANNED_COLUMNS = "id, lang, title, text, updated_at"


class PostgresStaff(PostgresQueries):
    """The operators' part of :class:`~pnav.server.stores.postgres.store.PostgresStore`."""

    # -- notes and observers ---------------------------------------------
    def add_note(self, conv_id: str, author: int, kind: str, body: bytes) -> Note:
        check_note_kind(kind)
        with self._tx() as conn:
            _known(conn, conv_id, author)
            with conn.cursor(row_factory=class_row(Note)) as cur:
                note = cur.execute(
                    "INSERT INTO notes (conv, author, kind, body, created_at) "  # noqa: S608
                    f"VALUES (%s, %s, %s, %s, %s) RETURNING {_NOTE_COLUMNS}",
                    (conv_id, author, kind, body, time.time()),
                ).fetchone()
        assert note is not None
        return note

    def notes(self, conv_id: str) -> list[Note]:
        sql = f"SELECT {_NOTE_COLUMNS} FROM notes WHERE conv = %s ORDER BY id"  # noqa: S608
        return self._rows(class_row(Note), sql, conv_id)

    def join_conversation(self, conv_id: str, operator_id: int) -> None:
        with self._tx() as conn:
            _known(conn, conv_id, operator_id)
            conn.execute(
                "INSERT INTO observers (conv, operator_id) VALUES (%s, %s) "
                "ON CONFLICT ON CONSTRAINT observers_once DO NOTHING",
                (conv_id, operator_id),
            )

    def leave_conversation(self, conv_id: str, operator_id: int) -> None:
        self._count(
            "DELETE FROM observers WHERE conv = %s AND operator_id = %s", conv_id, operator_id
        )

    def observers(self, conv_id: str) -> list[int]:
        rows = self._rows(
            tuple_row, "SELECT operator_id FROM observers WHERE conv = %s ORDER BY joined", conv_id
        )
        return [int(r[0]) for r in rows]

    # -- operators and desk keys --------------------------------------
    def add_operator(self, new: NewOperator) -> Operator:
        try:
            op = self._row(
                class_row(Operator),
                "INSERT INTO operators (username, role, salt, kdf_ops, kdf_mem, auth_hash, "  # noqa: S608
                f"public_key, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
                f"RETURNING {_OP_COLUMNS}",
                new.username, new.role, new.salt, new.kdf_ops, new.kdf_mem, new.auth_hash,
                new.public_key, time.time(),
            )  # fmt: skip
        except errors.UniqueViolation as exc:
            raise ValueError(f"operator {new.username!r} exists already") from exc
        assert op is not None
        return op

    def remove_operator(self, operator_id: int) -> None:
        with self._tx() as conn:
            conn.execute("UPDATE operators SET removed = TRUE WHERE id = %s", (operator_id,))
            conn.execute("DELETE FROM desk_key_wraps WHERE operator_id = %s", (operator_id,))

    def get_operator(self, operator_id: int) -> Operator | None:
        sql = f"SELECT {_OP_COLUMNS} FROM operators WHERE id = %s"  # noqa: S608 - constants
        return self._row(class_row(Operator), sql, operator_id)

    def find_operator(self, username: str) -> Operator | None:
        sql = f"SELECT {_OP_COLUMNS} FROM operators WHERE username = %s"  # noqa: S608
        return self._row(class_row(Operator), sql, username)

    def list_operators(self) -> list[Operator]:
        sql = f"SELECT {_OP_COLUMNS} FROM operators ORDER BY id"  # noqa: S608 - constants
        return self._rows(class_row(Operator), sql)

    def set_capacity(self, operator_id: int, capacity: int | None) -> None:
        check_capacity(capacity)
        changed = self._count(
            "UPDATE operators SET capacity = %s WHERE id = %s", capacity, operator_id
        )
        if changed != 1:
            raise KeyError(f"no operator with id {operator_id}")

    def set_operator_lang(self, operator_id: int, lang: str | None) -> None:
        check_console_lang(lang)
        changed = self._count("UPDATE operators SET lang = %s WHERE id = %s", lang, operator_id)
        if changed != 1:
            raise KeyError(f"no operator with id {operator_id}")

    def add_desk_key(self, key: DeskKey, wraps: dict[int, bytes]) -> None:
        try:
            with self._tx() as conn:
                conn.execute(
                    "INSERT INTO desk_keys (id, public, created_at) VALUES (%s, %s, %s)",
                    (key.id, key.public, key.created_at),
                )
                if wraps:
                    with conn.cursor() as cur:
                        cur.executemany(
                            "INSERT INTO desk_key_wraps (operator_id, desk_key, wrapped) "
                            "VALUES (%s, %s, %s)",
                            [(op_id, key.id, wrapped) for op_id, wrapped in wraps.items()],
                        )
        except errors.UniqueViolation as exc:
            raise ValueError(f"desk key {key.id!r} exists already") from exc
        except errors.ForeignKeyViolation as exc:
            raise KeyError(f"no operator among {sorted(wraps)}") from exc

    def current_desk_key(self) -> DeskKey | None:
        return self._row(
            class_row(DeskKey),
            "SELECT id, public, created_at FROM desk_keys "
            "ORDER BY created_at DESC, added DESC LIMIT 1",
        )

    def put_desk_key_wrap(self, operator_id: int, desk_key: str, wrapped: bytes) -> None:
        self._count(
            "INSERT INTO desk_key_wraps (operator_id, desk_key, wrapped) VALUES (%s, %s, %s) "
            "ON CONFLICT (operator_id, desk_key) DO UPDATE SET wrapped = EXCLUDED.wrapped",
            operator_id,
            desk_key,
            wrapped,
        )

    def desk_key_wraps(self, operator_id: int) -> dict[str, bytes]:
        rows = self._rows(
            tuple_row,
            "SELECT desk_key, wrapped FROM desk_key_wraps WHERE operator_id = %s",
            operator_id,
        )
        return {str(key): bytes(wrapped) for key, wrapped in rows}

    # -- canned replies --------------------------------------------------
    def canned_replies(self, lang: str | None = None) -> list[CannedReply]:
        # "C": code point order, like the other stores (not the database's locale)
        return self._rows(
            class_row(CannedReply),
            f"SELECT {_CANNED_COLUMNS} FROM canned_replies "  # noqa: S608 - constants
            "WHERE %s::text IS NULL OR lang = %s "
            'ORDER BY lang COLLATE "C", title COLLATE "C", id',
            lang,
            lang,
        )

    def put_canned_reply(
        self, lang: str, title: str, text: str, reply_id: int | None = None
    ) -> CannedReply:
        if reply_id is None:
            reply = self._row(
                class_row(CannedReply),
                "INSERT INTO canned_replies (lang, title, text, updated_at) "  # noqa: S608
                f"VALUES (%s, %s, %s, %s) RETURNING {_CANNED_COLUMNS}",
                lang, title, text, time.time(),
            )  # fmt: skip
        else:
            reply = self._row(
                class_row(CannedReply),
                "UPDATE canned_replies SET lang = %s, title = %s, text = %s, "  # noqa: S608
                f"updated_at = %s WHERE id = %s RETURNING {_CANNED_COLUMNS}",
                lang, title, text, time.time(), reply_id,
            )  # fmt: skip
            if reply is None:
                raise KeyError(f"no canned reply with id {reply_id}")
        assert reply is not None
        return reply

    def delete_canned_reply(self, reply_id: int) -> bool:
        return self._count("DELETE FROM canned_replies WHERE id = %s", reply_id) == 1


def _known(conn: Connection, conv_id: str, operator_id: int) -> None:
    """KeyError unless both exist; the conversation stays locked against a purge until the
    transaction ends (``FOR KEY SHARE`` lets other writers update it meanwhile)."""
    if (
        conn.execute(
            "SELECT 1 FROM conversations WHERE id = %s FOR KEY SHARE", (conv_id,)
        ).fetchone()
        is None
    ):
        raise KeyError(f"no conversation {conv_id!r}")
    if conn.execute("SELECT 1 FROM operators WHERE id = %s", (operator_id,)).fetchone() is None:
        raise KeyError(f"no operator with id {operator_id}")
