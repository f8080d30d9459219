"""Soak check of the delivery protocol (issue 4).

N conversations x M messages per side, over a real `pnav serve` process, with random
client disconnects and server restarts (SIGKILL). Prints sent, delivered, lost,
duplicated, out_of_order and the delivery latency (median, p99), first for a
baseline run without faults, then for the run with faults, and writes both to
docs/benchmarks.md. Exits 1 unless, in both runs, every one of the 2 x n x m messages
was written and each arrived once and in order. ``--seed`` seeds one generator per
thread (writers' pauses, the chaos' choices), so a seed repeats a run's choices.

    .venv/bin/python bench/soak.py                 # 50 x 200, the acceptance run
    .venv/bin/python bench/soak.py -n 5 -m 20      # a quick look
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchdoc import write_section

from pnav.sdk.client import ClientError, OperatorClient, PersonClient, Timing
from pnav.sdk.testing import ServerProcess
from pnav.server.operators.desk import enrol_operator
from pnav.server.stores.sqlite.store import SQLiteStore

PARTNER = "http://partner.test"
TIMING = Timing(ping_every=1, dead_after=4, min_delay=0.1, max_delay=2)
OPERATORS = 5


@dataclass
class Tally:
    sent: int = 0
    delivered: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    latencies: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    seen: set[str] = field(default_factory=set)
    last_index: dict[tuple[str, str], int] = field(default_factory=dict)

    def got(self, conv: str, sender: str, text: str, now: float) -> None:
        # text: "<sender>|<index>|<sent at>|<random>"
        _, index, sent_at, _ = text.split("|")
        with self.lock:
            if text in self.seen:
                self.duplicated += 1
                return
            self.seen.add(text)
            self.delivered += 1
            self.latencies.append(now - float(sent_at))
            key = (conv, sender)
            if int(index) < self.last_index.get(key, -1):
                self.out_of_order += 1
            self.last_index[key] = max(int(index), self.last_index.get(key, -1))


def _text(sender: str, index: int) -> str:
    return f"{sender}|{index}|{time.time():.6f}|{secrets.token_hex(4)}"


def _rng(seed: int, *who: object) -> random.Random:
    """One generator per thread, each seeded from ``--seed`` and the thread's role and
    index: threads never share one, so a seed gives every thread the same choices again
    (which thread runs when is the machine's business)."""
    return random.Random(":".join(map(str, (seed, *who))))


def run(n: int, m: int, faults: bool, seed: int) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory(prefix="pnav-soak-") as tmp:
        data = Path(tmp) / "data"
        store = SQLiteStore(data / "pnav.sqlite3")
        passwords = {}
        for i in range(OPERATORS):
            name, pw = f"op{i}", secrets.token_urlsafe(12)
            unlock = None if i == 0 else ("op0", passwords["op0"])
            enrol_operator(store, name, pw, kdf_ops=1, kdf_mem=8 << 20, unlock_with=unlock)
            passwords[name] = pw
        store.close()
        env = {
            "PNAV_PARTNERS": f"demo={PARTNER}",
            "PNAV_SECURE_COOKIES": "0",
            # Every client of the soak comes from 127.0.0.1: one socket each, and room for
            # the old ones a reconnection leaves behind until the server notices them.
            "PNAV_MAX_SOCKETS_PER_ADDRESS": str(2 * (n + OPERATORS)),
            # ... and the abuse limits per address and per conversation would count the
            # whole soak as one attacker (tests/abuse proves them).
            "PNAV_TICKETS_PER_ADDRESS_PER_MINUTE": str(10 * n),
            "PNAV_CONVERSATIONS_PER_ADDRESS_PER_HOUR": str(10 * n),
            "PNAV_MESSAGES_PER_CONVERSATION_PER_MINUTE": str(10 * m),
            "PNAV_LOGINS_PER_ADDRESS_PER_HOUR": str(100 * OPERATORS),
        }
        server = ServerProcess(data, env=env)
        server.start()
        tally = Tally()
        ops = [
            OperatorClient.login(server.url, name, pw, timing=TIMING)
            for name, pw in passwords.items()
        ]
        people = []
        owner: dict[str, OperatorClient] = {}
        for i in range(n):
            person = PersonClient.start(server.url, "demo", PARTNER, timing=TIMING)
            op = ops[i % OPERATORS]
            op.accept(person.conv)
            person.wait("status", state="active")
            people.append(person)
            owner[person.conv] = op

        # Two separate stops: the chaos ends when the writers are done, the readers only
        # once everything is drained (one shared event, set then cleared, could end a
        # reader that looked at it in between).
        chaos_stop = threading.Event()
        readers_stop = threading.Event()
        errors: list[str] = []

        def person_side(index: int, person: PersonClient) -> None:
            rnd = _rng(seed, "person", index)
            try:
                for i in range(m):
                    person.send_nowait(_text("p", i))
                    tally_sent()
                    time.sleep(rnd.uniform(0.1, 0.5))
            except ClientError as exc:
                errors.append(f"person send: {exc}")

        def operator_side(index: int, person: PersonClient) -> None:
            rnd = _rng(seed, "operator", index)
            op, conv = owner[person.conv], person.conv
            try:
                for i in range(m):
                    op.send_nowait(conv, _text("o", i))
                    tally_sent()
                    time.sleep(rnd.uniform(0.1, 0.5))
            except ClientError as exc:
                errors.append(f"operator send: {exc}")

        def tally_sent() -> None:
            with tally.lock:
                tally.sent += 1

        def person_reader(person: PersonClient) -> None:
            while not readers_stop.is_set():
                try:
                    msg = person.receive(timeout=0.5)
                except ClientError:
                    continue
                tally.got(person.conv or "", "o", msg.text, time.time())

        def operator_reader(op: OperatorClient) -> None:
            while not readers_stop.is_set():
                try:
                    msg = op.receive(timeout=0.5)
                except ClientError:
                    continue
                tally.got(msg.conv or "", "p", msg.text, time.time())

        restarts = 0

        def chaos() -> None:
            nonlocal restarts
            rnd = _rng(seed, "chaos")
            next_restart = time.time() + 2
            while not chaos_stop.wait(rnd.uniform(0.2, 0.6)):
                if time.time() >= next_restart and restarts < 3:
                    restarts += 1
                    next_restart = time.time() + 3
                    server.kill()
                    time.sleep(0.3)
                    server.start()
                elif rnd.random() < 0.15:
                    rnd.choice(ops).drop()
                else:
                    rnd.choice(people).drop()

        readers = [threading.Thread(target=person_reader, args=(p,), daemon=True) for p in people]
        readers += [threading.Thread(target=operator_reader, args=(o,), daemon=True) for o in ops]
        writers = [threading.Thread(target=person_side, args=(i, p)) for i, p in enumerate(people)]
        writers += [
            threading.Thread(target=operator_side, args=(i, p)) for i, p in enumerate(people)
        ]
        for t in readers + writers:
            t.start()
        chaos_thread = threading.Thread(target=chaos, daemon=True)
        if faults:
            chaos_thread.start()
        started = time.time()
        for t in writers:
            t.join()
        expected = 2 * n * m
        # Let the faults run a little longer, then let everything drain.
        deadline = time.time() + 300
        while time.time() < deadline and tally.delivered < tally.sent:  # writers are done
            time.sleep(0.2)
            if faults and time.time() - started > 10 and chaos_thread.is_alive():
                chaos_stop.set()  # stop the chaos once the senders are done
                chaos_thread.join()
        chaos_stop.set()
        time.sleep(2)  # anything late would be a duplicate
        readers_stop.set()
        elapsed = time.time() - started
        reconnects = sum(p.reconnects for p in people) + sum(o.reconnects for o in ops)
        for client in [*people, *ops]:
            client.close()
        server.stop()
        lat = sorted(tally.latencies) or [float("nan")]
        if errors:
            print("errors:", *errors[:5], sep="\n  ", file=sys.stderr)
        return {
            "expected": expected,
            "sent": tally.sent,
            "delivered": tally.delivered,
            "lost": tally.sent - tally.delivered,
            "duplicated": tally.duplicated,
            "out_of_order": tally.out_of_order,
            "latency_median_ms": round(statistics.median(lat) * 1000, 1),
            "latency_p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000, 1),
            "reconnects": reconnects,
            "server_restarts": restarts,
            "seconds": round(elapsed, 1),
        }


def _line(name: str, figures: dict[str, float | int]) -> str:
    return f"{name}: " + " ".join(f"{k}={v}" for k, v in figures.items())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--conversations", type=int, default=50)
    parser.add_argument("-m", "--messages", type=int, default=200, help="per side")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="do not update docs")
    args = parser.parse_args()
    n, m = args.conversations, args.messages
    baseline = run(n, m, faults=False, seed=args.seed)
    print(_line("baseline (no faults)", baseline), flush=True)
    soak = run(n, m, faults=True, seed=args.seed)
    print(_line("soak (disconnects + restarts)", soak), flush=True)
    if not args.no_write:
        _write(n, m, args.seed, baseline, soak)
    failures = _failures(baseline) + _failures(soak)
    return 1 if failures else 0


def _failures(figures: dict[str, float | int]) -> list[str]:
    """What went wrong in one run: every message written (2 x n x m: a writer that died
    early is a failure, not fewer messages to lose), each delivered once and in order."""
    problems = []
    if figures["sent"] != figures["expected"]:
        problems.append(f"sent {figures['sent']} of {figures['expected']}")
    for name in ("lost", "duplicated", "out_of_order"):
        if figures[name]:
            problems.append(f"{name}={figures[name]}")
    if problems:
        print("FAILED:", ", ".join(problems), file=sys.stderr)
    return problems


def _write(n: int, m: int, seed: int, baseline: dict, soak: dict) -> None:
    section = (
        "## Soak: delivery under disconnects and restarts\n\n"
        f"`.venv/bin/python bench/soak.py -n {n} -m {m} --seed {seed}` "
        f"({n} conversations x {m} messages per side, one `pnav serve` process on SQLite, "
        f"{OPERATORS} operators; the soak run cuts random client connections every "
        "0.2-0.6 s and kills the server with SIGKILL up to three times). "
        f"Measured {time.strftime('%Y-%m-%d')}, load average {os.getloadavg()[0]:.1f} "
        "at the end.\n\n"
        "```\n"
        f"{_line('baseline (no faults)', baseline)}\n"
        f"{_line('soak (disconnects + restarts)', soak)}\n"
        "```\n\n"
        "Latency is from encryption on the sender to decryption on the receiver, "
        "both on this machine; the soak's includes waiting out disconnections.\n"
    )
    write_section(section)


if __name__ == "__main__":
    sys.exit(main())
