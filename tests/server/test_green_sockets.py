"""What simple-websocket gets under gevent (web/sockets.server_options): its reader as a
bare greenlet and gevent's own event, and with threads its defaults. Run in a child
process, since gevent must patch before anything else is imported."""

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
assert set(options) == {"thread_class", "event_class"}, options
assert options["event_class"] is Event
ran = Event()
reader = options["thread_class"](target=ran.set)
assert reader.name  # simple-websocket renames it
reader.start()
assert ran.wait(5)  # started as a greenlet of its own
print("ok")
"""


def test_under_gevent_the_reader_is_a_bare_greenlet() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_threads_keep_simple_websockets_defaults() -> None:
    from pnav.server.web.sockets import server_options

    assert server_options() == {}
