"""Operator enrolment: the desk key is only ever wrapped, and only an operator can unwrap it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from pnav.sdk import crypto
from pnav.server.operators import desk as desk_module
from pnav.server.operators.desk import DeskError, enrol_operator, verify_login
from pnav.server.stores.sqlite.store import SQLiteStore

FAST = {"kdf_ops": 1, "kdf_mem": 8 << 20}


@pytest.fixture
def store(tmp_path) -> SQLiteStore:
    return SQLiteStore(tmp_path / "db.sqlite3")


def _desk_secret(store: SQLiteStore, name: str, password: str) -> bytes:
    op = store.find_operator(name)
    assert op is not None
    keys = crypto.derive_operator_keys(password, op.salt, op.kdf_ops, op.kdf_mem)
    [wrapped] = store.desk_key_wraps(op.id).values()
    return crypto.unwrap_desk_key(wrapped, keys.wrap)


def test_first_operator_creates_the_desk_key_and_later_ones_share_it(store) -> None:
    enrol_operator(store, "alice", "alice password", **FAST)
    with pytest.raises(DeskError, match="cannot open it by itself"):
        enrol_operator(store, "bob", "bob password!", **FAST)
    with pytest.raises(DeskError, match="wrong password"):
        enrol_operator(
            store, "bob", "bob password!", unlock_with=("alice", "nope nope nope"), **FAST
        )
    assert store.find_operator("bob") is None
    enrol_operator(store, "bob", "bob password!", unlock_with=("alice", "alice password"), **FAST)
    secret = _desk_secret(store, "alice", "alice password")
    assert secret == _desk_secret(store, "bob", "bob password!")
    desk = store.current_desk_key()
    assert desk is not None
    sealed = crypto.seal_conversation_key(b"k" * 32, desk.public)
    assert crypto.open_sealed_key(sealed, secret) == b"k" * 32


def test_desk_secret_is_nowhere_in_the_database_file(store, tmp_path) -> None:
    enrol_operator(store, "alice", "alice password", **FAST)
    secret = _desk_secret(store, "alice", "alice password")
    store.close()
    blob = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert secret not in blob
    assert b"alice password" not in blob


def test_login_checks_the_auth_key(store) -> None:
    enrol_operator(store, "alice", "alice password", **FAST)
    op = store.find_operator("alice")
    assert op is not None
    good = crypto.derive_operator_keys("alice password", op.salt, op.kdf_ops, op.kdf_mem)
    assert verify_login(store, "alice", good.auth) == op
    assert verify_login(store, "alice", good.wrap) is None
    assert verify_login(store, "nobody", good.auth) is None


def test_login_reads_the_store_on_its_own_thread_and_checks_elsewhere(store) -> None:
    """The server passes its pool of real threads as ``run``: only the Argon2id check
    goes there, and the store (whose lock is gevent's under gevent) is read on the
    caller's thread, for known and unknown names alike."""
    enrol_operator(store, "alice", "alice password", **FAST)
    op = store.find_operator("alice")
    assert op is not None
    good = crypto.derive_operator_keys("alice password", op.salt, op.kdf_ops, op.kdf_mem)
    caller = threading.get_ident()
    reads: list[int] = []
    checks: list[int] = []
    find = store.find_operator

    def find_operator(username: str):  # type: ignore[no-untyped-def]
        reads.append(threading.get_ident())
        return find(username)

    def run(check, auth_hash: bytes, auth: bytes) -> bool:  # type: ignore[no-untyped-def]
        def on_pool() -> bool:
            checks.append(threading.get_ident())
            return bool(check(auth_hash, auth))

        with ThreadPoolExecutor(1) as pool:
            return pool.submit(on_pool).result()

    store.find_operator = find_operator  # type: ignore[method-assign]
    assert verify_login(store, "alice", good.auth, run) == op
    assert verify_login(store, "nobody", good.auth, run) is None
    assert reads == [caller, caller]
    assert len(checks) == 2 and caller not in checks


@pytest.mark.parametrize(
    ("name", "password", "role", "message"),
    [
        ("", "long enough pw", "operator", "username"),
        ("carol", "short", "operator", "at least 10"),
        ("carol", "long enough pw", "boss", "role must be"),
    ],
)
def test_bad_enrolment_is_refused(store, name, password, role, message) -> None:
    with pytest.raises(DeskError, match=message):
        enrol_operator(store, name, password, role=role, **FAST)


def test_the_console_login_reads_the_store_on_the_request_thread(
    live_server, clients, monkeypatch
) -> None:
    """The login endpoint hands verify_login the pool of slow checks: the Argon2id check
    runs on one of its threads, the store read on the request's own thread."""
    store = live_server.store
    reads: list[str] = []
    checks: list[str] = []
    find = store.find_operator

    def find_operator(username: str):  # type: ignore[no-untyped-def]
        reads.append(threading.current_thread().name)
        return find(username)

    check = desk_module._check

    def counted_check(auth_hash: bytes, auth: bytes) -> bool:
        checks.append(threading.current_thread().name)
        return check(auth_hash, auth)

    monkeypatch.setattr(store, "find_operator", find_operator)
    monkeypatch.setattr(desk_module, "_check", counted_check)
    clients.login().close()
    monkeypatch.undo()
    assert checks and all(name.startswith("pnav-slow") for name in checks), checks
    assert reads and not any(name.startswith("pnav-slow") for name in reads), reads
