"""Delivery under faults (issue 4): nothing lost, nothing doubled, order kept.

(a) the server is killed with SIGKILL and started again; (b) a proxy cuts the person's
connection again and again; (d) what one side sends while the other is away arrives
when it comes back. (c), the browser going offline, is in tests/e2e/test_reconnect.py.
"""

from __future__ import annotations

import random
import secrets
import threading
import time
from pathlib import Path

import pytest

from pnav.sdk.client import OperatorClient, PersonClient, Timing
from pnav.sdk.testing import ServerProcess, TcpProxy
from pnav.server.operators.desk import enrol_operator
from pnav.server.stores.sqlite.store import SQLiteStore

# Quick heartbeats and back-off, so that faults are noticed and healed in seconds.
FAST = Timing(ping_every=0.5, dead_after=2, min_delay=0.05, max_delay=0.5)
PARTNER = "http://partner.test"


def _pair(url, origin, ws_url=None, password=None, user="alice"):
    person = PersonClient.start(url, "demo", origin, ws_url=ws_url, timing=FAST)
    op = OperatorClient.login(url, user, password, timing=FAST)
    op.wait_queue(person.conv)
    op.accept(person.conv)
    person.wait("status", state="active")
    return person, op


class _Progress:
    """How many messages each side has had acknowledged so far; ``reached(n)`` waits
    until both sides have had at least ``n``."""

    def __init__(self) -> None:
        self.acked = {"person": 0, "operator": 0}
        self._cv = threading.Condition()

    def one_more(self, side: str) -> None:
        with self._cv:
            self.acked[side] += 1
            self._cv.notify_all()

    def reached(self, n: int, timeout: float = 30) -> dict[str, int]:
        with self._cv:
            assert self._cv.wait_for(lambda: min(self.acked.values()) >= n, timeout), self.acked
            return dict(self.acked)


def _talk(person, op, count, disrupt=None):
    """Both sides send ``count`` numbered messages at once; ``disrupt(progress)`` runs
    meanwhile. Returns what each received."""
    said_p = [f"p{i}-{secrets.token_hex(4)}" for i in range(count)]
    said_o = [f"o{i}-{secrets.token_hex(4)}" for i in range(count)]
    errors = []
    progress = _Progress()

    def send(side, fn, texts):
        try:
            for text in texts:
                fn(text)
                progress.one_more(side)
                time.sleep(random.uniform(0, 0.01))  # pacing, not synchronisation
        except Exception as exc:  # reported below
            errors.append(exc)

    senders = [
        threading.Thread(
            target=send, args=("person", lambda t: person.send(t, timeout=30), said_p)
        ),
        threading.Thread(
            target=send,
            args=("operator", lambda t: op.send(person.conv, t, timeout=30), said_o),
        ),
    ]
    for t in senders:
        t.start()
    if disrupt is not None:
        disrupt(progress)
    got_o = [op.receive(timeout=30) for _ in said_p]
    got_p = [person.receive(timeout=30) for _ in said_o]
    for t in senders:
        t.join(30)
    assert not errors
    assert [m.text for m in got_o] == said_p
    assert [m.text for m in got_p] == said_o
    seqs = sorted(m.seq for m in got_o + got_p)
    assert len(set(seqs)) == len(seqs) == 2 * count
    return got_p, got_o


@pytest.fixture
def server_process(tmp_path: Path):
    data = tmp_path / "data"
    store = SQLiteStore(data / "pnav.sqlite3")
    password = secrets.token_urlsafe(12)
    enrol_operator(store, "alice", password, role="supervisor", kdf_ops=1, kdf_mem=8 << 20)
    store.close()
    # 40 messages a side in a few seconds: over the per-conversation abuse limit (30 a
    # minute) that tests/abuse proves; this test is about delivery across a kill.
    env = {
        "PNAV_PARTNERS": f"demo={PARTNER}",
        "PNAV_SECURE_COOKIES": "0",
        "PNAV_MESSAGES_PER_CONVERSATION_PER_MINUTE": "1000",
    }
    proc = ServerProcess(data, env=env)
    proc.start()
    proc.password = password
    yield proc
    proc.stop()


def test_a_server_killed_mid_conversation_loses_and_doubles_nothing(server_process):
    person, op = _pair(server_process.url, PARTNER, password=server_process.password)
    before = (person.reconnects, op.reconnects)

    at_kill: dict[str, int] = {}

    def kill_and_restart(progress: _Progress) -> None:
        progress.reached(10)  # both sides are talking
        server_process.kill()
        at_kill.update(progress.acked)
        server_process.start()

    _talk(person, op, 40, disrupt=kill_and_restart)
    # Killed mid-conversation: each side still had messages to be acknowledged.
    assert min(at_kill.values()) >= 10 and max(at_kill.values()) < 40, at_kill
    assert person.reconnects > before[0] and op.reconnects > before[1]
    # And the conversation goes on as before.
    person.send("after the restart")
    assert op.receive().text == "after the restart"
    person.close()
    op.close()


def test_b_a_connection_cut_again_and_again_loses_and_doubles_nothing(live_server):
    proxy = TcpProxy(int(live_server.url.rsplit(":", 1)[1]))
    ws_url = f"ws://127.0.0.1:{proxy.port}/ws/person"
    person, op = _pair(live_server.url, live_server.origin, ws_url, live_server.password)
    stop = threading.Event()

    def cutter():
        while not stop.wait(random.uniform(0.1, 0.4)):
            proxy.cut()

    def disrupt(_progress: _Progress) -> None:
        threading.Thread(target=cutter, daemon=True).start()

    try:
        _talk(person, op, 150, disrupt=disrupt)
    finally:
        stop.set()
    assert proxy.cuts >= 3 and person.reconnects >= 3
    proxy.close()
    person.close()
    op.close()


def test_d_messages_sent_while_the_other_side_is_away_arrive_when_it_returns(live_server):
    proxy = TcpProxy(int(live_server.url.rsplit(":", 1)[1]))
    ws_url = f"ws://127.0.0.1:{proxy.port}/ws/person"
    person, op = _pair(live_server.url, live_server.origin, ws_url, live_server.password)

    # The operator goes away; the person writes; the operator comes back.
    op.close()
    person.wait("status", state="active", operator="away")
    written = [person.send(f"while you were away {i}") for i in range(5)]
    op = OperatorClient.login(live_server.url, "alice", live_server.password, timing=FAST)
    got = [op.receive() for _ in written]
    assert [m.text for m in got] == [f"while you were away {i}" for i in range(5)]
    assert [m.seq for m in got] == written
    person.wait("status", state="active", operator="present")

    # The person's network goes away; the operator writes; the person comes back.
    proxy.refuse(True)
    proxy.cut()
    op.wait("presence", conv=person.conv, person="reconnecting")
    replies = [op.send(person.conv, f"reply {i}") for i in range(5)]  # each one stored
    proxy.refuse(False)
    got = [person.receive(timeout=15) for _ in replies]
    assert [(m.seq, m.text) for m in got] == [(s, f"reply {i}") for i, s in enumerate(replies)]
    op.wait("presence", conv=person.conv, person="connected")
    # And nothing twice: the next message the person gets is the next one written.
    last = op.send(person.conv, "one more")
    assert (person.receive().seq, person.unread("msg")) == (last, [])
    proxy.close()
    person.close()
    op.close()
