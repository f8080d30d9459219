"""The documented deployment works: gunicorn with gevent workers, PostgreSQL + Redis
(docs/deploy.md). Two workers, so the person and the operator may well land on
different processes and must still talk."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pnav.sdk.client import OperatorClient, PersonClient, Timing
from pnav.sdk.testing import free_port
from pnav.server.operators.desk import enrol_operator
from pnav.server.stores.postgres.store import PostgresStore

PARTNER = "http://partner.test"

FAST = Timing(ping_every=0.5, dead_after=2, min_delay=0.05, max_delay=0.5)


@pytest.fixture
def gunicorn(tmp_path: Path, postgres_dsn: str, redis_url: str):
    exe = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
    assert exe, "gunicorn is missing: pip install 'pnav[deploy]'"
    store = PostgresStore(postgres_dsn)
    password = secrets.token_urlsafe(12)
    enrol_operator(store, "alice", password, role="supervisor", kdf_ops=1, kdf_mem=8 << 20)
    store.close()
    port = free_port()
    env = {
        **os.environ,
        "PNAV_DATA_DIR": str(tmp_path / "data"),
        "PNAV_PARTNERS": f"demo={PARTNER}",
        "PNAV_SECURE_COOKIES": "0",
        "PNAV_SECRET_KEY": secrets.token_hex(32),
        "PNAV_STORE": "postgres",
        "PNAV_STORE_OPTIONS": json.dumps({"dsn": postgres_dsn}),
        "PNAV_BROKER": "redis",
        "PNAV_BROKER_OPTIONS": json.dumps({"url": redis_url, "prefix": f"t{secrets.token_hex(4)}"}),
    }
    log = (tmp_path / "gunicorn.log").open("wb")
    proc = subprocess.Popen(
        [exe, "-k", "gevent", "-w", "2", "-b", f"127.0.0.1:{port}", "pnav.server.wsgi:app"],
        env=env,
        stdout=log,
        stderr=log,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    time.sleep(1)  # both workers booted
    yield f"http://127.0.0.1:{port}", password, tmp_path / "gunicorn.log"
    proc.terminate()
    proc.wait(20)
    log.close()


def test_gunicorn_gevent_workers_on_postgres_and_redis(gunicorn):
    url, password, log_path = gunicorn
    people = [PersonClient.start(url, "demo", PARTNER, timing=FAST) for _ in range(4)]
    op = OperatorClient.login(url, "alice", password, timing=FAST)
    for person in people:
        op.wait_queue(person.conv)
        op.accept(person.conv)
        person.wait("status", state="active")
    for i, person in enumerate(people):
        person.send(f"hello {i}")
        op.send(person.conv, f"answer {i}")
    got = sorted(op.receive().text for _ in people)
    assert got == sorted(f"hello {i}" for i in range(4))
    for i, person in enumerate(people):
        assert person.receive().text == f"answer {i}"
    for client in (*people, op):
        client.close()
    # No access log: nothing about the clients' addresses.
    assert b"127.0.0.1 -" not in log_path.read_bytes()
