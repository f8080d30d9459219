"""The SQLite store's operators' side: operators and their desk keys, notes and
observers, canned replies."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

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
from pnav.server.stores.sqlite.queries import SQLiteQueries

__all__ = ["SQLiteStaff"]


def _operator(row: sqlite3.Row) -> Operator:
    values: dict[str, Any] = dict(row)
    values.pop("created_at")
    values["removed"] = bool(values["removed"])
    values["public_key"] = bytes(values["public_key"])
    return Operator(**values)


def _operator_values(new: NewOperator) -> tuple[str, str, bytes, int, int, bytes, bytes]:
    """A new operator's columns, in the order of the INSERT."""
    return (
        new.username, new.role, new.salt, new.kdf_ops, new.kdf_mem, new.auth_hash,
        new.public_key,
    )  # fmt: skip


class SQLiteStaff(SQLiteQueries):
    """The operators' part of :class:`~pnav.server.stores.sqlite.store.SQLiteStore`."""

    # -- notes and observers ---------------------------------------------
    def add_note(self, conv_id: str, author: int, kind: str, body: bytes) -> Note:
        check_note_kind(kind)
        with self._tx() as db:
            _known(db, conv_id, author)
            now = time.time()
            cur = db.execute(
                "INSERT INTO notes (conv, author, kind, body, created_at) "
                "VALUES (?, ?, ?, ?, ?) RETURNING id",
                (conv_id, author, kind, body, now),
            )
            note_id = int(cur.fetchone()[0])
        return Note(conv_id, note_id, author, kind, bytes(body), now)

    def notes(self, conv_id: str) -> list[Note]:
        rows = self._all(
            "SELECT conv, id, author, kind, body, created_at FROM notes WHERE conv = ? ORDER BY id",
            conv_id,
        )
        return [Note(r[0], r[1], r[2], r[3], bytes(r[4]), r[5]) for r in rows]

    def join_conversation(self, conv_id: str, operator_id: int) -> None:
        with self._tx() as db:
            _known(db, conv_id, operator_id)
            db.execute(
                "INSERT OR IGNORE INTO observers (conv, operator_id) VALUES (?, ?)",
                (conv_id, operator_id),
            )

    def leave_conversation(self, conv_id: str, operator_id: int) -> None:
        with self._tx() as db:
            db.execute(
                "DELETE FROM observers WHERE conv = ? AND operator_id = ?", (conv_id, operator_id)
            )

    def observers(self, conv_id: str) -> list[int]:
        rows = self._all(
            "SELECT operator_id FROM observers WHERE conv = ? ORDER BY joined", conv_id
        )
        return [int(r[0]) for r in rows]

    # -- operators and desk keys --------------------------------------
    def add_operator(self, new: NewOperator) -> Operator:
        try:
            with self._tx() as db:
                db.execute(
                    "INSERT INTO operators (username, role, salt, kdf_ops, kdf_mem, auth_hash, "
                    "public_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (*_operator_values(new), time.time()),
                )
        except sqlite3.IntegrityError as exc:
            raise ValueError(f"operator {new.username!r} exists already") from exc
        op = self.find_operator(new.username)
        assert op is not None
        return op

    def get_operator(self, operator_id: int) -> Operator | None:
        row = self._one("SELECT * FROM operators WHERE id = ?", operator_id)
        return _operator(row) if row else None

    def find_operator(self, username: str) -> Operator | None:
        row = self._one("SELECT * FROM operators WHERE username = ?", username)
        return _operator(row) if row else None

    def list_operators(self) -> list[Operator]:
        return [_operator(r) for r in self._all("SELECT * FROM operators ORDER BY id")]

    def remove_operator(self, operator_id: int) -> None:
        with self._tx() as db:
            db.execute("UPDATE operators SET removed = 1 WHERE id = ?", (operator_id,))
            db.execute("DELETE FROM desk_key_wraps WHERE operator_id = ?", (operator_id,))

    def set_capacity(self, operator_id: int, capacity: int | None) -> None:
        check_capacity(capacity)
        with self._tx() as db:
            cur = db.execute(
                "UPDATE operators SET capacity = ? WHERE id = ?", (capacity, operator_id)
            )
            if cur.rowcount != 1:
                raise KeyError(f"no operator with id {operator_id}")

    def set_operator_lang(self, operator_id: int, lang: str | None) -> None:
        check_console_lang(lang)
        with self._tx() as db:
            cur = db.execute("UPDATE operators SET lang = ? WHERE id = ?", (lang, operator_id))
            if cur.rowcount != 1:
                raise KeyError(f"no operator with id {operator_id}")

    def add_desk_key(self, key: DeskKey, wraps: dict[int, bytes]) -> None:
        with self._tx() as db:
            if db.execute("SELECT 1 FROM desk_keys WHERE id = ?", (key.id,)).fetchone():
                raise ValueError(f"desk key {key.id!r} exists already")
            db.execute(
                "INSERT INTO desk_keys (id, public, created_at) VALUES (?, ?, ?)",
                (key.id, key.public, key.created_at),
            )
            try:
                db.executemany(
                    "INSERT INTO desk_key_wraps (operator_id, desk_key, wrapped) VALUES (?, ?, ?)",
                    [(op_id, key.id, wrapped) for op_id, wrapped in wraps.items()],
                )
            except sqlite3.IntegrityError as exc:  # the operator's foreign key
                raise KeyError(f"no operator among {sorted(wraps)}") from exc

    def current_desk_key(self) -> DeskKey | None:
        row = self._one("SELECT * FROM desk_keys ORDER BY created_at DESC, rowid DESC LIMIT 1")
        return DeskKey(row["id"], bytes(row["public"]), row["created_at"]) if row else None

    def put_desk_key_wrap(self, operator_id: int, desk_key: str, wrapped: bytes) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO desk_key_wraps (operator_id, desk_key, wrapped) "
                "VALUES (?, ?, ?)",
                (operator_id, desk_key, wrapped),
            )

    def desk_key_wraps(self, operator_id: int) -> dict[str, bytes]:
        rows = self._all(
            "SELECT desk_key, wrapped FROM desk_key_wraps WHERE operator_id = ?", operator_id
        )
        return {r["desk_key"]: bytes(r["wrapped"]) for r in rows}

    # -- canned replies --------------------------------------------------
    def canned_replies(self, lang: str | None = None) -> list[CannedReply]:
        columns = "SELECT id, lang, title, text, updated_at FROM canned_replies"
        order = " ORDER BY lang, title, id"
        if lang is None:
            rows = self._all(columns + order)
        else:
            rows = self._all(columns + " WHERE lang = ?" + order, lang)
        return [CannedReply(*r) for r in rows]

    def put_canned_reply(
        self, lang: str, title: str, text: str, reply_id: int | None = None
    ) -> CannedReply:
        with self._tx() as db:
            now = time.time()
            if reply_id is None:
                cur = db.execute(
                    "INSERT INTO canned_replies (lang, title, text, updated_at) "
                    "VALUES (?, ?, ?, ?) RETURNING id",
                    (lang, title, text, now),
                )
                reply_id = int(cur.fetchone()[0])
            elif (
                db.execute(
                    "UPDATE canned_replies SET lang = ?, title = ?, text = ?, updated_at = ? "
                    "WHERE id = ?",
                    (lang, title, text, now, reply_id),
                ).rowcount
                != 1
            ):
                raise KeyError(f"no canned reply with id {reply_id}")
        return CannedReply(reply_id, lang, title, text, now)

    def delete_canned_reply(self, reply_id: int) -> bool:
        with self._tx() as db:
            return db.execute("DELETE FROM canned_replies WHERE id = ?", (reply_id,)).rowcount == 1


def _known(db: sqlite3.Connection, conv_id: str, operator_id: int) -> None:
    """KeyError unless the conversation and the operator exist (inside a transaction)."""
    if db.execute("SELECT 1 FROM conversations WHERE id = ?", (conv_id,)).fetchone() is None:
        raise KeyError(f"no conversation {conv_id!r}")
    if db.execute("SELECT 1 FROM operators WHERE id = ?", (operator_id,)).fetchone() is None:
        raise KeyError(f"no operator with id {operator_id}")
