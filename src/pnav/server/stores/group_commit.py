"""Group commit: writes that arrive together share one transaction and one flush to disk.

A durable commit costs one fsync (SQLite ``synchronous=FULL``) or one WAL flush
(PostgreSQL) whatever it holds, so committing alone caps a store at a few thousand
messages a second while ten in one commit cost little more than one. Callers of
:meth:`GroupCommit.submit` queue their item; the first becomes the *leader*, lets every
caller that is ready to run add its own (a few yields, ``_gather``), writes the whole
batch in one transaction, and wakes each caller with its own result once the
transaction is durable ("stored, then acknowledged" holds: nobody returns before the
commit). While it writes, new items queue; the first of them leads the next batch. No
caller waits for a timer: a lone message is written at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Generic, NamedTuple, TypeVar

__all__ = ["Append", "BatchWriter", "GroupCommit", "Outcome"]

T = TypeVar("T")
R = TypeVar("R")

# One item's outcome: its result, or the exception that refused that item alone.
Outcome = tuple[R, None] | tuple[None, Exception]
# Writes a batch in one transaction and returns one outcome per item, in order; raising
# means the transaction was rolled back and every item of the batch failed.
BatchWriter = Callable[[Sequence[T]], list[Outcome[R]]]


class Append(NamedTuple):
    """One ``Store.append_message`` call, as the stores queue it."""

    conv: str
    sender: str
    client_id: str
    body: bytes


MAX_BATCH = 256  # items per transaction, so no commit holds the database for long
GATHER_SWITCHES = 3  # switches a leader makes before it takes the batch


def _gather() -> None:
    """Let the writers that can run add their items first: a few switches (a greenlet
    switch under gevent, a GIL switch with threads). A frame already on its socket takes
    more than one to reach the store (simple-websocket's reader greenlet reads it, then
    the socket's handler greenlet handles it), and a durable commit holds the loop, so
    one switch left most of the messages that arrived together to the next commit. A
    fixed number, not "until the loop is idle": a loop kept busy by churning sockets
    must not hold a batch back."""
    for _ in range(GATHER_SWITCHES):
        time.sleep(0)


class _Slot(Generic[T, R]):
    __slots__ = ("error", "item", "lead", "ready", "result")

    def __init__(self, item: T) -> None:
        self.item = item
        self.ready = threading.Event()
        self.lead = False  # woken to lead the next batch rather than with a result
        self.result: R | None = None
        self.error: BaseException | None = None


class GroupCommit(Generic[T, R]):
    """Batches the items of concurrent :meth:`submit` calls into ``write`` calls."""

    def __init__(self, write: BatchWriter[T, R], max_batch: int = MAX_BATCH) -> None:
        self._write = write
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Slot[T, R]] = []
        self._leading = False
        self.batches = 0  # transactions written (for tests and benchmarks)
        self.items = 0

    @property
    def queued(self) -> int:
        """Items waiting for the next batch."""
        with self._lock:
            return len(self._queue)

    def submit(self, item: T) -> R:
        """Write ``item`` with whatever else is ready; its result once durable."""
        slot: _Slot[T, R] = _Slot(item)
        with self._lock:
            self._queue.append(slot)
            lead = not self._leading
            self._leading = True
        if not lead:
            try:
                slot.ready.wait()
            except BaseException:
                self._abandon(slot)
                raise
            if not slot.lead:
                return self._outcome(slot)
        self._lead()
        return self._outcome(slot)

    def _lead(self) -> None:
        _gather()  # let the callers that are ready to run queue their items first
        with self._lock:
            batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
        try:
            outcomes = self._write([s.item for s in batch])
            if len(outcomes) != len(batch):
                raise RuntimeError("a batch writer returned the wrong number of outcomes")
        except BaseException as exc:  # the transaction was rolled back: every item failed
            for slot in batch:
                slot.error = exc
        else:
            for slot, (result, error) in zip(batch, outcomes, strict=True):
                slot.result, slot.error = result, error
        self.batches += 1
        self.items += len(batch)
        for slot in batch:
            slot.lead = False
            slot.ready.set()
        self._hand_over()

    def _hand_over(self) -> None:
        """Wake the first queued caller to lead the next batch, or stop leading."""
        with self._lock:
            if self._queue:
                successor = self._queue[0]
                successor.lead = True
                successor.ready.set()
            else:
                self._leading = False

    def _abandon(self, slot: _Slot[T, R]) -> None:
        """A waiting caller was interrupted (its greenlet killed): if it had just been
        made leader, pass the role on so that the queue never stalls."""
        with self._lock:
            if not slot.lead:
                return  # its item is written or will be, by another leader
            slot.lead = False
            if slot in self._queue:
                self._queue.remove(slot)
        self._hand_over()

    @staticmethod
    def _outcome(slot: _Slot[T, R]) -> R:
        if slot.error is not None:
            raise slot.error
        assert slot.result is not None
        return slot.result
