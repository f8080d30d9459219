"""The servers bench/relay.py compares: two echo references and the pnav deployments, each
started on a loopback port in a fresh data directory (and, for PostgreSQL, a fresh schema),
with their operators enrolled; plus the CPU time and memory of a server's process tree."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from pnav.sdk.store import Store
from pnav.server.operators.desk import enrol_operator

BENCH = Path(__file__).resolve().parent
PG = os.environ.get("PNAV_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("PNAV_TEST_REDIS", "redis://127.0.0.1:6379/0")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Variant:
    key: str
    title: str
    kind: str  # "echo" or "pnav"
    server: str  # "gunicorn", "websockets" or "serve"
    app: str = "pnav.server.wsgi:app"
    workers: int = 1
    store: str = "sqlite"  # sqlite, memory or postgres (with Redis)


VARIANTS = [
    Variant(
        "flask_echo",
        "flask-sock echo, gunicorn 1 gevent worker",
        "echo",
        "gunicorn",
        app="relay_echo_flask:app",
    ),
    Variant("ws_echo", "raw `websockets` echo (asyncio)", "echo", "websockets"),
    Variant("pnav_sqlite", "pnav, gunicorn 1 gevent worker, SQLite", "pnav", "gunicorn"),
    Variant(
        "pnav_memory",
        "same, in-memory store",
        "pnav",
        "gunicorn",
        app="relay_memory_app:app",
        store="memory",
    ),
    Variant(
        "pnav_pg2",
        "pnav, gunicorn 2 gevent workers, PostgreSQL + Redis",
        "pnav",
        "gunicorn",
        workers=2,
        store="postgres",
    ),
    Variant(
        "pnav_pg4",
        "pnav, gunicorn 4 gevent workers, PostgreSQL + Redis",
        "pnav",
        "gunicorn",
        workers=4,
        store="postgres",
    ),
    Variant("pnav_serve", "pnav serve (gevent, one process), SQLite", "pnav", "serve"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _enrol(store: Store, names: list[str], password: str, supervisor: bool) -> None:
    """The accounts; the first one a supervisor if ``supervisor`` (their console then
    gets the floor, which the server builds only while a supervisor is connected)."""
    first: tuple[str, str] | None = None
    for name in names:
        role = "supervisor" if supervisor and first is None else "operator"
        enrol_operator(store, name, password, role, kdf_ops=1, kdf_mem=8 << 20, unlock_with=first)
        first = first or (name, password)


@dataclass
class Server:
    variant: Variant
    workdir: Path
    operators: list[str]
    password: str
    supervisor: bool = False  # the first operator is a supervisor (see _enrol)
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    schema: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        data = self.workdir / "data"
        env = {
            **os.environ,
            "PNAV_DATA_DIR": str(data),
            "PNAV_PARTNERS": "bench=http://partner.test",
            "PNAV_SECURE_COOKIES": "0",
            "PNAV_SECRET_KEY": secrets.token_hex(32),
            # Maintenance runs every second, so every measured window includes it.
            "PNAV_MAINTENANCE_EVERY": "1",
            # Every simulated person comes from 127.0.0.1: the per-address limit would
            # count them as one attacker.
            "PNAV_MAX_SOCKETS_PER_ADDRESS": "5000",
            # ... and the abuse limits per address and per conversation would refuse the
            # load itself; the proof of work stays on, at its smallest.
            "PNAV_TICKETS_PER_ADDRESS_PER_MINUTE": "1000000",
            "PNAV_CONVERSATIONS_PER_ADDRESS_PER_HOUR": "1000000",
            "PNAV_MESSAGES_PER_CONVERSATION_PER_MINUTE": "1000000",
            "PNAV_CONVERSATION_BYTES_PER_DAY": str(1 << 40),
            "PNAV_PROOF_OF_WORK_MAX_NUMBER": "1000",
            "PNAV_LOGINS_PER_ADDRESS_PER_HOUR": "1000000",
            "PNAV_BENCH_PASSWORD": self.password,
            "PNAV_BENCH_OPERATORS": ",".join(self.operators),
        }
        v = self.variant
        if v.kind == "pnav" and v.store == "sqlite":
            from pnav.server.stores.sqlite.store import SQLiteStore

            store = SQLiteStore(data / "pnav.sqlite3")
            _enrol(store, self.operators, self.password, self.supervisor)
            store.close()
        elif v.store == "postgres":
            from pnav.server.stores.postgres.store import PostgresStore

            self.schema = f"pnav_bench_{secrets.token_hex(6)}"
            with psycopg.connect(PG, autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self.schema)))
            dsn = psycopg.conninfo.make_conninfo(PG, options=f"-c search_path={self.schema}")
            pg = PostgresStore(dsn)
            _enrol(pg, self.operators, self.password, self.supervisor)
            pg.close()
            broker = {"url": REDIS, "prefix": self.schema}
            env.update(
                PNAV_STORE="postgres",
                PNAV_STORE_OPTIONS=json.dumps({"dsn": dsn}),
                PNAV_BROKER="redis",
                PNAV_BROKER_OPTIONS=json.dumps(broker),
            )
        return env

    def start(self, timeout: float = 30) -> None:
        env = self._env()
        v = self.variant
        if v.server == "gunicorn":
            exe = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
            assert exe, "gunicorn is missing: pip install 'pnav[deploy]'"
            cmd = [
                exe,
                "-k",
                "gevent",
                "-w",
                str(v.workers),
                "--worker-connections",
                "5000",
                "-b",
                f"127.0.0.1:{self.port}",
                "--chdir",
                str(BENCH),
                v.app,
            ]
        elif v.server == "websockets":
            cmd = [sys.executable, str(BENCH / "relay_echo_websockets.py"), str(self.port)]
        else:
            cmd = [sys.executable, "-m", "pnav", "serve", "--port", str(self.port)]
        log = (self.workdir / f"{v.key}.log").open("ab")
        self.proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{v.key} exited with {self.proc.returncode}: see its log")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                if len(self.pids()) > v.workers - (v.server != "gunicorn"):
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{v.key} did not listen on port {self.port} in {timeout}s")

    def pids(self) -> list[int]:
        """The server process and its descendants (gunicorn's workers)."""
        assert self.proc is not None
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
        tree = [self.proc.pid]
        for pid in tree:
            tree += [child for child, parent in parents.items() if parent == pid]
        return tree

    def cpu_seconds(self) -> float:
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime + stime
        return total / CLOCK_TICKS

    def rss_bytes(self) -> int:
        total = 0
        for pid in self.pids():
            try:
                total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
            except OSError:
                continue
        return total

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.schema is not None:
            with psycopg.connect(PG, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(self.schema)))
            _drop_redis_keys(self.schema)


def _drop_redis_keys(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS)
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        client.delete(key)
    client.close()
