"""``/readyz`` follows the real backends (issue 18): a ``pnav serve`` process on a
PostgreSQL cluster and a Redis server of the test's own (never the machine's shared
ones, which other tests use), stopped and started again.

The cluster is made with initdb and driven with pg_ctl from /usr/lib/postgresql/*/bin,
in a temporary folder, on a free loopback port; as root, those run as the ``postgres``
system user (initdb refuses root).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest
from test_broker_outage import PrivateRedis

from pnav.sdk.testing import ServerProcess, free_port

DETECT_WITHIN = 10.0  # seconds: "within seconds" (checks run every second here)
RECOVER_WITHIN = 30.0


class PrivatePostgres:
    """A PostgreSQL cluster of our own, that the test may stop and start."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            pytest.fail("PostgreSQL server binaries are missing (apt-get install postgresql)")
        self.bin = Path(found[-1]).parent
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="pnav-pg-"))
        self.data = self.dir / "data"
        self.user: str | None = None
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            self.user = "postgres"
            entry = pwd.getpwnam(self.user)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        cmd = [str(self.bin / tool), *args]
        if self.user is not None:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.dir / "postgres.log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def readyz(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urlopen(url + "/readyz", timeout=5) as answer:
            return int(answer.status), json.loads(answer.read())
    except HTTPError as err:
        return err.code, json.loads(err.read())


def wait_ready(url: str, ready: bool, within: float) -> tuple[float, dict[str, Any]]:
    """Poll ``/readyz`` until it says ``ready``; how long it took and its last answer."""
    start = time.monotonic()
    while True:
        status, body = readyz(url)
        if (status == 200) == ready:
            return time.monotonic() - start, body
        assert time.monotonic() - start < within, f"/readyz still {status} {body}"
        time.sleep(0.1)


@pytest.fixture
def backends(tmp_path: Path) -> Iterator[tuple[PrivatePostgres, PrivateRedis]]:
    postgres = PrivatePostgres()
    redis_server = PrivateRedis(tmp_path)
    try:
        postgres.start()
        redis_server.start()
        yield postgres, redis_server
    finally:
        redis_server.stop()
        postgres.remove()


@pytest.fixture
def server(tmp_path: Path, backends: tuple[PrivatePostgres, PrivateRedis]) -> Iterator[str]:
    postgres, redis_server = backends
    broker = {"url": f"redis://127.0.0.1:{redis_server.port}/0", "presence_ttl": 3}
    proc = ServerProcess(
        tmp_path / "data",
        env={
            "PNAV_PARTNERS": "demo=http://partner.test",
            "PNAV_SECRET_KEY": secrets.token_hex(32),
            "PNAV_STORE": "postgres",
            # The pool gives up on a connection quickly, so checks come back soon.
            "PNAV_STORE_OPTIONS": json.dumps(
                {"dsn": postgres.dsn, "timeout": 2, "connect_timeout": 2}
            ),
            "PNAV_BROKER": "redis",
            "PNAV_BROKER_OPTIONS": json.dumps(broker),
            "PNAV_HEALTH_EVERY": "1",
        },
    )
    proc.start()
    try:
        yield proc.url
    finally:
        proc.stop()


def test_readyz_follows_postgresql_and_redis_going_away_and_coming_back(
    server: str, backends: tuple[PrivatePostgres, PrivateRedis]
) -> None:
    postgres, redis_server = backends
    _, body = wait_ready(server, True, RECOVER_WITHIN)
    assert body == {
        "status": "ready",
        "checks": {"store": "ok", "assets": "ok", "broker": "ok"},
    }

    postgres.stop()
    took, body = wait_ready(server, False, DETECT_WITHIN)
    assert body["status"] == "not_ready"
    assert body["checks"]["store"] in ("unreachable", "timeout")
    assert body["reasons"] == [f"store_{body['checks']['store']}"]
    print(f"PostgreSQL stopped: /readyz 503 after {took:.1f} s")
    postgres.start()
    took, _ = wait_ready(server, True, RECOVER_WITHIN)
    print(f"PostgreSQL back: /readyz 200 after {took:.1f} s")

    redis_server.stop()
    took, body = wait_ready(server, False, DETECT_WITHIN)
    assert body["reasons"] == ["broker_unreachable"]
    print(f"Redis stopped: /readyz 503 after {took:.1f} s")
    redis_server.start()
    took, _ = wait_ready(server, True, RECOVER_WITHIN)
    print(f"Redis back: /readyz 200 after {took:.1f} s")
    assert readyz(server)[0] == 200
