"""Shared fixtures: a live pnav server and the example partner site on free loopback ports."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from psycopg import sql
from psycopg.conninfo import make_conninfo
from werkzeug.serving import BaseWSGIServer

from pnav.sdk.client import OperatorClient, PersonClient, Timing
from pnav.server import Settings, create_app
from pnav.server.chat.service import ChatService
from pnav.server.operators.desk import enrol_operator
from pnav.server.serving import dev_server as _server
from pnav.server.stores.sqlite.store import SQLiteStore
from pnav.server.web.console import COOKIE as CONSOLE_COOKIE

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("PNAV_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("PNAV_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The test PostgreSQL server; unreachable, every test that needs it fails (never skips)."""
    try:
        with psycopg.connect(PG, connect_timeout=5):
            return PG
    except psycopg.OperationalError as exc:
        reason = " ".join(str(exc).split())
    pytest.fail(
        f"PostgreSQL is unreachable at {PG} ({reason}): start it, or set "
        "PNAV_TEST_POSTGRES to a server where this user may create schemas",
        pytrace=False,
    )


@pytest.fixture
def postgres_dsn(postgres_server: str) -> Iterator[str]:
    """A DSN whose search_path is a new, empty schema; the schema is dropped afterwards."""
    schema = sql.Identifier(f"pnav_test_{secrets.token_hex(6)}")
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(schema))
    try:
        yield make_conninfo(postgres_server, options=f"-c search_path={schema.as_string()}")
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(schema))


@pytest.fixture
def scale_out_env(postgres_dsn: str, redis_url: str) -> dict[str, str]:
    """Environment of `pnav serve` processes sharing one PostgreSQL database and one
    Redis (a key prefix of their own), as several hosts would."""
    broker = {"url": redis_url, "prefix": f"pnav-test-{secrets.token_hex(4)}", "presence_ttl": 3}
    return {
        "PNAV_PARTNERS": "demo=http://partner.test",
        "PNAV_SECURE_COOKIES": "0",
        "PNAV_SECRET_KEY": secrets.token_hex(32),
        "PNAV_STORE": "postgres",
        "PNAV_STORE_OPTIONS": json.dumps({"dsn": postgres_dsn}),
        "PNAV_BROKER": "redis",
        "PNAV_BROKER_OPTIONS": json.dumps(broker),
        **{f"PNAV_{key.upper()}": str(value) for key, value in TEST_TRAFFIC.items()},
    }


@pytest.fixture
def redis_url() -> str:
    """The test Redis server's URL; it must be running (CI starts it)."""
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=3).ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis is not reachable at {REDIS} ({exc}); start redis-server")
    return REDIS


def _start(app: Any) -> tuple[BaseWSGIServer, threading.Thread]:
    server = _server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


def _partner_module() -> Any:
    path = ROOT / "examples" / "partner_site" / "app.py"
    spec = importlib.util.spec_from_file_location("partner_site_for_tests", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class LiveServer:
    url: str
    partner_url: str
    data_dir: Path
    log_path: Path
    store: SQLiteStore
    operator: str
    password: str
    settings: Settings
    chat: ChatService
    app: Flask | None = None  # for what lives beside the chat (state: app.extensions["pnav"])

    @property
    def origin(self) -> str:
        return self.partner_url

    def add_operator(self, name: str, role: str = "operator") -> str:
        password = secrets.token_urlsafe(12)
        enrol_operator(self.store, name, password, role, unlock_with=(self.operator, self.password))
        return password

    def stored_bytes(self) -> bytes:
        """Every byte the server wrote: its data directory's files and its log, for
        searching a canary that must never be there in clear."""
        files = [p for p in self.data_dir.rglob("*") if p.is_file()]
        assert files, "the server stored nothing at all: wrong data_dir?"
        return b"".join(p.read_bytes() for p in files) + self.log_path.read_bytes()


# Quick heartbeats and back-off, so that tests notice and heal faults in seconds.
FAST = Timing(ping_every=0.5, dead_after=2, min_delay=0.05, max_delay=0.5)


class Clients:
    """Python clients on a live server: people on the partner's page, operators."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server

    def person(self, **start: Any) -> PersonClient:
        s = self.server
        return PersonClient.start(s.url, "demo", s.origin, timing=FAST, **start)

    def login(self, user: str | None = None, password: str | None = None) -> OperatorClient:
        s = self.server
        return OperatorClient.login(s.url, user or s.operator, password or s.password, timing=FAST)

    def come_back(self, code: str) -> PersonClient:
        """The person, back with a resume code (from anywhere)."""
        s = self.server
        return PersonClient.come_back(s.url, "demo", s.origin, code, timing=FAST)

    def resume(self, token: str, key: bytes) -> PersonClient:
        """The person, back on their resume token (after a drop)."""
        ws_url = self.server.url.replace("http", "ws", 1) + "/ws/person"
        return PersonClient.resume(ws_url, token, key, timing=FAST)

    @staticmethod
    def record(client: PersonClient | OperatorClient) -> list[dict[str, Any]]:
        """Every frame ``client``'s socket receives from now on (still handled as usual)."""
        frames: list[dict[str, Any]] = []
        inner = client._link.on_frame

        def on_frame(frame: dict[str, Any]) -> None:
            frames.append(frame)
            inner(frame)

        client._link.on_frame = on_frame
        return frames

    def accepted(self, op: OperatorClient, **start: Any) -> PersonClient:
        """A person whose conversation ``op`` has taken."""
        person = self.person(**start)
        op.wait_queue(person.conv)
        op.accept(person.conv)
        person.wait("status", state="active")
        return person


def console_session(app: Flask, username: str) -> FlaskClient:
    """A Flask test client with ``username``'s console session cookie (no login, no KDF)."""
    st = app.extensions["pnav"]
    op = st.store.find_operator(username)
    assert op is not None, f"no operator {username!r}"
    client = app.test_client()
    client.set_cookie(CONSOLE_COOKIE, st.tokens.console(op.id), path="/console")
    return client


@pytest.fixture
def logged_in() -> Callable[[Flask, str], FlaskClient]:
    """``logged_in(app, username)``: see :func:`console_session`."""
    return console_session


@pytest.fixture
def clients(live_server: LiveServer) -> Clients:
    return Clients(live_server)


@pytest.fixture
def clients_of() -> Callable[[LiveServer], Clients]:
    """``clients_of(server)``: clients of a server the test started (``live_server_with``).
    Tests import nothing from a conftest: tests/e2e has its own, and a run of both would
    import the wrong one."""
    return Clients


# Tests send from one address faster than a person types: the abuse limits sized for
# people (docs/deploy.md) would refuse them. tests/abuse/ runs with the real defaults.
TEST_TRAFFIC: dict[str, Any] = {
    "tickets_per_address_per_minute": 10_000,
    "conversations_per_address_per_hour": 10_000,
    "messages_per_conversation_per_minute": 10_000,
    "resume_codes_per_address_per_hour": 1_000,
    "logins_per_address_per_hour": 10_000,
    "proof_of_work_max_number": 1_000,
}


@contextlib.contextmanager
def serve(tmp_path: Path, role: str = "supervisor", **changes: Any) -> Iterator[LiveServer]:
    """A pnav server and the example partner site on free loopback ports, the server's
    log in ``tmp_path/server.log``, one operator ``alice`` with ``role``; ``changes``
    go to :meth:`Settings.load` (backends and their options)."""
    data_dir = tmp_path / "data"
    log_path = tmp_path / "server.log"
    handler = logging.FileHandler(log_path)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)

    partner_server, _ = _start(
        _partner_module().create_app(server_url="http://placeholder.invalid", partner="demo")
    )
    partner_url = f"http://127.0.0.1:{partner_server.server_port}"
    # The server must know its partner's origin and the partner page the server's URL:
    # bind the server first, then give the partner app the real URL.
    # Tests written before the closed-service view open the chat with nobody connected.
    changes.setdefault("when_nobody_on_duty", "queue")
    settings = Settings.load(
        None,
        environ={},
        data_dir=data_dir,
        partners={"demo": [partner_url]},
        **{**TEST_TRAFFIC, **changes},
    )
    store = SQLiteStore(settings.database_path)
    password = secrets.token_urlsafe(12)
    enrol_operator(store, "alice", password, role=role)
    # No background checks: tests move time themselves with chat.tick(now).
    app = create_app(settings, store=store, maintenance=False)
    server, _ = _start(app)
    url = f"http://127.0.0.1:{server.server_port}"
    partner_server.app = _partner_module().create_app(server_url=url, partner="demo")
    chat = app.extensions["pnav"].chat
    yield LiveServer(
        url, partner_url, data_dir, log_path, store, "alice", password, settings, chat, app
    )
    server.shutdown()
    partner_server.shutdown()
    app.extensions["pnav"].shutdown()
    store.close()
    root.removeHandler(handler)
    root.setLevel(old_level)
    handler.close()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    with serve(tmp_path) as live:
        yield live


@pytest.fixture
def live_server_with(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start a live server with other settings: ``live_server_with(translator=…)``
    (the keyword arguments of :func:`serve`); stopped after the test."""
    with contextlib.ExitStack() as stack:
        yield lambda **changes: stack.enter_context(serve(tmp_path, **changes))
