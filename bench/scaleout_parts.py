"""CPU per operation of the scale-out parts, under gevent as in a gunicorn worker (issue 16
item 3): what bench/relay.py measures as a whole, taken apart so that a change to one part
shows on its own even on a busy machine (CPU time, not wall time).

- ``append``: 50 greenlets append 40 messages each to their own conversation on
  PostgreSQL (group commit);
- ``read``: the same greenlets read their conversation (``get_conversation``) 40 times;
- ``relay``: 2,000 frames published by one Redis broker and delivered by another
  (both ends' CPU; both brokers in this process, on their own connections).

A fresh schema and key prefix are made and dropped. ``--src DIR`` measures another
checkout's ``src`` (e.g. ``git archive main src | tar -x -C /tmp/main``)::

    .venv/bin/python bench/scaleout_parts.py
    PYTHONDONTWRITEBYTECODE=1 .venv/bin/python bench/scaleout_parts.py --src /tmp/main/src
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402 - after monkey-patching, as gunicorn's worker does
import os  # noqa: E402
import secrets  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402
import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

PG = os.environ.get("PNAV_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("PNAV_TEST_REDIS", "redis://127.0.0.1:6379/0")
GREENLETS, EACH, FRAMES = 50, 40, 2000


def _cpu_per_op(ops: int, run: Callable[[], None]) -> tuple[float, float]:
    """CPU µs per operation and operations per second (wall) of ``run``."""
    cpu, wall = time.process_time(), time.perf_counter()
    run()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return cpu / ops * 1e6, ops / wall


def _store_parts(dsn: str) -> None:
    from pnav.sdk.testing.store import new_conversation
    from pnav.server.stores.postgres.store import PostgresStore

    store = PostgresStore(dsn)
    convs = [store.create_conversation(new_conversation()).id for _ in range(GREENLETS)]

    def each(call: Callable[[str, int], object]) -> Callable[[], None]:
        def run() -> None:
            jobs = [gevent.spawn(lambda c=c: [call(c, n) for n in range(EACH)]) for c in convs]
            gevent.joinall(jobs, raise_error=True)

        return run

    body = b"x" * 300
    parts: dict[str, Callable[[str, int], object]] = {
        "append": lambda c, n: store.append_message(c, "person", f"c{n}", body),
        "read": lambda c, n: store.get_conversation(c),
    }
    for name, call in parts.items():
        cpu, rate = _cpu_per_op(GREENLETS * EACH, each(call))
        print(f"{name}: {cpu:.0f} µs CPU per operation, {rate:,.0f} per second", flush=True)
    store.close()


def _relay_part() -> None:
    from pnav.server.brokers.redis import RedisBroker

    prefix = f"pnav-bench-{secrets.token_hex(4)}"
    publisher, holder = RedisBroker(REDIS, prefix=prefix), RedisBroker(REDIS, prefix=prefix)
    got, done = [0], threading.Event()

    def deliver(topic: str, frame: dict[str, Any]) -> None:
        got[0] += 1
        if got[0] == FRAMES:
            done.set()

    publisher.start(lambda topic, frame: None)
    holder.start(deliver)
    topics = [f"p:conv{n}" for n in range(GREENLETS)]
    for topic in topics:
        getattr(holder, "subscribe", lambda t: None)(topic)  # older brokers get everything
    frame = {"t": "msg", "conv": "conv0", "seq": 1, "body": "x" * 400}

    def run() -> None:
        def publish(topic: str) -> None:
            for _ in range(FRAMES // GREENLETS):
                publisher.publish(topic, frame)

        gevent.joinall([gevent.spawn(publish, t) for t in topics], raise_error=True)
        if not done.wait(60):
            raise RuntimeError(f"{got[0]} of {FRAMES} frames delivered in 60 s")

    cpu, rate = _cpu_per_op(FRAMES, run)
    print(f"relay: {cpu:.0f} µs CPU per frame (both ends), {rate:,.0f} per second", flush=True)
    publisher.close()
    holder.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", help="measure this src folder instead of the installed pnav")
    args = parser.parse_args()
    if args.src:
        sys.path.insert(0, args.src)
    schema = f"pnav_bench_{secrets.token_hex(6)}"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        _store_parts(psycopg.conninfo.make_conninfo(PG, options=f"-c search_path={schema}"))
        _relay_part()
    finally:
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
