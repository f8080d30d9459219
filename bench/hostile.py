"""Hostile load: what one attacker does to everyone else (issue 15).

One ``pnav serve`` (the gevent server, SQLite, the shipped abuse limits) with six
honest conversations writing back and forth; in the same run, the honest floor alone
(the reference), then with stalled readers (clients that ask for whole-history replays
and never read), a flood of sockets that never say ``hello``, and the four floods of
tests/abuse/test_floods.py with larger numbers, from their own process and address
(127.0.0.2): fresh tickets opening conversations, messages into one conversation,
wrong passwords eight at once, wrong resume codes all at once. For each: honest
latency p50 and p99 (send to decrypted receipt), a newcomer's time to ``welcome``
(during the attack), the server's peak resident memory (VmHWM), how many attackers
were cut off within their deadline, and how many of the attacker's tries the server
let through (``admitted``) and refused with a limit (``refused``). Medians of
``--runs`` runs (3 by default), written to docs/benchmarks.md.

    .venv/bin/python bench/hostile.py
    .venv/bin/python bench/hostile.py --stalled 20 --idle 2000 --flood 200 --runs 3
    .venv/bin/python bench/hostile.py --quick --no-write
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

from benchdoc import write_section

from pnav.sdk import crypto
from pnav.sdk.client import PersonClient
from pnav.sdk.client.person import solve_proof_of_work
from pnav.sdk.testing import HonestFloor, RawSocket, ServerProcess
from pnav.server.operators.desk import enrol_operator
from pnav.server.stores.sqlite.store import SQLiteStore

PARTNER = "http://partner.test"
SEND_DEADLINE = 2
HELLO_TIMEOUT = 3
ATTACKER = "127.0.0.2"  # the attacker's own network; the honest people are 127.0.0.1


def _peak_rss_mib(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _post(url: str, path: str, body: dict[str, Any], origin: str) -> tuple[int, Any]:
    port = int(url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(ATTACKER, 0))
    try:
        ctype = "application/json" if path.startswith("/console") else "text/plain"
        conn.request("POST", path, json.dumps(body), {"Origin": origin, "Content-Type": ctype})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def _ticket(url: str) -> tuple[int, Any]:
    return _post(url, "/api/ticket", {"partner": "demo"}, PARTNER)


def _opened(url: str, info: dict[str, Any]) -> tuple[RawSocket, dict[str, Any] | None]:
    """A conversation opened by a script written from docs/protocol.md."""
    key = crypto.new_conversation_key()
    sealed = crypto.seal_conversation_key(key, crypto.b64decode(info["desk_key"]["public"]))
    start = {
        "who": "victim",
        "what": "domestic",
        "danger": True,
        "lang": "fr",
        "sealed_key": crypto.b64encode(sealed),
        "desk_key": info["desk_key"]["id"],
    }
    sock = RawSocket(url.replace("http", "ws", 1) + "/ws/person", 1 << 20, source=ATTACKER)
    pow_ = solve_proof_of_work(info["pow"])
    return sock, sock.ask({"t": "hello", "ticket": info["ticket"], "start": start, "pow": pow_})


# The floods, run in the attacker's own process: (admitted, refused with a limit).
def flood_tickets(url: str, size: int) -> tuple[int, int]:
    """``size`` tries at a new conversation, each with a fresh ticket."""
    admitted = refused = 0
    for _ in range(size):
        status, info = _ticket(url)
        if status != 200:
            refused += 1
            continue
        sock, answer = _opened(url, info)
        sock.close()
        if answer is not None and answer["t"] == "welcome":
            admitted += 1
        elif answer is not None and answer.get("code") == "rate_limited":
            refused += 1
    return admitted, refused


def flood_messages(url: str, size: int) -> tuple[int, int]:
    """``size`` messages into one conversation, twenty at once."""
    _, info = _ticket(url)
    sock, welcome = _opened(url, info)
    assert welcome is not None and welcome["t"] == "welcome", welcome
    body = crypto.b64encode(b"\x01" + os.urandom(24 + 16 + 40))
    admitted = refused = 0
    for start in range(0, size, 20):
        batch = range(start, min(size, start + 20))
        for i in batch:
            sock.send({"t": "msg", "id": f"f{i}", "body": body})
        for _ in batch:
            frame = sock.receive()
            while frame is not None and frame["t"] == "status":
                frame = sock.receive()
            if frame is None:
                break
            admitted += frame["t"] == "ack"
            refused += frame.get("code") == "rate_limited"
    sock.close()
    return admitted, refused


def burst_logins(url: str, size: int) -> tuple[int, int]:
    """``size`` wrong passwords for the operator, eight at once."""
    origin = url

    def one(_: int) -> int:
        auth = crypto.b64encode(os.urandom(32))
        return _post(url, "/console/api/login", {"username": "alice", "auth": auth}, origin)[0]

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(one, range(size)))
    return statuses.count(401), statuses.count(429)


def burst_resume_codes(url: str, size: int) -> tuple[int, int]:
    """``size`` wrong resume codes, every socket opened first, then all at once."""
    ws_url = url.replace("http", "ws", 1) + "/ws/person"
    socks = [RawSocket(ws_url, 1 << 20, source=ATTACKER) for _ in range(size)]
    for sock in socks:
        sock.send({"t": "hello", "code": {"lookup": crypto.b64encode(os.urandom(32))}})
    codes = [(answer or {}).get("code") for answer in (s.receive() for s in socks)]
    for sock in socks:
        sock.close()
    return codes.count("bad_code"), codes.count("rate_limited")


FLOODS: dict[str, Callable[[str, int], tuple[int, int]]] = {
    "ticket flood": flood_tickets,
    "message flood": flood_messages,
    "login burst": burst_logins,
    "resume-code burst": burst_resume_codes,
}


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


def run_once(
    scenario: str, attackers: int, rounds: int, attacker: ProcessPoolExecutor
) -> dict[str, float]:
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
        flood: Future[tuple[int, int]] | None = None
        began = time.monotonic()
        if scenario == "stalled readers":
            sockets = [_stall(proc.url) for _ in range(attackers)]
        elif scenario == "silent sockets":
            ws_url = proc.url.replace("http", "ws", 1) + "/ws/person"
            sockets = [RawSocket(ws_url) for _ in range(attackers)]
        elif scenario in FLOODS:
            flood = attacker.submit(FLOODS[scenario], proc.url, attackers)
        floor.round(0)
        welcome = floor.welcome_time()
        n = 1
        while n < rounds or (flood is not None and not flood.done()):
            floor.round(n)
            n += 1
        admitted, refused = flood.result() if flood is not None else (0, 0)
        deadline = SEND_DEADLINE if scenario == "stalled readers" else HELLO_TIMEOUT
        left = max(0.5, deadline + 3 - (time.monotonic() - began))
        cut = sum(s.closed_by_server(left if i == 0 else 0.5) for i, s in enumerate(sockets))
        for s in sockets:
            s.close()
        result = {
            "p50_ms": floor.percentile(0.5) * 1000,
            "p99_ms": floor.percentile(0.99) * 1000,
            "welcome_ms": welcome * 1000,
            "peak_rss_mib": _peak_rss_mib(proc.pid),
            "cut_off": float(cut),
            "admitted": float(admitted),
            "refused": float(refused),
        }
        floor.close()
        proc.stop()
        return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stalled", type=int, default=10, help="stalled readers")
    parser.add_argument("--idle", type=int, default=1000, help="sockets that never say hello")
    parser.add_argument("--flood", type=int, default=100, help="tries of each flood")
    parser.add_argument("--rounds", type=int, default=10, help="honest rounds per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one short run of each")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.rounds, args.stalled, args.idle, args.flood = 1, 3, 3, 200, 40
    scenarios = [
        ("no attack (reference)", 0),
        ("stalled readers", args.stalled),
        ("silent sockets", args.idle),
        *((name, args.flood) for name in FLOODS),
    ]
    runs: dict[str, list[dict[str, float]]] = {name: [] for name, _ in scenarios}
    # The attacker's own process, as on another machine (its proofs of work and its
    # threads take nothing from the honest clients' interpreter).
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as attacker:
        attacker.submit(int).result()
        for _ in range(args.runs):  # interleaved, so a slow moment of the machine hits all
            for name, attackers in scenarios:
                runs[name].append(run_once(name, attackers, args.rounds, attacker))
    lines = []
    for name, attackers in scenarios:
        med = {k: statistics.median(r[k] for r in runs[name]) for k in runs[name][0]}
        lines.append(
            f"{name}: attackers={attackers} p50_ms={med['p50_ms']:.1f} "
            f"p99_ms={med['p99_ms']:.1f} welcome_ms={med['welcome_ms']:.0f} "
            f"peak_rss_mib={med['peak_rss_mib']:.0f} cut_off={med['cut_off']:.0f} "
            f"admitted={med['admitted']:.0f} refused={med['refused']:.0f}"
        )
    print("\n".join(lines))
    if not args.no_write:
        cmd = " ".join(["bench/hostile.py", *sys.argv[1:]])
        write_section(
            "## Hostile load: one attacker against everyone else\n\n"
            f"`.venv/bin/python {cmd}` (one `pnav serve` process, gevent, SQLite, the shipped "
            f"abuse limits; six honest conversations, at least {args.rounds} rounds each way "
            "per run, more while a flood lasts; send_deadline "
            f"{SEND_DEADLINE} s, hello_timeout {HELLO_TIMEOUT} s; medians of {args.runs} "
            f"interleaved runs). Measured {date.today().isoformat()}.\n\n"
            "```\n" + "\n".join(lines) + "\n```\n\n"
            "Latency is from encryption on the sender to decryption on the receiver. "
            "`cut_off` counts attackers whose connection the server closed within its "
            "deadline (stalled readers: send_deadline; silent sockets: hello_timeout). "
            "The floods come from their own process and address (127.0.0.2), "
            f"{args.flood} tries each: `admitted` is what the server let through "
            "(conversations opened, messages stored, passwords checked, codes looked up) "
            "and `refused` what a limit refused with its reason (defaults: 20 "
            "conversations and 30 tickets per address, 30 messages per conversation a "
            "minute, 10 wrong passwords per account, 10 resume codes per address). "
            "`peak_rss_mib` is the server's peak resident memory (VmHWM): it includes the "
            "64 MiB password hash the server computes as it starts, and a login burst adds "
            "`login_concurrency` (2) times 64 MiB. "
            "The acceptance bounds are p99 under 1 s, welcome under 1 s, memory under "
            '250 MiB (docs/deploy.md, "Limits").\n'
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
