"""What tests/abuse/ needs of the servers it attacks (conftest.py starts them): the
settings, the memory bound, the attacker's address, and which process serves a
connection.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import struct
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pnav.sdk.client import Timing
from pnav.sdk.testing import RawSocket

PARTNER = "http://partner.test"
FAST = Timing(ping_every=0.5, dead_after=3, min_delay=0.05, max_delay=0.5)
SEND_DEADLINE = 2  # seconds; the server's send_deadline in these tests
# The abuse limits are the shipped defaults (docs/deploy.md, "Abuse limits"), but for
# logins per address: 16, not 30, proves the rule with fewer password checks (each
# costs 64 MiB and a core for a while).
LOGINS_PER_ADDRESS = 16
LIMITS_ENV = {
    "PNAV_LOGINS_PER_ADDRESS_PER_HOUR": str(LOGINS_PER_ADDRESS),
    "PNAV_PARTNERS": f"demo={PARTNER}",
    "PNAV_SECURE_COOKIES": "0",
    "PNAV_SEND_DEADLINE": str(SEND_DEADLINE),
    "PNAV_HELLO_TIMEOUT": "2",
    "PNAV_MAX_SOCKETS_PER_ADDRESS": "200",
}
# What one server process may hold at its peak while it is attacked (docs/deploy.md,
# "Limits").
MEMORY_BOUND_MIB = 250
# The attacker writes from an address of its own: the honest people (127.0.0.1) are
# another network, as they would be in production.
ATTACKER = "127.0.0.2"


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for process {pid}")


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(int(target[8:-1]))
    return inodes


@dataclass
class Deployment:
    """A running server: its URL, alice's (a supervisor's) password, every process of
    it (``pids``) and those that serve connections (``workers``)."""

    kind: str
    url: str
    password: str
    pids: list[int]
    workers: list[int]

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @property
    def ws_url(self) -> str:
        return self.url.replace("http", "ws", 1) + "/ws/person"

    def peak_rss_mib(self) -> dict[int, float]:
        """Each process's peak resident memory so far (VmHWM: no peak between two
        samples is missed), in MiB."""
        return {pid: _status_kib(pid, "VmHWM") / 1024 for pid in self.pids}

    def serving(self, client: socket.socket, timeout: float = 5) -> int:
        """The worker that holds the server's end of ``client``'s connection (Linux
        /proc: the TCP entry whose peer is the client, then the process with its
        inode); waits for the accept."""
        ip, port = client.getsockname()[:2]
        (packed,) = struct.unpack("<I", socket.inet_aton(ip))
        needle = f":{self.port:04X} {packed:08X}:{port:04X} "
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            table = Path("/proc/net/tcp").read_text()
            at = table.find(needle)
            if at >= 0:
                inode = int(table[at : table.find("\n", at)].split()[8])
                for pid in self.workers:
                    if inode and inode in _socket_inodes(pid):
                        return pid
            time.sleep(0.01)
        raise AssertionError("no worker holds this connection")

    def socket_on(self, worker: int, source: str = ATTACKER) -> RawSocket:
        """A person socket from ``source`` served by ``workers[worker]`` (others are
        opened and closed until the kernel hands one to that worker)."""
        for _ in range(100):
            sock = RawSocket(self.ws_url, receive_buffer=1 << 20, source=source)
            if self.serving(sock.sock) == self.workers[worker % len(self.workers)]:
                return sock
            sock.close()
        raise AssertionError(f"no socket reached worker {worker}")

    def http_on(self, worker: int, source: str = ATTACKER) -> http.client.HTTPConnection:
        """An HTTP connection from ``source``, connected, served by ``workers[worker]``."""
        for _ in range(100):
            conn = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=30, source_address=(source, 0)
            )
            conn.connect()
            assert conn.sock is not None
            if self.serving(conn.sock) == self.workers[worker % len(self.workers)]:
                return conn
            conn.close()
        raise AssertionError(f"no connection reached worker {worker}")


def post(conn: http.client.HTTPConnection, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    """POST JSON on ``conn`` (then closed): the status and the JSON answer."""
    headers = {"Origin": PARTNER, "Content-Type": "text/plain"}
    if path.startswith("/console"):
        headers = {"Origin": f"http://127.0.0.1:{conn.port}", "Content-Type": "application/json"}
    try:
        conn.request("POST", path, json.dumps(body), headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()
