"""What simple-websocket gets under gevent (web/sockets.server_options): its reader as a
bare greenlet, gevent's own event and a selector on one watcher, and with threads its
defaults; and connections' writers as greenlets started without a switch
(web/sockets.writer_starter). Run in a child process, since gevent must patch before
anything else is imported."""

from __future__ import annotations

import subprocess
import sys

_CHILD = r"""
from gevent import monkey

monkey.patch_all()

import gevent
from gevent.event import Event

from pnav.server.web.sockets import server_options

options = server_options()
assert set(options) == {"thread_class", "event_class", "selector_class"}, options
assert options["event_class"] is Event
ran = Event()
reader = options["thread_class"](target=ran.set)
assert reader.name  # simple-websocket renames it
reader.start()
assert ran.wait(5)  # started as a greenlet of its own

# The reader's selector: readable -> [True]; nothing within the timeout -> []; and the
# wait is a greenlet's, so another greenlet runs meanwhile (here: the one that writes).
import selectors
import socket
import time

ours, theirs = socket.socketpair()
selector = options["selector_class"]()
selector.register(ours, selectors.EVENT_READ, True)
started = time.monotonic()
assert selector.select(0.05) == []
assert time.monotonic() - started >= 0.04
gevent.spawn_later(0.05, theirs.send, b"x")
assert selector.select(5) == [True]
assert time.monotonic() - started < 2
assert ours.recv(1) == b"x"
theirs.close()  # a closed peer reads as readable (the reader then sees the end)
assert selector.select(5) == [True]
selector.close()
ours.close()

from pnav.server.web.sockets import writer_starter

# Starting a writer does not give the loop a turn: a greenlet spawned just before
# has not run yet when the writer is started (Thread.start would have let it run).
order = []
gevent.spawn(order.append, "other")
release = Event()
writer = writer_starter()(lambda: (order.append("writer"), release.wait()))
assert order == [], order
assert writer.is_alive()
writer.join(0.05)
assert order == ["other", "writer"], order
assert writer.is_alive()  # still waiting
release.set()
writer.join(5)
assert not writer.is_alive()
print("ok")
"""


def test_under_gevent_the_reader_and_the_writers_are_bare_greenlets() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_threads_keep_simple_websockets_defaults() -> None:
    from pnav.server.chat.connection import start_thread
    from pnav.server.web.sockets import server_options, writer_starter

    assert server_options() == {}
    assert writer_starter() is start_thread
