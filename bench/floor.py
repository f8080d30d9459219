"""Cost of the supervisors' floor frame (issue 6, supervision).

The server rebuilds the ``floor`` frame on every queue change and maintenance tick: one
``active_conversations`` and one ``waiting_conversations`` query, then per held
conversation one read of its last message and one of its observers. This measures
``floor_frame`` on a SQLite store with 50 operators, 20 waiting conversations and a
growing number of held conversations (20 messages each), against a baseline with
none held, in the same run; it prints the median and p90 of 30 builds per size and
writes them to docs/benchmarks.md.

    .venv/bin/python bench/floor.py
    .venv/bin/python bench/floor.py --no-write     # print only
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchdoc import write_section

from pnav.sdk.store import NewConversation, NewOperator, Store
from pnav.server.chat.floor import floor_frame
from pnav.server.stores.sqlite.store import SQLiteStore

OPERATORS = 50
WAITING = 20
MESSAGES = 20
RUNS = 30
SIZES = (0, 50, 150, 450)  # held conversations; 0 is the baseline


def _conversation(store: Store, danger: bool) -> str:
    new = NewConversation("bench", "victim", "domestic", danger, "fr", b"\0" * 80, "desk-1")
    return store.create_conversation(new).id


def _fill(store: Store, held: int) -> list[int]:
    ops = [
        store.add_operator(
            NewOperator(f"op{i}", "operator", b"\0" * 16, 2, 65536, b"\0" * 32, b"\0" * 32)
        ).id
        for i in range(OPERATORS)
    ]
    for i in range(WAITING):
        _conversation(store, danger=i % 5 == 0)
    for i in range(held):
        conv = _conversation(store, danger=i % 7 == 0)
        store.assign(conv, ops[i % OPERATORS])
        for m in range(MESSAGES):
            sender = "person" if m % 2 == 0 else "operator"
            store.append_message(conv, sender, f"c{m}", b"\1" * 200)
        if i % 10 == 0:
            store.join_conversation(conv, ops[(i + 1) % OPERATORS])
    return ops


def measure(held: int) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory(prefix="pnav-floor-") as tmp:
        store = SQLiteStore(Path(tmp) / "pnav.db")
        try:
            ops = _fill(store, held)
            connected = set(ops[::2])
            times, cpu = [], []
            for _ in range(RUNS):
                start, start_cpu = time.perf_counter(), time.process_time()
                frame = floor_frame(store, connected.__contains__, 3, {})
                times.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)
            shown = sum(op["active"] for op in frame["operators"])
            assert shown == held, f"the floor shows {shown} held conversations, not {held}"
        finally:
            store.close()
    times.sort()
    return {
        "held": held,
        "median_ms": round(statistics.median(times), 2),
        "p90_ms": round(times[int(len(times) * 0.9) - 1], 2),
        # CPU time of this process: what the build costs, whatever else runs on the machine.
        "cpu_median_ms": round(statistics.median(cpu), 2),
    }


def _line(figures: dict[str, float | int]) -> str:
    return " ".join(f"{k}={v}" for k, v in figures.items())


def _write(rows: list[dict[str, float | int]]) -> None:
    section = (
        "## Floor: the supervisors' view\n\n"
        f"`.venv/bin/python bench/floor.py` (`floor_frame` on SQLite, {OPERATORS} operators, "
        f"{WAITING} waiting conversations, held conversations of {MESSAGES} messages; "
        f"{RUNS} builds per size; held=0 is the baseline of the same run; cpu_median_ms is "
        "the process's CPU time, which other work on the machine does not inflate). "
        f"Measured {time.strftime('%Y-%m-%d')}, load average {os.getloadavg()[0]:.1f}.\n\n"
        "```\n" + "\n".join(_line(r) for r in rows) + "\n```\n\n"
        "The frame is rebuilt on every queue change and maintenance tick; its cost grows "
        "with the number of conversations held (two small reads each).\n"
    )
    write_section(section)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-write", action="store_true", help="do not update docs")
    args = parser.parse_args()
    rows = []
    for held in SIZES:
        rows.append(measure(held))
        print(_line(rows[-1]), flush=True)
    if not args.no_write:
        _write(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
