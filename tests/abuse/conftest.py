"""The servers tests/abuse/ attacks: ``pnav serve`` as shipped (the gevent server,
SQLite, one process) and the documented deployment (gunicorn, two gevent workers,
PostgreSQL + Redis), both with the shipped abuse limits.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from deployments import FAST, LIMITS_ENV, PARTNER, Deployment

from pnav.sdk.client import PersonClient
from pnav.sdk.testing import ServerProcess, free_port
from pnav.server.operators.desk import enrol_operator
from pnav.server.stores.postgres.store import PostgresStore
from pnav.server.stores.sqlite.store import SQLiteStore


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


@pytest.fixture(params=["pnav-serve", "gunicorn-2-workers"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    """A server as people meet it in production, with the shipped abuse limits."""
    password = secrets.token_urlsafe(12)
    if request.param == "pnav-serve":
        data = tmp_path / "data"
        store = SQLiteStore(data / "pnav.sqlite3")
        enrol_operator(store, "alice", password, role="supervisor", kdf_ops=1, kdf_mem=8 << 20)
        store.close()
        proc = ServerProcess(data, env=LIMITS_ENV)
        proc.start()
        assert proc.pid is not None
        yield Deployment(request.param, proc.url, password, [proc.pid], [proc.pid])
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
        deadline = time.monotonic() + 20
        while len(workers := _children(proc_g.pid)) < 2:
            assert time.monotonic() < deadline, "gunicorn started fewer than two workers"
            time.sleep(0.05)
        # Both workers answer before the test starts (each opens its own sockets).
        for _ in range(4):
            PersonClient.start(url, "demo", PARTNER, timing=FAST).close()
        yield Deployment(request.param, url, password, [proc_g.pid, *workers], workers)
        proc_g.terminate()
        try:
            proc_g.wait(10)
        except subprocess.TimeoutExpired:  # still finishing requests: no goodbyes here
            for pid in workers:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            proc_g.kill()
            proc_g.wait(10)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []
