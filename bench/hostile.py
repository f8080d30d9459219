"""Hostile load: what one attacker does to everyone else (issue 15).

One ``pnav serve`` (the gevent server, SQLite) with six honest conversations writing
back and forth; in the same run, the honest floor alone (the reference), then with
stalled readers (clients that ask for whole-history replays and never read), then with
a flood of sockets that never say ``hello``. For each: honest latency p50 and p99
(send to decrypted receipt), a newcomer's time to ``welcome``, the server's peak
resident memory, and how many attackers were cut off within their deadline. Medians
of ``--runs`` runs (3 by default), written to docs/benchmarks.md.

    .venv/bin/python bench/hostile.py
    .venv/bin/python bench/hostile.py --stalled 20 --idle 2000 --runs 3
    .venv/bin/python bench/hostile.py --quick --no-write
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from benchdoc import write_section

from pnav.sdk import crypto
from pnav.sdk.client import PersonClient
from pnav.sdk.testing import HonestFloor, RawSocket, ServerProcess
from pnav.server.operators.desk import enrol_operator
from pnav.server.stores.sqlite.store import SQLiteStore

PARTNER = "http://partner.test"
SEND_DEADLINE = 2
HELLO_TIMEOUT = 3


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _stall(url: str) -> RawSocket:
    opener = PersonClient.start(url, "demo", PARTNER)
    token = opener.token
    opener.close()
    sock = RawSocket(url.replace("http", "ws", 1) + "/ws/person")
    sock.send({"t": "hello", "resume": {"token": token, "after": 0}})
    for i in range(40):
        body = crypto.b64encode(bytes([crypto.FORMAT_VERSION]) + os.urandom(45_000))
        sock.send({"t": "msg", "id": f"s{i}", "body": body})
    for _ in range(10):
        sock.send({"t": "sync", "after": 0})
    return sock


def run_once(scenario: str, attackers: int, rounds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        store = SQLiteStore(data / "pnav.sqlite3")
        password = secrets.token_urlsafe(12)
        enrol_operator(store, "alice", password, role="supervisor", kdf_ops=1, kdf_mem=8 << 20)
        store.close()
        env = {
            "PNAV_PARTNERS": f"demo={PARTNER}",
            "PNAV_SECURE_COOKIES": "0",
            "PNAV_SEND_DEADLINE": str(SEND_DEADLINE),
            "PNAV_HELLO_TIMEOUT": str(HELLO_TIMEOUT),
            "PNAV_MAX_SOCKETS_PER_ADDRESS": str(attackers + 100),
            "PNAV_MAX_SOCKETS": str(attackers + 200),
        }
        proc = ServerProcess(data, env=env, log_path=Path(tmp) / "server.log")
        proc.start()
        assert proc.pid is not None
        floor = HonestFloor(proc.url, "demo", PARTNER, "alice", password)
        sockets: list[RawSocket] = []
        began = time.monotonic()
        if scenario == "stalled readers":
            sockets = [_stall(proc.url) for _ in range(attackers)]
        elif scenario == "silent sockets":
            ws_url = proc.url.replace("http", "ws", 1) + "/ws/person"
            sockets = [RawSocket(ws_url) for _ in range(attackers)]
        peak = _rss_mib(proc.pid)
        for n in range(rounds):
            floor.round(n)
            peak = max(peak, _rss_mib(proc.pid))
        welcome = floor.welcome_time()
        deadline = SEND_DEADLINE if scenario == "stalled readers" else HELLO_TIMEOUT
        left = max(0.5, deadline + 3 - (time.monotonic() - began))
        cut = sum(s.closed_by_server(left if i == 0 else 0.5) for i, s in enumerate(sockets))
        for s in sockets:
            s.close()
        result = {
            "p50_ms": floor.percentile(0.5) * 1000,
            "p99_ms": floor.percentile(0.99) * 1000,
            "welcome_ms": welcome * 1000,
            "peak_rss_mib": peak,
            "cut_off": float(cut),
        }
        floor.close()
        proc.stop()
        return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stalled", type=int, default=10, help="stalled readers")
    parser.add_argument("--idle", type=int, default=1000, help="sockets that never say hello")
    parser.add_argument("--rounds", type=int, default=10, help="honest rounds per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one short run of each")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.rounds, args.stalled, args.idle = 1, 3, 3, 200
    scenarios = [
        ("no attack (reference)", 0),
        ("stalled readers", args.stalled),
        ("silent sockets", args.idle),
    ]
    runs: dict[str, list[dict[str, float]]] = {name: [] for name, _ in scenarios}
    for _ in range(args.runs):  # interleaved, so a slow moment of the machine hits all
        for name, attackers in scenarios:
            runs[name].append(run_once(name, attackers, args.rounds))
    lines = []
    for name, attackers in scenarios:
        med = {k: statistics.median(r[k] for r in runs[name]) for k in runs[name][0]}
        lines.append(
            f"{name}: attackers={attackers} p50_ms={med['p50_ms']:.1f} "
            f"p99_ms={med['p99_ms']:.1f} welcome_ms={med['welcome_ms']:.0f} "
            f"peak_rss_mib={med['peak_rss_mib']:.0f} cut_off={med['cut_off']:.0f}"
        )
    print("\n".join(lines))
    if not args.no_write:
        cmd = " ".join(["bench/hostile.py", *sys.argv[1:]])
        write_section(
            "## Hostile load: one attacker against everyone else\n\n"
            f"`.venv/bin/python {cmd}` (one `pnav serve` process, gevent, SQLite; six honest "
            f"conversations, {args.rounds} rounds each way per run; send_deadline "
            f"{SEND_DEADLINE} s, hello_timeout {HELLO_TIMEOUT} s; medians of {args.runs} "
            f"interleaved runs). Measured {date.today().isoformat()}.\n\n"
            "```\n" + "\n".join(lines) + "\n```\n\n"
            "Latency is from encryption on the sender to decryption on the receiver. "
            "`cut_off` counts attackers whose connection the server closed within its "
            "deadline (stalled readers: send_deadline; silent sockets: hello_timeout). "
            "The acceptance bounds are p99 under 1 s, welcome under 1 s, memory under "
            '250 MiB (docs/deploy.md, "Limits").\n'
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
