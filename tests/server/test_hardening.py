"""Logout in every process, hostile input answered with an error frame, private files
(issue 15, items 4 to 6)."""

from __future__ import annotations

import json
import secrets
import stat
from pathlib import Path

import pytest
from fakes.person_socket import Raw, hello, solve_proof_of_work, ticket

from pnav.server import cli
from pnav.server.settings import Settings
from pnav.server.stores.sqlite.store import SQLiteStore
from pnav.server.web.app import create_app
from pnav.server.web.console import COOKIE


def _two_processes(tmp_path: Path, redis_url: str) -> tuple[object, object]:
    """Two apps sharing a database, a secret and a Redis, as two workers would."""
    broker = {"url": redis_url, "prefix": f"pnav-test-{secrets.token_hex(4)}"}
    settings = Settings.load(
        None,
        environ={},
        data_dir=tmp_path / "data",
        secret_key=secrets.token_hex(32),
        broker="redis",
        broker_options=broker,
        secure_cookies=False,
        public_url="http://localhost",
    )
    store = SQLiteStore(settings.database_path)
    from pnav.server.operators.desk import enrol_operator

    enrol_operator(store, "alice", "a long password", role="supervisor")
    return create_app(settings, store=store, maintenance=False), create_app(
        settings, store=store, maintenance=False
    )


def test_logout_ends_the_session_in_every_process(tmp_path, redis_url):
    one, two = _two_processes(tmp_path, redis_url)
    alice = one.extensions["pnav"].store.find_operator("alice")
    token = one.extensions["pnav"].tokens.console(alice.id)
    a, b = one.test_client(), two.test_client()
    for client in (a, b):
        client.set_cookie(COOKIE, token, path="/console")
        assert client.get("/console/api/canned").status_code == 200
    # Another site's form: refused, the session goes on.
    refused = b.post("/console/api/logout", headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    assert b.get("/console/api/canned").status_code == 200
    assert a.post("/console/api/logout", headers={"Origin": "http://localhost"}).status_code == 204
    # The same cookie, kept by an attacker or another tab, opens nothing anywhere.
    b.set_cookie(COOKIE, token, path="/console")
    assert b.get("/console/api/canned").status_code == 401
    for app in (one, two):
        app.extensions["pnav"].shutdown()


HOSTILE = [
    '{"v": 1, "t": "sync", "after": 9223372036854775808}',
    '{"v": 1, "t": "sync", "after": 1e400}',
    "[" * 100_000 + "]" * 100_000,
    '{"v": 1, "t": "msg", "id": "x", "body": ' + "[" * 5000 + "]" * 5000 + "}",
    '{"v": 1, "t": "msg", "id": "abc\\n", "body": "AA"}',
    '{"v": 1, "t": "resume_code", "lookup": {"a": [[[[[[[1]]]]]]]}}',
]


@pytest.mark.parametrize("raw", HOSTILE, ids=range(len(HOSTILE)))
def test_malformed_input_gets_an_error_frame_and_the_socket_stays(live_server, raw):
    info = ticket(live_server)
    person = Raw(live_server)
    assert person.ask(hello(info, pow=solve_proof_of_work(info["pow"])))["t"] == "welcome"
    answer = person.ask(raw[:80_000])
    assert answer["t"] == "error" and answer["code"] in ("malformed", "too_large")
    assert person.still_open()
    person.close()
    assert "Traceback" not in live_server.log_path.read_text()


def test_a_language_with_a_trailing_newline_is_refused(live_server):
    info = ticket(live_server)
    start = hello(info, pow=solve_proof_of_work(info["pow"]))
    start["start"]["lang"] = "fr\n"
    person = Raw(live_server)
    answer = person.ask(json.dumps({"v": 1, **start}))
    assert (answer["t"], answer["code"]) == ("error", "malformed")
    person.close()


def test_database_and_wal_are_private_in_a_private_data_directory(live_server, clients):
    clients.person()  # something written, so the WAL exists
    data = live_server.data_dir
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    db = live_server.settings.database_path
    for path in (db, db.with_name(db.name + "-wal")):
        assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_directory_import_never_leaves_the_server_unable_to_start(tmp_path, capsys, monkeypatch):
    data_dir = tmp_path / "data"
    monkeypatch.setenv("PNAV_DATA_DIR", str(data_dir))
    header = "id,category,name,phone,sms,url,email,description,hours,areas,example\n"
    fine, clash = tmp_path / "local.csv", tmp_path / "clash.csv"
    fine.write_text(header + "local-1,legal,Legal aid,0123456789,,,,Free advice,,75,no\n")
    # Fine alone, but the packaged national file already has fr-17.
    clash.write_text(header + "fr-17,emergency,Police,17,,,,Danger,24/7,,no\n")
    assert cli.main(["directory", "import", str(fine)]) == 0
    assert cli.main(["directory", "import", str(clash)]) == 2
    assert "fr-17" in capsys.readouterr().err
    assert sorted(p.name for p in (data_dir / "directory").iterdir()) == ["local.csv"]
    # The server still starts with what is there.
    app = create_app(Settings.load(None, environ={}, data_dir=data_dir), maintenance=False)
    assert app.extensions["pnav"].casework.directory is not None
    app.extensions["pnav"].shutdown()
    app.extensions["pnav"].store.close()
