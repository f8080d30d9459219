"""pnav on the in-memory store, for bench/relay.py: gunicorn imports
``relay_memory_app:app``; the operators named in ``PNAV_BENCH_OPERATORS`` (comma separated)
are enrolled with ``PNAV_BENCH_PASSWORD`` in the worker's own memory."""

from __future__ import annotations

import os

from pnav.sdk.memory_store import MemoryStore
from pnav.server.operators.desk import enrol_operator
from pnav.server.settings import Settings
from pnav.server.web.app import create_app

store = MemoryStore()
_password = os.environ["PNAV_BENCH_PASSWORD"]
_first: tuple[str, str] | None = None
for _name in os.environ["PNAV_BENCH_OPERATORS"].split(","):
    enrol_operator(store, _name, _password, kdf_ops=1, kdf_mem=8 << 20, unlock_with=_first)
    _first = _first or (_name, _password)
app = create_app(Settings.load(os.environ.get("PNAV_CONFIG")), store)
