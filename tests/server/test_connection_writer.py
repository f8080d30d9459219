"""A socket's writer runs only while it has something to write (issue 16: idle sockets
cheap): the first frame starts it, the send watch retires it after an idle round, and
the next frame starts another, with nothing lost or reordered."""

from __future__ import annotations

import threading

from pnav.server.chat.connection import Connection, _SendWatch


class _Socket:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.closed: tuple[int | None, str | None] | None = None
        self.arrived = threading.Condition()

    def send(self, data: str) -> None:
        with self.arrived:
            self.sent.append(data)
            self.arrived.notify_all()

    def close(self, reason: int | None = None, message: str | None = None) -> None:
        self.closed = (reason, message)

    def abort(self) -> None:
        raise AssertionError("a reading peer is never cut off")

    def wait_for(self, count: int) -> list[str]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.sent) >= count, 10)
            return list(self.sent)


def _writer(conn: Connection) -> threading.Thread | None:
    return conn._writer


def test_idle_writer_is_retired_and_the_next_frame_starts_another() -> None:
    sock = _Socket()
    conn = Connection(sock)
    watch = _SendWatch()  # one not running: the test calls its rounds
    watch._conns.add(conn)
    assert _writer(conn) is None  # an idle socket has no writer
    conn.send_encoded("one")
    first = _writer(conn)
    assert first is not None
    assert sock.wait_for(1) == ["one"]
    assert watch.check() == 0  # the round that saw "one" queued keeps the writer
    assert _writer(conn) is first
    assert watch.check() == 0  # an idle round retires it
    first.join(10)
    assert not first.is_alive() and _writer(conn) is None
    conn.send_encoded("two")
    conn.send_encoded("three")
    assert sock.wait_for(3) == ["one", "two", "three"]
    conn.finish()
    assert sock.closed == (1000, "")


def test_closing_without_a_writer_still_sends_the_close() -> None:
    sock = _Socket()
    conn = Connection(sock)
    conn.drop()  # no frame was ever queued: a writer starts to close the socket
    writer = _writer(conn)
    assert writer is not None
    writer.join(10)
    assert sock.closed == (1012, "please reconnect")
