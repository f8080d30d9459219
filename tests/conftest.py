"""Shared fixtures: a live pnav server and the example partner site on free loopback ports."""

from __future__ import annotations

import importlib.util
import logging
import os
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from werkzeug.serving import BaseWSGIServer

from pnav.server import Settings, create_app
from pnav.server.chat import ChatService
from pnav.server.cli import _server
from pnav.server.desk import enrol_operator
from pnav.server.sqlite_store import SQLiteStore

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("PNAV_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("PNAV_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture
def pg_dsn() -> Iterator[str]:
    """A DSN whose search_path is a fresh, empty schema, dropped afterwards.

    PostgreSQL must be running (CI starts it): a test that needs it fails, never skips."""
    schema = f"pnav_test_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(PG, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {PG} ({exc}); start it")
    sep = "&" if "?" in PG else "?"
    yield f"{PG}{sep}options=-csearch_path%3D{schema}"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


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

    @property
    def origin(self) -> str:
        return self.partner_url

    def add_operator(self, name: str, role: str = "operator") -> str:
        password = secrets.token_urlsafe(12)
        enrol_operator(self.store, name, password, role, unlock_with=(self.operator, self.password))
        return password


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
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
    settings = Settings.load(
        None,
        environ={},
        data_dir=data_dir,
        partners={"demo": [partner_url]},
    )
    store = SQLiteStore(settings.database_path)
    password = secrets.token_urlsafe(12)
    enrol_operator(store, "alice", password, role="supervisor")
    # No background checks: tests move time themselves with chat.tick(now).
    app = create_app(settings, store=store, maintenance=False)
    server, _ = _start(app)
    url = f"http://127.0.0.1:{server.server_port}"
    partner_server.app = _partner_module().create_app(server_url=url, partner="demo")
    chat = app.extensions["pnav"].chat
    yield LiveServer(url, partner_url, data_dir, log_path, store, "alice", password, settings, chat)
    server.shutdown()
    partner_server.shutdown()
    app.extensions["pnav"].shutdown()
    store.close()
    root.removeHandler(handler)
    root.setLevel(old_level)
    handler.close()
