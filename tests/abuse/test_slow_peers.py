"""A peer that stops reading, and sockets that never say hello, slow nobody else.

Run against ``pnav serve`` as shipped (the gevent server, pnav/server/serving.py) and
against the documented deployment (gunicorn, two gevent workers, PostgreSQL + Redis).
While each attack runs, six honest conversations deliver both ways with p99 under a
second, a new person gets ``welcome`` within a second, and the attacker's socket is
cut off within its deadline; nothing the honest people wrote is lost (issue 15).
"""

from __future__ import annotations

import os
import socket
import time
from urllib.parse import urlsplit

from deployments import FAST, LIMITS_ENV, MEMORY_BOUND_MIB, PARTNER, SEND_DEADLINE
from wsproto import ConnectionType, WSConnection
from wsproto.events import Request

from pnav.sdk import crypto
from pnav.sdk.client import PersonClient
from pnav.sdk.testing import HonestFloor, RawSocket, ServerProcess


def _fake_ciphertext(size: int) -> str:
    return crypto.b64encode(bytes([crypto.FORMAT_VERSION]) + os.urandom(size))


def test_a_client_that_stops_reading_slows_nobody_and_is_cut_off(server) -> None:
    url = server.url
    floor = HonestFloor(url, "demo", PARTNER, "alice", server.password)
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
    for n in range(5):
        floor.round(n)
    assert floor.welcome_time() < 1.0
    peak = server.peak_rss_mib()
    assert max(peak.values()) < MEMORY_BOUND_MIB, f"peak MiB by process {peak}"
    assert floor.percentile(0.99) < 1.0, f"p99 {floor.percentile(0.99):.3f}s while a peer stalls"
    # Cut off within its deadline (plus the watch's round); it may come back later.
    assert attacker.closed_by_server(SEND_DEADLINE + 3 - (time.monotonic() - began))
    attacker.close()
    floor.close()


def test_sockets_that_never_say_hello_are_closed_and_slow_nobody(server) -> None:
    floor = HonestFloor(server.url, "demo", PARTNER, "alice", server.password)
    idle = [RawSocket(server.ws_url) for _ in range(150)]
    for n in range(3):
        floor.round(n)
    assert floor.welcome_time() < 1.0
    assert floor.percentile(0.99) < 1.0, f"p99 {floor.percentile(0.99):.3f}s with idle sockets open"
    peak = server.peak_rss_mib()
    assert max(peak.values()) < MEMORY_BOUND_MIB, f"peak MiB by process {peak}"
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
