"""A queue change is one publication of the queue's order; each process tells its own
waiting people their place, and only those whose place changed (issue 16: opening 1,000
conversations sent a status to every waiting person at every change)."""

from __future__ import annotations

import json
import threading
import time

from pnav.sdk.broker import InProcessBroker
from pnav.server.chat.hub import Connection, Hub


class _Recorder:
    def __init__(self) -> None:
        self.frames: list[dict[str, object]] = []
        self._lock = threading.Lock()

    def send(self, data: str) -> None:
        with self._lock:
            self.frames.append(json.loads(data))

    def close(self, reason: int | None = None, message: str | None = None) -> None:
        pass

    def abort(self) -> None:
        pass

    def places(self) -> list[object]:
        with self._lock:
            return [f.get("position", f["state"]) for f in self.frames if f["t"] == "status"]


def _settled(conns: list[Connection]) -> None:
    """Every frame queued so far has been written."""
    deadline = time.monotonic() + 5
    while any(c._outbox for c in conns) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)


def test_only_the_people_whose_place_changed_are_told() -> None:
    hub = Hub(InProcessBroker())
    socks = {c: _Recorder() for c in ("c1", "c2", "c3", "c4")}
    conns = {c: Connection(sock) for c, sock in socks.items()}
    second_tab = _Recorder()
    conns_all = [*conns.values(), Connection(second_tab)]
    try:
        for conv_id, conn in conns.items():
            hub.join_person(conv_id, conn)
        hub.join_person("c3", conns_all[-1])
        hub.to_waiting(["c1", "c2", "c3"])
        hub.to_waiting(["c1", "c2", "c3"])  # nothing changed: nobody is told again
        hub.to_waiting(["c1", "c2", "c3", "c4"])  # someone joins at the end
        _settled(conns_all)
        assert [socks[c].places() for c in ("c1", "c2", "c3", "c4")] == [[1], [2], [3], [4]]
        assert second_tab.places() == [3]
        hub.to_waiting(["c2", "c3", "c4"])  # c1 was taken: the others move up
        hub.to_person("c1", {"t": "status", "state": "active", "operator": "present"})
        _settled(conns_all)
        assert [socks[c].places() for c in ("c1", "c2", "c3", "c4")] == [
            [1, "active"],
            [2, 1],
            [3, 2],
            [4, 3],
        ]
        assert second_tab.places() == [3, 2]
        # Back in the queue (a transfer refused, say): told again, although its place is
        # the one it had before it was taken.
        hub.to_waiting(["c1", "c2", "c3", "c4"])
        _settled(conns_all)
        assert socks["c1"].places() == [1, "active", 1]
    finally:
        for conn in conns_all:
            conn.finish()
        hub.close()


def test_a_place_is_told_with_the_service_s_status_frame() -> None:
    hub = Hub(InProcessBroker())
    hub.waiting_status = lambda place: {
        "t": "status",
        "state": "waiting",
        "position": place,
        "wait_estimate": place * 60,
    }
    sock = _Recorder()
    conn = Connection(sock)
    try:
        hub.join_person("c1", conn)
        hub.to_waiting(["c0", "c1"])
        _settled([conn])
        assert sock.frames == [
            {"v": 1, "t": "status", "state": "waiting", "position": 2, "wait_estimate": 120}
        ]
    finally:
        conn.finish()
        hub.close()
