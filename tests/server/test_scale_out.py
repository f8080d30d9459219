"""Two server processes on PostgreSQL + Redis talk as one (issue 5).

The person reaches process A through a loopback proxy (standing in for a load
balancer), the operator is on process B. Messages go both ways; then A is killed
with SIGKILL, the proxy sends new connections to B, and the person comes back there
with nothing lost, nothing doubled, order kept.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import pytest

from pnav.sdk.client import OperatorClient, PersonClient, Timing
from pnav.sdk.testing import ServerProcess, TcpProxy
from pnav.server.operators.desk import enrol_operator
from pnav.server.stores.postgres.store import PostgresStore

PARTNER = "http://partner.test"
FAST = Timing(ping_every=0.5, dead_after=2, min_delay=0.05, max_delay=0.5)


@pytest.fixture
def two_processes(tmp_path: Path, postgres_dsn: str, scale_out_env: dict[str, str]):
    store = PostgresStore(postgres_dsn)
    password = secrets.token_urlsafe(12)
    enrol_operator(store, "alice", password, role="supervisor", kdf_ops=1, kdf_mem=8 << 20)
    store.close()
    env = scale_out_env
    procs = [ServerProcess(tmp_path / name, env=env) for name in ("a", "b")]
    for proc in procs:
        proc.start()
    yield procs, password
    for proc in procs:
        proc.stop()


def _exchange(person, op, n, tag):
    said = [f"{tag}-p{i}" for i in range(n)]
    answered = [f"{tag}-o{i}" for i in range(n)]
    for text in said:
        person.send_nowait(text)
    for text in answered:
        op.send_nowait(person.conv, text)
    got_op = [op.receive(timeout=20).text for _ in said]
    got_person = [person.receive(timeout=20).text for _ in answered]
    assert got_op == said
    assert got_person == answered


def test_two_processes_talk_as_one_and_survive_losing_one(two_processes):
    (a, b), password = two_processes
    proxy = TcpProxy(a.port)
    person = PersonClient.start(
        a.url, "demo", PARTNER, ws_url=f"ws://127.0.0.1:{proxy.port}/ws/person", timing=FAST
    )
    op = OperatorClient.login(b.url, "alice", password, timing=FAST)
    op.wait_queue(person.conv)
    op.accept(person.conv)
    person.wait("status", state="active", operator="present")
    _exchange(person, op, 20, "before")

    # Process A dies; the balancer sends the person to B.
    a.kill()
    proxy.retarget(b.port)
    proxy.cut()
    for i in range(10):
        person.send_nowait(f"during-p{i}")
        op.send_nowait(person.conv, f"during-o{i}")
    assert [op.receive(timeout=30).text for _ in range(10)] == [f"during-p{i}" for i in range(10)]
    assert [person.receive(timeout=30).text for _ in range(10)] == [
        f"during-o{i}" for i in range(10)
    ]
    _exchange(person, op, 20, "after")
    assert person.reconnects >= 1
    # Nothing doubled: every stored sequence number once, in order.
    check = PersonClient.resume(
        f"ws://127.0.0.1:{b.port}/ws/person", person.token, person.key, timing=FAST
    )
    seen = []
    deadline = time.monotonic() + 20
    while len(seen) < 100 and time.monotonic() < deadline:
        seen.append(check.receive(timeout=10))
    assert [m.seq for m in seen] == list(range(1, 101))
    assert len({m.text for m in seen}) == 100
    for client in (check, person, op):
        client.close()
    proxy.close()
