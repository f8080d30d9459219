"""A peer that stops reading, and sockets that never say hello, slow nobody else.

Run against ``pnav serve`` as shipped (the gevent server, pnav/server/serving.py) and
against the documented deployment (gunicorn, two gevent workers, PostgreSQL + Redis).
While each attack runs, six honest conversations deliver both ways with p99 under a
second, a new person gets ``welcome`` within a second, and the attacker's socket is
cut off within its deadline; nothing the honest people wrote is lost (issue 15).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from wsproto import ConnectionType, WSConnection
from wsproto.events import Request

from pnav.sdk import crypto
from pnav.sdk.client import PersonClient, Timing
from pnav.sdk.testing import HonestFloor, RawSocket, ServerProcess, free_port
from pnav.server.operators.desk import enrol_operator
from pnav.server.stores.postgres.store import PostgresStore
from pnav.server.stores.sqlite.store import SQLiteStore

PARTNER = "http://partner.test"
FAST = Timing(ping_every=0.5, dead_after=3, min_delay=0.05, max_delay=0.5)
SEND_DEADLINE = 2  # seconds; the server's send_deadline in these tests
LIMITS_ENV = {
    "PNAV_PARTNERS": f"demo={PARTNER}",
    "PNAV_SECURE_COOKIES": "0",
    "PNAV_SEND_DEADLINE": str(SEND_DEADLINE),
    "PNAV_HELLO_TIMEOUT": "2",
    "PNAV_MAX_SOCKETS_PER_ADDRESS": "200",
}


def _wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


# What one server process may hold while it is attacked (docs/deploy.md, "Limits").
MEMORY_BOUND_MIB = 250


def rss_mib(pids: list[int]) -> float:
    """Resident memory of these processes, in MiB (Linux)."""
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


@pytest.fixture(params=["pnav-serve", "gunicorn-2-workers"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str, list[int]]]:
    """(url, alice's password, the serving processes' ids) of a server as people meet
    it in production."""
    password = secrets.token_urlsafe(12)
    if request.param == "pnav-serve":
        data = tmp_path / "data"
        store = SQLiteStore(data / "pnav.sqlite3")
        enrol_operator(store, "alice", password, role="supervisor", kdf_ops=1, kdf_mem=8 << 20)
        store.close()
        proc = ServerProcess(data, env=LIMITS_ENV)
        proc.start()
        assert proc.pid is not None
        yield proc.url, password, [proc.pid]
        proc.stop()
        return
    dsn: str = request.getfixturevalue("postgres_dsn")
    redis_url: str = request.getfixturevalue("redis_url")
    store_pg = PostgresStore(dsn)
    enrol_operator(store_pg, "alice", password, role="supervisor", kdf_ops=1, kdf_mem=8 << 20)
    store_pg.close()
    exe = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
    assert exe, "gunicorn is missing: pip install 'pnav[deploy]'"
    port = free_port()
    env = {
        **os.environ,
        **LIMITS_ENV,
        "PNAV_DATA_DIR": str(tmp_path / "data"),
        "PNAV_SECRET_KEY": secrets.token_hex(32),
        "PNAV_STORE": "postgres",
        "PNAV_STORE_OPTIONS": json.dumps({"dsn": dsn}),
        "PNAV_BROKER": "redis",
        "PNAV_BROKER_OPTIONS": json.dumps({"url": redis_url, "prefix": f"t{secrets.token_hex(4)}"}),
    }
    with (tmp_path / "gunicorn.log").open("wb") as log:
        proc_g = subprocess.Popen(
            [exe, "-k", "gevent", "-w", "2", "-b", f"127.0.0.1:{port}", "pnav.server.wsgi:app"],
            env=env,
            stdout=log,
            stderr=log,
        )
        _wait_listening(port, proc_g)
        url = f"http://127.0.0.1:{port}"
        # Both workers answer before the test starts (each opens its own sockets).
        for _ in range(4):
            PersonClient.start(url, "demo", PARTNER, timing=FAST).close()
        yield url, password, _children(proc_g.pid)
        proc_g.terminate()
        proc_g.wait(20)


def _fake_ciphertext(size: int) -> str:
    return crypto.b64encode(bytes([crypto.FORMAT_VERSION]) + os.urandom(size))


def test_a_client_that_stops_reading_slows_nobody_and_is_cut_off(server) -> None:
    url, password, pids = server
    floor = HonestFloor(url, "demo", PARTNER, "alice", password)
    # The attacker opens a conversation, then comes back on a socket it never reads
    # and asks for as much as it can: large messages and whole-history replays.
    opener = PersonClient.start(url, "demo", PARTNER, timing=FAST)
    token, ws_url = opener.token, url.replace("http", "ws", 1) + "/ws/person"
    opener.close()
    assert token is not None
    attacker = RawSocket(ws_url)
    attacker.send({"t": "hello", "resume": {"token": token, "after": 0}})
    for i in range(40):
        attacker.send({"t": "msg", "id": f"a{i}", "body": _fake_ciphertext(45_000)})
    for _ in range(10):
        attacker.send({"t": "sync", "after": 0})
    began = time.monotonic()
    peak = 0.0
    for n in range(5):
        floor.round(n)
        peak = max(peak, rss_mib(pids) / len(pids))
    assert floor.welcome_time() < 1.0
    assert peak < MEMORY_BOUND_MIB, f"{peak:.0f} MiB per process while a peer stalls"
    assert floor.percentile(0.99) < 1.0, f"p99 {floor.percentile(0.99):.3f}s while a peer stalls"
    # Cut off within its deadline (plus the watch's round); it may come back later.
    assert attacker.closed_by_server(SEND_DEADLINE + 3 - (time.monotonic() - began))
    attacker.close()
    floor.close()


def test_sockets_that_never_say_hello_are_closed_and_slow_nobody(server) -> None:
    url, password, pids = server
    floor = HonestFloor(url, "demo", PARTNER, "alice", password)
    ws_url = url.replace("http", "ws", 1) + "/ws/person"
    idle = [RawSocket(ws_url) for _ in range(150)]
    for n in range(3):
        floor.round(n)
    assert floor.welcome_time() < 1.0
    assert floor.percentile(0.99) < 1.0, f"p99 {floor.percentile(0.99):.3f}s with idle sockets open"
    per_process = rss_mib(pids) / len(pids)
    assert per_process < MEMORY_BOUND_MIB, f"{per_process:.0f} MiB per process"
    # hello_timeout is 2 s: every idle socket is closed soon after.
    assert all(s.closed_by_server(5) for s in idle)
    for s in idle:
        s.close()
    floor.close()


def test_too_many_sockets_from_one_address_are_refused_with_a_reason(tmp_path) -> None:
    data = tmp_path / "data"
    proc = ServerProcess(data, env={**LIMITS_ENV, "PNAV_MAX_SOCKETS_PER_ADDRESS": "5"})
    proc.start()
    try:
        ws_url = proc.url.replace("http", "ws", 1) + "/ws/person"
        held = [RawSocket(ws_url) for _ in range(5)]
        status, reason = _handshake(ws_url)
        assert status == 503 and b"too many connections from this network" in reason
        for s in held:
            s.close()
        # Slots come back when sockets close (polled: the server sees the closes soon).
        deadline = time.monotonic() + 5
        while _handshake(ws_url)[0] != 101:
            assert time.monotonic() < deadline, "slots were not released"
    finally:
        proc.stop()


def _handshake(ws_url: str) -> tuple[int, bytes]:
    """The status of a websocket upgrade, and what came with it."""
    parts = urlsplit(ws_url)
    with socket.create_connection((parts.hostname or "", parts.port or 80), timeout=5) as sock:
        ws = WSConnection(ConnectionType.CLIENT)
        sock.sendall(ws.send(Request(host=parts.netloc, target=parts.path)))
        answer = sock.recv(4096)
        if not answer.startswith(b"HTTP/1.1 101"):
            while chunk := sock.recv(4096):  # a refusal: its body, until the server closes
                answer += chunk
    return int(answer.split(b"\r\n", 1)[0].split()[1]), answer


def test_socket_limits_count_per_process_and_per_address() -> None:
    from pnav.server.web.sockets import SocketLimits

    limits = SocketLimits(b"k" * 32, max_total=3, max_per_address=2)
    a1, _ = limits.admit("198.51.100.1")
    a2, _ = limits.admit("198.51.100.1")
    assert a1 is not None and a2 is not None
    assert limits.admit("198.51.100.1") == (
        None,
        "too many connections from this network; try again soon",
    )
    b1, _ = limits.admit("203.0.113.9")
    assert b1 is not None
    refused, why = limits.admit("203.0.113.10")
    assert refused is None and why is not None
    assert "as many connections as it can" in why
    limits.release(a1)
    assert limits.open == 2
    assert limits.admit("198.51.100.1")[0] is not None
