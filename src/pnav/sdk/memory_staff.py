"""The operators' side of :class:`~pnav.sdk.memory_store.MemoryStore`: operators and
their desk keys, notes and observers, canned replies.

Like a database it refuses what foreign keys or unique constraints would: a duplicate
username, a wrap for an unknown operator or desk key, a note or an observer for an
unknown conversation or operator.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any

from pnav.sdk.store import (
    CannedReply,
    DeskKey,
    NewOperator,
    Note,
    Operator,
    Store,
    check_capacity,
    check_console_lang,
    check_note_kind,
)

__all__ = ["MemoryStaff"]


class MemoryStaff(Store):
    """Every method holds one lock, shared with the conversations' side (it is
    re-entrant: checking a conversation exists takes it again)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._operators: dict[int, Operator] = {}
        self._next_operator = 1
        self._desk_keys: dict[str, DeskKey] = {}
        self._wraps: dict[tuple[int, str], bytes] = {}
        self._notes: dict[str, list[Note]] = {}
        self._next_note = 1
        self._observers: dict[str, list[int]] = {}
        self._canned: dict[int, CannedReply] = {}
        self._next_canned = 1

    # -- notes and observers ---------------------------------------------
    def add_note(self, conv_id: str, author: int, kind: str, body: bytes) -> Note:
        check_note_kind(kind)
        with self._lock:
            self._known(conv_id, author)
            note = Note(conv_id, self._next_note, author, kind, bytes(body), time.time())
            self._next_note += 1
            self._notes.setdefault(conv_id, []).append(note)
            return note

    def notes(self, conv_id: str) -> list[Note]:
        with self._lock:
            return list(self._notes.get(conv_id, ()))

    def join_conversation(self, conv_id: str, operator_id: int) -> None:
        with self._lock:
            self._known(conv_id, operator_id)
            watching = self._observers.setdefault(conv_id, [])
            if operator_id not in watching:
                watching.append(operator_id)

    def leave_conversation(self, conv_id: str, operator_id: int) -> None:
        with self._lock:
            watching = self._observers.get(conv_id, [])
            if operator_id in watching:
                watching.remove(operator_id)

    def observers(self, conv_id: str) -> list[int]:
        with self._lock:
            return list(self._observers.get(conv_id, ()))

    def _known(self, conv_id: str, operator_id: int) -> None:
        """KeyError unless both exist, as a database's foreign keys would refuse."""
        if self.get_conversation(conv_id) is None:
            raise KeyError(f"no conversation {conv_id!r}")
        if operator_id not in self._operators:
            raise KeyError(f"no operator with id {operator_id}")

    def _forget(self, conv_id: str) -> None:
        """Drop the notes and observers of a purged conversation (under the lock)."""
        self._notes.pop(conv_id, None)
        self._observers.pop(conv_id, None)

    # -- operators and desk keys --------------------------------------
    def add_operator(self, new: NewOperator) -> Operator:
        with self._lock:
            if any(op.username == new.username for op in self._operators.values()):
                raise ValueError(f"operator {new.username!r} exists already")
            op = Operator(
                id=self._next_operator,
                username=new.username,
                role=new.role,
                salt=bytes(new.salt),
                kdf_ops=new.kdf_ops,
                kdf_mem=new.kdf_mem,
                auth_hash=bytes(new.auth_hash),
                public_key=bytes(new.public_key),
                removed=False,
            )
            self._operators[op.id] = op
            self._next_operator += 1
            return op

    def remove_operator(self, operator_id: int) -> None:
        with self._lock:
            op = self._operators.get(operator_id)
            if op is not None:
                self._operators[operator_id] = replace(op, removed=True)
            for key in [k for k in self._wraps if k[0] == operator_id]:
                del self._wraps[key]

    def get_operator(self, operator_id: int) -> Operator | None:
        with self._lock:
            return self._operators.get(operator_id)

    def find_operator(self, username: str) -> Operator | None:
        with self._lock:
            return next((op for op in self._operators.values() if op.username == username), None)

    def list_operators(self) -> list[Operator]:
        with self._lock:
            return sorted(self._operators.values(), key=lambda op: op.id)

    def set_capacity(self, operator_id: int, capacity: int | None) -> None:
        check_capacity(capacity)
        self._update_operator(operator_id, capacity=capacity)

    def set_operator_lang(self, operator_id: int, lang: str | None) -> None:
        check_console_lang(lang)
        self._update_operator(operator_id, lang=lang)

    def _update_operator(self, operator_id: int, **changes: Any) -> None:
        with self._lock:
            op = self._operators.get(operator_id)
            if op is None:
                raise KeyError(f"no operator with id {operator_id}")
            self._operators[operator_id] = replace(op, **changes)

    def add_desk_key(self, key: DeskKey, wraps: dict[int, bytes]) -> None:
        with self._lock:
            # check everything first: nothing is stored unless all of it can be
            if key.id in self._desk_keys:
                raise ValueError(f"desk key {key.id!r} exists already")
            unknown = set(wraps) - set(self._operators)
            if unknown:
                raise KeyError(f"no operator with id {sorted(unknown)}")
            self._desk_keys[key.id] = key
            for operator_id, wrapped in wraps.items():
                self._wraps[(operator_id, key.id)] = bytes(wrapped)

    def current_desk_key(self) -> DeskKey | None:
        with self._lock:
            keys = list(self._desk_keys.values())
            if not keys:
                return None
            # newest first; among equal times the one added last (max returns the first maximum)
            return max(reversed(keys), key=lambda k: k.created_at)

    def put_desk_key_wrap(self, operator_id: int, desk_key: str, wrapped: bytes) -> None:
        with self._lock:
            if operator_id not in self._operators:
                raise KeyError(f"no operator with id {operator_id}")
            if desk_key not in self._desk_keys:
                raise KeyError(f"no desk key {desk_key!r}")
            self._wraps[(operator_id, desk_key)] = bytes(wrapped)

    def desk_key_wraps(self, operator_id: int) -> dict[str, bytes]:
        with self._lock:
            return {key: w for (op, key), w in self._wraps.items() if op == operator_id}

    # -- canned replies --------------------------------------------------
    def canned_replies(self, lang: str | None = None) -> list[CannedReply]:
        with self._lock:
            found = [r for r in self._canned.values() if lang is None or r.lang == lang]
        return sorted(found, key=lambda r: (r.lang, r.title, r.id))

    def put_canned_reply(
        self, lang: str, title: str, text: str, reply_id: int | None = None
    ) -> CannedReply:
        with self._lock:
            if reply_id is None:
                reply_id = self._next_canned
                self._next_canned += 1
            elif reply_id not in self._canned:
                raise KeyError(f"no canned reply with id {reply_id}")
            reply = CannedReply(reply_id, lang, title, text, time.time())
            self._canned[reply_id] = reply
            return reply

    def delete_canned_reply(self, reply_id: int) -> bool:
        with self._lock:
            return self._canned.pop(reply_id, None) is not None
