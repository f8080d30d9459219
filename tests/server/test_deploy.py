"""The documented deployment works: gunicorn with gevent workers, PostgreSQL + Redis
(docs/deploy.md). Two workers, so the person and the operator may well land on
different processes and must still talk."""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
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
DEPLOY_DOC = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"


def documented_gunicorn_args(port: int) -> list[str]:
    """The gunicorn command of docs/deploy.md, as written there (so a change to the
    documented options is tested), on this test's port with two workers."""
    text = DEPLOY_DOC.read_text().replace("\\\n", " ")
    (line,) = re.findall(r"^.*\bgunicorn -k .*$", text, re.M)
    args = shlex.split(line)
    args = args[args.index("gunicorn") + 1 :]
    for flag, value in (("-w", "2"), ("-b", f"127.0.0.1:{port}")):
        args[args.index(flag) + 1] = value
    return args


def _wait_for_workers(proc: subprocess.Popen[bytes], log_path: Path, workers: int) -> None:
    """Until gunicorn says each worker booted (polled, with a deadline)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, log_path.read_text(errors="replace")
        if log_path.read_bytes().count(b"Booting worker with pid") >= workers:
            return
        time.sleep(0.05)
    raise AssertionError("gunicorn workers did not boot:\n" + log_path.read_text(errors="replace"))


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
    log_path = tmp_path / "gunicorn.log"
    log = log_path.open("wb")
    proc = subprocess.Popen([exe, *documented_gunicorn_args(port)], env=env, stdout=log, stderr=log)
    _wait_for_workers(proc, log_path, 2)
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
    # The documented command keeps no access log: the clients' address and the paths
    # they asked for appear nowhere in what gunicorn and pnav wrote.
    written = log_path.read_bytes()
    assert b"Booting worker" in written  # the log is the real one
    assert b"127.0.0.1 -" not in written and b"/ws/person" not in written
