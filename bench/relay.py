"""How fast pnav relays a person's message to the operator, against the framework's own echo
(issue 16): one table, measured in one run.

Every server (bench/relay_servers.py: a flask-sock echo under gunicorn with one gevent
worker, a raw `websockets` echo, and pnav on one gevent worker with durable SQLite, on the
in-memory store, on 2 and 4 gevent workers with PostgreSQL + Redis, and `pnav serve`) is
started afresh on loopback, then loaded by client processes (bench/relay_load.py) in steps:

1. the operators log in and connect;
2. conversations are opened (ticket, ``hello``, accepted by an operator) up to each level
   (50, 500, 1,000): the time to open them and, for the last step, the server's memory
   growth per conversation, read 3 s after the last one opened: idle sockets, whose
   writers the send watch has retired by then (it retires a writer after a whole idle
   round of 1 s; chat/connection.py). Every client offers permessage-deflate as browsers
   do;
3. at each level, every conversation sends its next ~300-byte ``msg`` as soon as the
   operator received the last one, for a few seconds: messages per second, latency from
   send to the operator's receipt (p50, p99), the server's CPU time per message (all its
   processes; PostgreSQL and Redis not counted). At the top level an extra operator logs
   in every second (an Argon2id check on the server) and maintenance runs every second.
   This saturates the server, so its latencies are mostly the queue in front of it
   (about conversations / throughput);
4. at the top level, paced: every conversation sends one message a second (their
   starts spread over the second), for a few seconds, with the logins and maintenance
   as above: the latency of 1,000 connected conversations when the server is not
   saturated (p50, p99).

The runs are interleaved (run 1 of every server, then run 2, ...) and the figures are the
medians over the runs. Everything is bounded: each wait times out after a minute.

    .venv/bin/python bench/relay.py                 # 3 runs, 50/500/1000, ~3 s windows
    .venv/bin/python bench/relay.py --quick         # 1 run, 50/200, 1 s windows
    .venv/bin/python bench/relay.py --only pnav_sqlite,flask_echo --no-write
    .venv/bin/python bench/relay.py --supervisor    # op0 a supervisor: the floor is built
"""

from __future__ import annotations

import argparse
import multiprocessing
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchdoc import write_section
from relay_load import client_main
from relay_servers import VARIANTS, Server, Variant

OPERATORS = 10
CLIENTS = 2  # client processes
IDLE_AFTER = 3.0  # seconds after opening before the memory is read (writers retired)
PACE = 1.0  # seconds between two messages of a conversation, in the paced phase


def _ask(pipes: list[Any], *command: Any, timeout: float = 600) -> list[Any]:
    """The same command to every client process; their answers."""
    return _ask_each(pipes, [command] * len(pipes), timeout)


def _ask_each(pipes: list[Any], commands: list[tuple[Any, ...]], timeout: float) -> list[Any]:
    for pipe, command in zip(pipes, commands, strict=True):
        pipe.send(command)
    results = []
    for pipe in pipes:
        if not pipe.poll(timeout):
            raise RuntimeError(f"no answer to {commands[0][0]} in {timeout}s")
        status, result = pipe.recv()
        if status != "ok":
            raise RuntimeError(f"{commands[0][0]} failed: {result}")
        results.append(result)
    return results


def _percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] if values else float("nan")


def measure(
    variant: Variant, levels: list[int], warmup: float, seconds: float, supervisor: bool = False
) -> dict[str, Any]:
    """One run of one server: figures per level, plus memory and time to open."""
    names = [f"op{i}" for i in range(OPERATORS)]
    password = secrets.token_urlsafe(12)
    ctx = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="pnav-relay-") as tmp:
        server = Server(variant, Path(tmp), [*names, "bench-login"], password, supervisor)
        pipes, procs = [], []
        try:
            server.start()
            for c in range(CLIENTS):
                ours, theirs = ctx.Pipe()
                proc = ctx.Process(
                    target=client_main, args=(theirs, server.url, variant.kind, f"c{c}", password)
                )
                proc.start()
                pipes.append(ours)
                procs.append(proc)
            if variant.kind == "pnav":
                _ask_each(pipes, [("operators", names[c::CLIENTS]) for c in range(CLIENTS)], 120)
            out: dict[str, Any] = {"levels": {}}
            opened, open_seconds = 0, 0.0
            for level in levels:
                time.sleep(0.5)
                rss_before = server.rss_bytes()
                started = time.perf_counter()
                _ask(pipes, "open", (level - opened) // CLIENTS)
                open_seconds += time.perf_counter() - started
                time.sleep(IDLE_AFTER)
                out["memory_kib"] = round(
                    (server.rss_bytes() - rss_before) / (level - opened) / 1024, 1
                )
                opened = level
                logins = 1.0 if level == levels[-1] and variant.kind == "pnav" else 0.0
                cpu_before = server.cpu_seconds()
                results = _ask(pipes, "traffic", warmup, seconds, logins)
                cpu = server.cpu_seconds() - cpu_before
                latencies = [x for r in results for x in r["latencies"]]
                delivered = sum(r["delivered"] for r in results)
                # CPU over warm-up, window and drain, per message relayed in that time.
                relayed = sum(r["relayed"] for r in results)
                out["levels"][level] = {
                    "msgs_per_s": round(delivered / seconds),
                    "p50_ms": round(_percentile(latencies, 0.5) * 1000, 2),
                    "p99_ms": round(_percentile(latencies, 0.99) * 1000, 2),
                    "cpu_us_per_msg": round(cpu / max(relayed, 1) * 1e6),
                    "logins": sum(r["logins"] for r in results),
                }
            paced = _ask(pipes, "paced", seconds, PACE, 1.0 if variant.kind == "pnav" else 0.0)
            latencies = [x for r in paced for x in r["latencies"]]
            out["paced_p50_ms"] = round(_percentile(latencies, 0.5) * 1000, 2)
            out["paced_p99_ms"] = round(_percentile(latencies, 0.99) * 1000, 2)
            out["open_s"] = round(open_seconds, 2)
            out["opened"] = opened
            _ask(pipes, "stop", timeout=60)
            return out
        finally:
            for proc in procs:
                proc.join(10)
                if proc.is_alive():
                    proc.kill()
            server.stop()


FIGURES = ("msgs_per_s", "p50_ms", "p99_ms", "cpu_us_per_msg")


def _median(runs: list[dict[str, Any]], level: int, key: str) -> float:
    return statistics.median(r["levels"][level][key] for r in runs)


def summarise(variant: Variant, runs: list[dict[str, Any]], levels: list[int]) -> dict[str, Any]:
    row: dict[str, Any] = {"key": variant.key, "title": variant.title}
    for level in levels:
        for key in FIGURES:
            row[f"{key}@{level}"] = _median(runs, level, key)
    for key in ("paced_p50_ms", "paced_p99_ms"):
        row[key] = statistics.median(r[key] for r in runs)
    row["memory_kib"] = statistics.median(r["memory_kib"] for r in runs)
    row["open_s"] = statistics.median(r["open_s"] for r in runs)
    return row


def _line(row: dict[str, Any]) -> str:
    return (
        row["key"]
        + ": "
        + " ".join(f"{k}={v:g}" for k, v in row.items() if k not in ("key", "title"))
    )


def _table(rows: list[dict[str, Any]], levels: list[int]) -> str:
    ref = next((r for r in rows if r["key"] == "flask_echo"), None)
    low, top = levels[0], levels[-1]
    head = (
        "| server | "
        + " | ".join(f"msgs/s at {n:,}" for n in levels)
        + f" | x flask echo at {low} | CPU µs/msg at {low} | p50 / p99 ms at {low}"
        + f" | p99 ms at {top:,} | p50 / p99 ms at {top:,}, paced"
        + f" | KiB per idle conversation | s to open {top:,} |"
    )
    lines = [head, "|" + "---|" * (len(levels) + 8)]
    for r in rows:
        ratio = r[f"msgs_per_s@{low}"] / ref[f"msgs_per_s@{low}"] if ref else float("nan")
        lines.append(
            f"| {r['title']} | "
            + " | ".join(f"{r[f'msgs_per_s@{n}']:,.0f}" for n in levels)
            + f" | {ratio:.2f}x | {r[f'cpu_us_per_msg@{low}']:,.0f}"
            + f" | {r[f'p50_ms@{low}']:g} / {r[f'p99_ms@{low}']:g} | {r[f'p99_ms@{top}']:g}"
            + f" | {r['paced_p50_ms']:g} / {r['paced_p99_ms']:g}"
            + f" | {r['memory_kib']:g} | {r['open_s']:g} |"
        )
    return "\n".join(lines)


def _write(
    rows: list[dict[str, Any]],
    levels: list[int],
    runs: int,
    seconds: float,
    command: str,
    failures: list[str],
) -> None:
    section = (
        "## Relay: person to operator, against the framework's echo\n\n"
        f"`{command}` (bench/relay.py: {runs} interleaved run(s) per server, medians; "
        f"{OPERATORS} operators, {CLIENTS} client processes using `websockets` with "
        "permessage-deflate offered; each conversation sends its next ~300-byte message when "
        f"the last one reached the operator, {seconds:g} s windows; at {levels[-1]:,} "
        "conversations an operator logs in every second and maintenance runs every "
        f"second; paced: at {levels[-1]:,} conversations each sends one message every "
        f"{PACE:g} s, for {seconds:g} s, with the same logins and maintenance). "
        f"Measured {time.strftime('%Y-%m-%d')} on 2 shared cores, clients on the same "
        "machine.\n\n"
        + _table(rows, levels)
        + "\n\nKiB per idle conversation: the server's memory growth (all its processes) "
        f"while the last {levels[-1] - levels[-2] if len(levels) > 1 else levels[0]:,} "
        f"conversations opened, divided by their number, read {IDLE_AFTER:g} s after the "
        "last opened (their writers retired). CPU: all server processes (not "
        "PostgreSQL or Redis), over the window, per message relayed.\n\n"
        "```\n" + "\n".join([*(_line(r) for r in rows), *failures]) + "\n```\n"
    )
    write_section(section)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 run, 50/200, 1 s windows")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--levels", default=None, help="comma-separated, e.g. 50,500,1000")
    parser.add_argument("--seconds", type=float, default=None, help="measured window")
    parser.add_argument("--only", default="", help="comma-separated server keys")
    parser.add_argument("--no-write", action="store_true", help="do not update docs")
    parser.add_argument(
        "--supervisor",
        action="store_true",
        help="the first operator is a supervisor, so the server builds the floor",
    )
    args = parser.parse_args()
    runs = args.runs or (1 if args.quick else 3)
    levels = [
        int(n) for n in (args.levels or ("50,200" if args.quick else "50,500,1000")).split(",")
    ]
    if any(n % CLIENTS or n <= 0 for n in levels) or levels != sorted(set(levels)):
        parser.error(f"levels must increase and be multiples of {CLIENTS}")
    seconds = args.seconds or (1.0 if args.quick else 3.0)
    warmup = 0.5
    chosen = [v for v in VARIANTS if not args.only or v.key in args.only.split(",")]
    results: dict[str, list[dict[str, Any]]] = {v.key: [] for v in chosen}
    failures: list[str] = []
    for run in range(runs):
        for variant in chosen:
            try:
                figures = measure(variant, levels, warmup, seconds, args.supervisor)
            except RuntimeError as exc:  # one server's failed run is reported, not fatal
                failures.append(f"run {run + 1} {variant.key}: {exc}")
                print(failures[-1], flush=True)
                continue
            results[variant.key].append(figures)
            print(f"run {run + 1} {variant.key}: {figures}", flush=True)
    rows = [summarise(v, results[v.key], levels) for v in chosen if results[v.key]]
    print()
    print(_table(rows, levels))
    if not args.no_write:
        command = "python bench/relay.py " + " ".join(sys.argv[1:])
        _write(rows, levels, runs, seconds, command.strip(), failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
