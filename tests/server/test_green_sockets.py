"""What simple-websocket gets under gevent (web/sockets.server_options): its reader's
wait for a readable socket or the next ping, on one watcher kept for the socket's life.
Run in a child process, since gevent must patch before anything else is imported."""

from __future__ import annotations

import subprocess
import sys

_CHILD = r"""
from gevent import monkey

monkey.patch_all()

import socket
import time

from pnav.server.web.sockets import ReadWait, server_options

options = server_options()
assert options["selector_class"] is ReadWait, options
ours, theirs = socket.socketpair()
wait = options["selector_class"]()
wait.register(ours, 1, True)
started = time.monotonic()
assert wait.select(0.2) == []  # nothing to read: the ping is due
assert 0.15 < time.monotonic() - started < 2
theirs.send(b"frame")
assert wait.select(5) == [True]
assert ours.recv(16) == b"frame"
assert wait.select(0.05) == []  # read, so not readable any more
theirs.close()  # the peer went away: readable (end of stream), not a wait forever
assert wait.select(5) == [True]
assert ours.recv(16) == b""
wait.close()
wait.close()  # twice is harmless
print("ok")
"""


def test_the_reader_waits_for_a_frame_or_the_next_ping_under_gevent() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_threads_keep_simple_websockets_defaults() -> None:
    from pnav.server.web.sockets import server_options

    assert server_options() == {}
