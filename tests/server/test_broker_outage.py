"""A Redis restart loses no message (issue 5): messages are stored before they are
published, and when the broker comes back every client is made to catch up."""

from __future__ import annotations

import json
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from pnav.sdk.client import OperatorClient, PersonClient, Timing
from pnav.sdk.testing import ServerProcess, free_port
from pnav.server.operators.desk import enrol_operator
from pnav.server.stores.sqlite.store import SQLiteStore

FAST = Timing(ping_every=0.5, dead_after=2, min_delay=0.05, max_delay=0.5)
PARTNER = "http://partner.test"


class PrivateRedis:
    """A redis-server of our own on a free port, that the test may stop and start."""

    def __init__(self, workdir: Path) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            pytest.fail("redis-server is not installed (apt-get install redis-server)")
        self.exe, self.workdir, self.port = exe, workdir, free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                self.exe,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def server_on_redis(tmp_path: Path):
    redis_server = PrivateRedis(tmp_path)
    redis_server.start()
    data = tmp_path / "data"
    store = SQLiteStore(data / "pnav.sqlite3")
    password = secrets.token_urlsafe(12)
    enrol_operator(store, "alice", password, role="supervisor", kdf_ops=1, kdf_mem=8 << 20)
    store.close()
    options = {"url": f"redis://127.0.0.1:{redis_server.port}/0", "presence_ttl": 3}
    proc = ServerProcess(
        data,
        env={
            "PNAV_PARTNERS": f"demo={PARTNER}",
            "PNAV_SECURE_COOKIES": "0",
            "PNAV_BROKER": "redis",
            "PNAV_BROKER_OPTIONS": json.dumps(options),
        },
    )
    proc.start()
    yield proc, password, redis_server
    proc.stop()
    redis_server.stop()


def test_a_redis_restart_loses_no_message(server_on_redis):
    server, password, redis_server = server_on_redis
    person = PersonClient.start(server.url, "demo", PARTNER, timing=FAST)
    op = OperatorClient.login(server.url, "alice", password, timing=FAST)
    op.wait_queue(person.conv)
    op.accept(person.conv)
    person.wait("status", state="active")
    person.send("before")
    assert op.receive().text == "before"

    redis_server.stop()
    # Stored and acknowledged even though nothing can be published.
    sent_p = [person.send(f"during p{i}", timeout=15) for i in range(3)]
    sent_o = [op.send(person.conv, f"during o{i}", timeout=15) for i in range(3)]
    assert len(set(sent_p + sent_o)) == 6
    redis_server.start()

    assert [op.receive(timeout=30).text for _ in range(3)] == [f"during p{i}" for i in range(3)]
    assert [person.receive(timeout=30).text for _ in range(3)] == [f"during o{i}" for i in range(3)]
    person.send("after")
    assert op.receive(timeout=15).text == "after"
    person.close()
    op.close()


def test_subscriptions_made_while_redis_is_away_hold_once_it_is_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A socket that joins while Redis is away is not held up waiting for a confirmation
    that cannot come; once Redis is back, its topic is subscribed again and the process is
    told to make its clients resynchronise."""
    import threading

    from pnav.server.brokers.redis import RedisBroker

    redis_server = PrivateRedis(tmp_path)
    redis_server.start()
    url = f"redis://127.0.0.1:{redis_server.port}/0"
    got: list[tuple[str, dict[str, object]]] = []
    resync, arrived = threading.Event(), threading.Event()

    def deliver(topic: str, frame: dict[str, object]) -> None:
        got.append((topic, frame))
        (resync if topic == "" else arrived).set()

    holder, publisher = RedisBroker(url, prefix="t"), RedisBroker(url, prefix="t")
    try:
        holder.start(deliver)
        publisher.start(lambda topic, frame: None)
        redis_server.stop()
        with caplog.at_level("WARNING", logger="pnav.server.brokers.redis"):
            holder.subscribe("p:late")  # Redis is away: returns without waiting
        assert "not confirmed" not in caplog.text
        redis_server.start()
        assert resync.wait(30)
        holder.subscribe("p:late")  # a second socket: waits for the new subscription
        publisher.publish("p:late", {"t": "msg", "seq": 1})
        assert arrived.wait(10)
        assert got[-1] == ("p:late", {"t": "msg", "seq": 1})
    finally:
        holder.close()
        publisher.close()
        redis_server.stop()
